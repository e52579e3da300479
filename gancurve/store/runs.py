"""Where runs live: the runs directory, run names, creating a run and finding one."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from gancurve.errors import GancurveError, UsageError
from gancurve.store.rundir import (
    CONFIG_FILE,
    GRID_FILE,
    LOCK_FILE,
    SWEEP_FILE,
    RunDir,
    member_name,
    member_seed,
)

RUNS_DIR_ENV = "GANCURVE_RUNS_DIR"
DEFAULT_RUNS_DIR = "runs"

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: What a run that never saved a checkpoint may hold; such a directory can be used again.
_UNSAVED_RUN_FILES = {CONFIG_FILE, LOCK_FILE}


def resolve_runs_dir(option: str | Path | None) -> Path:
    """The runs directory: the option, else ``$GANCURVE_RUNS_DIR``, else ``./runs`` (``~`` expanded).

    A path the system cannot even look at (a name too long, links in a loop, a file in the way,
    no permission) is refused here, in one line naming where it came from, for every command.
    """
    if option is not None and not str(option).strip():
        raise UsageError("--runs-dir is empty; name a directory, or leave the option out for ./runs.")
    from_env = os.environ.get(RUNS_DIR_ENV)
    if option is None:
        option = from_env or DEFAULT_RUNS_DIR
    source = "--runs-dir" if option != DEFAULT_RUNS_DIR else "The runs directory"
    if str(option) == from_env:  # (the CLI's option reads the variable itself: name it as the variable)
        source = f"${RUNS_DIR_ENV}"
    path = Path(option).expanduser()
    probe(path, source, strict=True)
    return path


def probe(path: Path, what: str, strict: bool = False) -> os.stat_result | None:
    """``path``'s status (links followed), or None when nothing is there (nor, unless ``strict``,
    when a part of the path is a file: then nothing can be there either).

    Any other failure to look is one line naming ``what`` (the option or the run) and the path:
    pathlib's ``is_dir``/``exists`` raise some of them (a name too long, no permission) and hide
    the others as "not there" (links in a loop, a file where a directory should be), after which
    ``mkdir`` would say "File exists".
    """
    try:
        return path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise UsageError(
                f"{what} {_shown(path)} is a symbolic link to nothing ({path.readlink()})."
            ) from None
        return None
    except NotADirectoryError:
        if not strict:
            return None
        raise UsageError(f"{what} {_shown(path)}: {_PROBE_REASONS[errno.ENOTDIR]}.") from None
    except OSError as error:
        reason = _PROBE_REASONS.get(error.errno or 0, error.strerror)
        cls = UsageError if error.errno in _PROBE_REASONS else GancurveError
        raise cls(f"{what} {_shown(path)}: {reason}.") from None


#: Why a path cannot be looked at, in words; these are bad input (exit 2), anything else exit 1.
_PROBE_REASONS = {
    errno.ENAMETOOLONG: "the name is too long for the file system (at most 255 bytes a name)",
    errno.ELOOP: "its symbolic links form a loop",
    errno.ENOTDIR: "a part of that path is a file, not a directory",
}


def _shown(path: Path) -> str:
    """The path for a message, each overlong name cut short (a 300-character name would fill the line)."""
    parts = [part if len(part) <= 40 else f"{part[:20]}…({len(part)} characters)" for part in path.parts]
    return str(Path(*parts)) if parts else str(path)


def is_directory(path: Path, what: str) -> bool:
    """Whether ``path`` is a directory (links followed); a path that cannot be looked at is one line."""
    status = probe(path, what)
    return status is not None and stat.S_ISDIR(status.st_mode)


def is_run_name(name: object) -> bool:
    """Whether ``name`` is a plain run name: it stays inside the directory that holds it."""
    return isinstance(name, str) and _NAME_PATTERN.fullmatch(name) is not None


def check_run_name(name: str) -> str:
    """Refuse names that would escape the runs directory or be awkward in a shell."""
    if not is_run_name(name):
        raise UsageError(
            f"Invalid run name {name!r}: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)."
        )
    return name


def timestamp_name(runs_dir: Path, now: datetime | None = None) -> str:
    """A fresh run name from the time, e.g. ``2026-11-27_05-03-11`` (suffixed if taken)."""
    base = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    name, suffix = base, 2
    while (runs_dir / name).exists():
        name, suffix = f"{base}-{suffix}", suffix + 1
    return name


def ensure_runs_dir(runs_dir: Path) -> None:
    """Create the runs directory, with a clear error when that is impossible."""
    if runs_dir.exists() and not runs_dir.is_dir():
        raise UsageError(f"--runs-dir {runs_dir} is a file, not a directory.")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise GancurveError(f"Cannot create the runs directory {runs_dir}: {error.strerror}.") from error


def create_run(runs_dir: Path, name: str | None) -> RunDir:
    """Make a new run directory; never reuses one that holds anything but a run that never saved.

    A run that failed or was killed before its first checkpoint leaves at most its config and
    lock behind; taking its name again is allowed, so a failed start never blocks a name.
    """
    ensure_runs_dir(runs_dir)
    if name is not None:
        check_run_name(name)
    name = name or timestamp_name(runs_dir)
    path = runs_dir / name
    probe(path, "--name")  # (a link loop there would be "already exists"; a name too long, a traceback)
    try:
        path.mkdir()
    except FileExistsError as error:
        if not _never_saved(path):
            raise UsageError(
                f"Run {name!r} already exists in {runs_dir}; pick another --name, "
                "or continue it with --resume."
            ) from error
    except OSError as error:
        raise GancurveError(f"Cannot create {path}: {error.strerror}.") from error
    return RunDir(path)


def _never_saved(path: Path) -> bool:
    """A directory left by a run that never wrote a checkpoint (only its config, lock, temporaries)."""
    if not path.is_dir() or path.is_symlink():
        return False
    return all(entry.name in _UNSAVED_RUN_FILES or _is_temporary(entry.name) for entry in path.iterdir())


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def discard_run(run: RunDir) -> None:
    """Remove a run that never saved a checkpoint: only the files a run writes, then the directory.

    Anything else found there is left alone (and so is the directory that holds it).
    """
    if not _never_saved(run.path):
        return
    for entry in run.path.iterdir():
        with contextlib.suppress(OSError):
            entry.unlink()
    with contextlib.suppress(OSError):
        run.path.rmdir()


def iter_runs(runs_dir: Path, members: bool = True) -> Iterator[RunDir]:
    """Every run under ``runs_dir`` (a directory with a config); with ``members``, also every
    member of its sweeps and of its grids' recipes (``SWEEP/seed-001``, ``GRID/RECIPE/seed-001``)."""
    if not is_directory(runs_dir, "The runs directory"):
        return
    for child in runs_dir.iterdir():
        if not child.is_dir():
            continue
        if (child / CONFIG_FILE).is_file():
            yield RunDir(child)
        elif members:
            yield from _members(child, depth=2)


def _members(path: Path, depth: int) -> Iterator[RunDir]:
    """The runs inside a sweep (its members) or a grid (its recipes' members)."""
    kind = _collection(path)
    if kind is None or depth == 0:
        return
    for child in path.iterdir():
        if child.is_dir() and (child / CONFIG_FILE).is_file() and kind == "sweep":
            yield RunDir(child)
        elif child.is_dir() and kind == "grid":
            yield from _members(child, depth - 1)


def _collection(path: Path) -> str | None:
    """``"sweep"`` or ``"grid"`` for a directory that is one, else None."""
    return "sweep" if (path / SWEEP_FILE).is_file() else "grid" if (path / GRID_FILE).is_file() else None


def _last_activity(run: RunDir) -> tuple[bool, float]:
    """Sort key for "the latest run": runs with a checkpoint first, then by the last write."""
    checkpoint = run.existing_checkpoint()
    return checkpoint is not None, (checkpoint or run.config_path).stat().st_mtime


def locate(runs_dir: Path, name: str, what: str = "The run") -> Path:
    """The directory ``--run``/``--name`` means, whether or not something is there.

    A name is looked up in the runs directory only, never in the current directory: a run named
    ``docs`` must not be confused with ``./docs``. A value with a ``/`` (``./docs``, ``runs/x``,
    ``sweep/seed-001``) is a path, tried as given and then inside the runs directory;
    ``SWEEP/seed-37`` means the member ``SWEEP/seed-037``.
    """
    if not is_path(name):
        return runs_dir / name
    given = Path(name).expanduser()
    return _member_alias(given if is_directory(given, what) or given.is_absolute() else runs_dir / given)


def find_run(runs_dir: Path, run: str | None, members: bool = True) -> RunDir:
    """Resolve ``--run``/``--name`` (see :func:`locate`), or without one the latest trained run.

    ``members``: whether a sweep's member counts as the latest run (it does for the commands that
    read a run; ``train --resume`` continues single runs only, a sweep resumes as a whole).
    """
    if run is None:
        runs = sorted(iter_runs(runs_dir, members), key=_last_activity)
        if not runs:
            raise GancurveError(f"No runs found in {runs_dir}; train one first with 'gancurve train'.")
        return runs[-1]
    if not run.strip():
        raise UsageError("The run name is empty; give a name, or leave the option out for the latest run.")
    candidate = locate(runs_dir, run)
    if not is_directory(candidate, "The run"):
        if is_path(run):
            raise GancurveError(f"No run at {run!r}: it is not a directory (nor one in {runs_dir}).")
        raise GancurveError(
            f"No run {run!r} in {runs_dir}. To use a run directory elsewhere, give its path (e.g. ./{run})."
        )
    if not (candidate / CONFIG_FILE).is_file():
        member = _first_member(candidate)
        if member is not None:  # a sweep or a grid: name one of its runs
            kind, example = _collection(candidate), f"{run.rstrip('/')}/{member}"
            if not members:  # train --resume: the sweep continues as a whole
                raise GancurveError(
                    f"{run!r} is a {kind}; continue it with 'gancurve sweep --resume --name {run}'."
                )
            raise GancurveError(f"{run!r} is a {kind}, not one run; name one of its members, e.g. {example}.")
        raise GancurveError(f"{candidate} is not a gancurve run (it has no {CONFIG_FILE}).")
    return RunDir(candidate)


def _first_member(path: Path) -> str | None:
    """The first member of a sweep (``seed-001``) or of a grid's first recipe (``RECIPE/seed-001``),
    relative to ``path``; None when ``path`` is neither or has no member yet."""
    found = sorted(_members(path, depth=2), key=lambda run: run.path.parts)
    return str(found[0].path.relative_to(path)) if found else None


def _member_alias(path: Path) -> Path:
    """``SWEEP/seed-37`` as the sweep member it means (``SWEEP/seed-037``), when that exists."""
    seed = member_seed(path.name)
    if seed is None or is_directory(path, "The run"):
        return path
    canonical = path.with_name(member_name(seed))
    return canonical if is_directory(canonical, "The run") else path


def is_path(value: str) -> bool:
    """Whether ``--run`` names a path rather than a run in the runs directory."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in value for sep in separators) or value in {".", ".."} or value.startswith("~")
