"""One training at a time per run directory: a lock file holding the owner's pid."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from gancurve.errors import GancurveError
from gancurve.store.rundir import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    LOCK_FILE,
    METRICS_FILE,
    SNAPSHOTS_FILE,
    RunDir,
)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True


@contextlib.contextmanager
def run_lock(run: RunDir) -> Iterator[None]:
    """Hold the run's lock file while training, so two trainings never write one run.

    The file holds the owner's pid; a lock whose owner is gone (a killed process) is
    stale and is taken over.
    """
    lock = run.path / LOCK_FILE
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _lock_owner(lock)
            if owner is not None and owner != os.getpid() and _pid_alive(owner):
                raise GancurveError(
                    f"Run {run.name!r} is being trained by another process (pid {owner}); "
                    "wait for it to finish or stop it first."
                ) from None
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()  # stale: its owner died without cleaning up
            continue
        except OSError as error:
            raise GancurveError(f"Cannot write in {run.path}: {error.strerror}.") from error
        with os.fdopen(fd, "w") as stream:
            stream.write(f"{os.getpid()}\n")
        break
    else:
        raise GancurveError(f"Could not take the lock {lock}; try again.")
    try:
        remove_stale_temporaries(run)
        yield
    finally:
        with contextlib.suppress(OSError):
            if _lock_owner(lock) == os.getpid():
                lock.unlink()


def remove_stale_temporaries(run: RunDir) -> None:
    """Delete half-written temporary files a killed process left (only with the lock held)."""
    for name in (CONFIG_FILE, CHECKPOINT_FILE, METRICS_FILE, SNAPSHOTS_FILE):
        for leftover in run.path.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _lock_owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None
