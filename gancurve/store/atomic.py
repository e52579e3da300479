"""Writing files so that a crash never leaves a half-written one.

Every file gancurve writes goes to a temporary file in the target's directory (same file
system), is flushed and fsynced, and is then renamed over the target with ``os.replace``:
readers see the old complete file or the new complete file, never a mix. Content is made in
memory first, so that a failing serializer can never leave a partial file either, and a write
that fails for lack of space or permission becomes one clear :class:`GancurveError`.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from gancurve.errors import GancurveError


def write_target(path: Path) -> Path:
    """Where writing ``path`` must land: through a symbolic link to the file it points at.

    A device, pipe or socket there is refused (:class:`GancurveError`): the rename would replace
    it with a regular file (a run's config.json linked to /dev/zero, written as root, replaced
    /dev/zero for the whole machine).
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.exists() and not (target.is_file() or target.is_dir()):
        named = f"it names {target}, which" if target != path else "it"
        raise GancurveError(f"Cannot write {path}: {named} is a device, a pipe or a socket, not a file.")
    return target


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a file so that readers see either the old or the new content, never a mix."""
    atomic_write_files([(path, render_bytes(write))])


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write` for UTF-8 text."""
    atomic_write_files([(path, text.encode("utf-8"))])


def render_bytes(write: Callable[[IO[bytes]], object]) -> bytes:
    """What a writer (``np.save``, ``torch.save``, ``savefig``...) writes, as bytes in memory."""
    buffer = io.BytesIO()
    write(buffer)
    return buffer.getvalue()


def atomic_write_files(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write several files as one change: every file is written completely before any is replaced.

    If writing any of them fails (disk full, permission), none is replaced: the previous
    versions all stay. The renames then happen in the given order, so a crash among them
    leaves the earlier files new and the later ones old — callers order files accordingly.
    """
    written: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            target = write_target(path)
            written.append((_write_temporary(target, data), target))
    except BaseException:
        for temp, _ in written:
            temp.unlink(missing_ok=True)
        raise
    for index, (temp, target) in enumerate(written):
        try:
            os.replace(temp, target)  # noqa: PTH105 - the atomic rename, named as such
        except OSError as error:
            for later, _ in written[index:]:
                later.unlink(missing_ok=True)
            raise GancurveError(f"Cannot write {target}: {error.strerror or error}.") from error
    for directory in {target.parent for _, target in written}:
        _fsync_directory(directory)


def _write_temporary(target: Path, data: bytes) -> Path:
    """``data`` in a fsynced temporary file beside ``target``; any failure removes it."""
    handle, temp = _new_temporary(target, ".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            _test_write_delay()
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):  # disk full, quota, I/O error: the old file is intact
            raise GancurveError(
                f"Cannot write {target}: {error.strerror or error}; the previous version is kept."
            ) from error
        raise
    return temp


def _new_temporary(target: Path, suffix: str) -> tuple[int, Path]:
    """An open temporary file beside ``target`` (hidden, named after it), with a normal file's mode."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    except OSError as error:
        raise GancurveError(f"Cannot write {target}: {error.strerror or error}.") from error
    os.fchmod(handle, 0o666 & ~_current_umask())  # mkstemp makes 0600; match a normal file
    return handle, Path(name)


def _test_write_delay() -> None:
    """Tests set ``GANCURVE_TEST_WRITE_DELAY`` (seconds) to widen the window a kill can hit."""
    delay = os.environ.get("GANCURVE_TEST_WRITE_DELAY")
    if delay:
        time.sleep(float(delay))


#: A sweep writes its members' files in threads: reading the umask (set, then put back) must not
#: interleave, or one thread could put back the 0 another set.
_UMASK_LOCK = threading.Lock()


def _current_umask() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0)  # the only portable way to read it is to set it and put it back
        os.umask(mask)
    return mask


@contextlib.contextmanager
def temporary_sibling(output: Path) -> Iterator[Path]:
    """A temporary path beside ``output``, with its extension, for writers that want a path.

    Libraries that pick a format from the file name (imageio, torch.export) write here; the
    caller moves it into place with :func:`replace_with`. It is removed unless moved. An
    ``OSError`` inside the block (a full disk) becomes one clear :class:`GancurveError`.
    """
    target = write_target(output)
    handle, temp = _new_temporary(target, f".tmp{target.suffix}")
    os.close(handle)
    try:
        yield temp
    except OSError as error:
        raise GancurveError(
            f"Cannot write {output}: {error.strerror or error}; nothing was written."
        ) from error
    finally:
        temp.unlink(missing_ok=True)


def replace_with(temp: Path, output: Path) -> None:
    """Move a finished temporary file over ``output`` (through a link, onto the file it names)."""
    target = write_target(output)
    os.replace(temp, target)  # noqa: PTH105 - the atomic rename, named as such
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
