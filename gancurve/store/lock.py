"""One training at a time per run directory: a lock file naming its owner.

The lock records the owner's pid, host and process start time. A lock is stale — and taken
over — when its owner on this host is gone, *or* when the pid now belongs to another process
(pids are reused after a kill -9 or a reboot): the start time tells them apart. A lock held on
another host cannot be checked from here, so it is refused with a message that says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from gancurve.errors import GancurveError
from gancurve.store.jsonfile import parse_json
from gancurve.store.rundir import LOCK_FILE, RUN_FILES, RunDir


@dataclass(frozen=True)
class LockOwner:
    """Who holds a lock: enough to tell a live owner from a reused pid."""

    pid: int
    host: str | None = None
    started: str | None = None  # the process's start, as this host's kernel counts it (None: unknown)

    @classmethod
    def me(cls) -> LockOwner:
        """This process."""
        return cls(os.getpid(), socket.gethostname(), process_start(os.getpid()))

    def is_alive(self) -> bool:
        """Whether the owner still runs (answered for this host; another host's owner counts as alive)."""
        if self.host is not None and self.host != socket.gethostname():
            return True
        if not _pid_alive(self.pid) or _exited(self.pid):
            return False
        if self.started is None:  # an old lock, or no way to know: trust the pid
            return True
        return process_start(self.pid) == self.started


def process_start(pid: int) -> str | None:
    """When a process started, as a string unique to it on this host; None where unknown.

    Linux: the boot id and the start time in clock ticks (field 22 of ``/proc/PID/stat``).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "(comm)", which may hold spaces
    return f"{boot}:{fields[19]}"


def _exited(pid: int) -> bool:
    """Whether the process has ended but is not reaped yet (a zombie: its parent died with it, as
    ``timeout -s KILL`` does, in a container whose first process reaps no one). It answers signal 0
    and keeps its /proc entry and start time, so it would hold its lock for ever."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc, or gone: the other checks decide
    return stat[stat.rindex(")") + 2 :].split()[:1] in (["Z"], ["X"])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    except (OverflowError, ValueError):
        return False
    return True


def read_owner(lock: Path) -> LockOwner | None:
    """The owner a lock file names (JSON, or the bare pid older versions wrote); None if unreadable."""
    try:
        text = lock.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    with contextlib.suppress(ValueError, TypeError, KeyError):
        if text.isdigit():
            return LockOwner(int(text))
        data = parse_json(text)
        return LockOwner(int(data["pid"]), data.get("host"), data.get("started"))
    return None


@contextlib.contextmanager
def run_lock(run: RunDir, kind: str = "Run") -> Iterator[None]:
    """Hold the run's lock file while training, so two trainings never write one run.

    ``kind`` names the directory in messages: a run, or the ``Sweep`` or ``Grid`` it holds."""
    lock = run.path / LOCK_FILE
    if lock.is_symlink() or (lock.exists() and not lock.is_file()):
        raise GancurveError(f"{lock} is not a lock file gancurve wrote; remove it and try again.")
    me = LockOwner.me()
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = read_owner(lock)
            if owner is not None and owner.pid != me.pid and owner.is_alive():
                raise GancurveError(_held_message(run, owner, kind)) from None
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()  # stale: its owner died, or its pid now belongs to another process
            continue
        except OSError as error:
            raise GancurveError(f"Cannot write in {run.path}: {error.strerror}.") from error
        with os.fdopen(fd, "w") as stream:
            stream.write(json.dumps(asdict(me)) + "\n")
        break
    else:
        raise GancurveError(f"Could not take the lock {lock}; try again.")
    try:
        remove_stale_temporaries(run)
        yield
    finally:
        with contextlib.suppress(OSError):
            owner = read_owner(lock)
            if owner is not None and owner.pid == me.pid:
                lock.unlink()


def _held_message(run: RunDir, owner: LockOwner, kind: str) -> str:
    if owner.host is not None and owner.host != socket.gethostname():
        return (
            f"{kind} {run.name!r} is locked by process {owner.pid} on host {owner.host!r}, which cannot be "
            f"checked from here; if nothing trains it there, delete {run.path / LOCK_FILE}."
        )
    return (
        f"{kind} {run.name!r} is being trained by another process (pid {owner.pid}); "
        "wait for it to finish or stop it first."
    )


def remove_stale_temporaries(run: RunDir) -> None:
    """Delete half-written temporary files a killed process left (only with the lock held)."""
    for name in RUN_FILES:
        for leftover in run.path.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()
