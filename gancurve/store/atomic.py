"""Writing files so that a crash never leaves a half-written one.

Every file gancurve writes goes to a temporary file in the target's directory (same file
system), is flushed and fsynced, and is then renamed over the target with ``os.replace``:
readers see the old complete file or the new complete file, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from gancurve.errors import GancurveError


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a file so that readers see either the old or the new content, never a mix.

    The bytes go to a temporary file in the same directory (same file system), are
    flushed and fsynced, and then ``os.replace`` swaps the file in.
    """
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise GancurveError(f"Cannot write {path}: {error.strerror}.") from error
    try:
        os.fchmod(handle, 0o666 & ~_current_umask())  # mkstemp makes 0600; match a normal file
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
            _test_write_delay()
        os.replace(temp_name, path)  # noqa: PTH105 - the atomic rename, named as such
    except BaseException as error:
        with contextlib.suppress(OSError):
            Path(temp_name).unlink()
        if isinstance(error, OSError):  # disk full, quota, I/O error: the old file is intact
            raise GancurveError(
                f"Cannot write {path}: {error.strerror or error}; the previous version is kept."
            ) from error
        raise
    _fsync_directory(path.parent)


def _test_write_delay() -> None:
    """Tests set ``GANCURVE_TEST_WRITE_DELAY`` (seconds) to widen the window a kill can hit."""
    delay = os.environ.get("GANCURVE_TEST_WRITE_DELAY")
    if delay:
        time.sleep(float(delay))


def _current_umask() -> int:
    mask = os.umask(0)  # the only portable way to read it is to set it and put it back
    os.umask(mask)
    return mask


@contextlib.contextmanager
def temporary_sibling(output: Path) -> Iterator[Path]:
    """A temporary path beside ``output``, with its extension, for writers that want a path.

    Libraries that pick a format from the file name (imageio, torch.export) write here; the
    caller renames it over ``output`` once complete. It is removed unless renamed.
    """
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=f".tmp{output.suffix}", dir=output.parent
        )
    except OSError as error:
        raise GancurveError(f"Cannot write {output}: {error.strerror}.") from error
    os.fchmod(handle, 0o666 & ~_current_umask())
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write` for UTF-8 text."""
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))
