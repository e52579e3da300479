"""Where runs live: the runs directory, run names, creating a run and finding one."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from gancurve.errors import GancurveError, UsageError
from gancurve.store.rundir import CONFIG_FILE, LOCK_FILE, RunDir

RUNS_DIR_ENV = "GANCURVE_RUNS_DIR"
DEFAULT_RUNS_DIR = "runs"

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: What a run that never saved a checkpoint may hold; such a directory can be used again.
_UNSAVED_RUN_FILES = {CONFIG_FILE, LOCK_FILE}


def resolve_runs_dir(option: str | Path | None) -> Path:
    """The runs directory: the option, else ``$GANCURVE_RUNS_DIR``, else ``./runs`` (``~`` expanded)."""
    if option is not None and not str(option).strip():
        raise UsageError("--runs-dir is empty; name a directory, or leave the option out for ./runs.")
    if option is None:
        option = os.environ.get(RUNS_DIR_ENV) or DEFAULT_RUNS_DIR
    return Path(option).expanduser()


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


def iter_runs(runs_dir: Path) -> Iterator[RunDir]:
    """Every directory under ``runs_dir`` that looks like a run (has a config)."""
    if not runs_dir.is_dir():
        return
    for child in runs_dir.iterdir():
        if child.is_dir() and (child / CONFIG_FILE).is_file():
            yield RunDir(child)


def _last_activity(run: RunDir) -> tuple[bool, float]:
    """Sort key for "the latest run": runs with a checkpoint first, then by the last write."""
    checkpoint = run.existing_checkpoint()
    return checkpoint is not None, (checkpoint or run.config_path).stat().st_mtime


def find_run(runs_dir: Path, run: str | None) -> RunDir:
    """Resolve ``--run``/``--name``: a name in ``runs_dir``, a path (it has a ``/``), or the latest run.

    A name is looked up in the runs directory only, never in the current directory: a run named
    ``docs`` must not be confused with ``./docs``. A value with a ``/`` (``./docs``, ``runs/x``,
    ``sweep/seed-001``) is a path, tried as given and then inside the runs directory.
    """
    if run is None:
        runs = sorted(iter_runs(runs_dir), key=_last_activity)
        if not runs:
            raise GancurveError(f"No runs found in {runs_dir}; train one first with 'gancurve train'.")
        return runs[-1]
    if not run.strip():
        raise UsageError("The run name is empty; give a name, or leave the option out for the latest run.")
    if is_path(run):
        given = Path(run).expanduser()
        candidate = given if given.is_dir() or given.is_absolute() else runs_dir / given
        candidate = _member_alias(candidate)
        if not candidate.is_dir():
            raise GancurveError(f"No run at {run!r}: it is not a directory (nor one in {runs_dir}).")
    else:
        candidate = runs_dir / run
        if not candidate.is_dir():
            raise GancurveError(
                f"No run {run!r} in {runs_dir}. To use a run directory elsewhere, give its path "
                f"(e.g. ./{run})."
            )
    if not (candidate / CONFIG_FILE).is_file():
        raise GancurveError(f"{candidate} is not a gancurve run (it has no {CONFIG_FILE}).")
    return RunDir(candidate)


def _member_alias(path: Path) -> Path:
    """``SWEEP/seed-37`` as the sweep member it means (``SWEEP/seed-037``), when that exists."""
    from gancurve.sweep.seeds import member_name, member_seed

    seed = member_seed(path.name)
    if seed is None or path.is_dir():
        return path
    canonical = path.with_name(member_name(seed))
    return canonical if canonical.is_dir() else path


def is_path(value: str) -> bool:
    """Whether ``--run`` names a path rather than a run in the runs directory."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in value for sep in separators) or value in {".", ".."} or value.startswith("~")
