"""Where runs live: the runs directory, run names, creating a run and finding one."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from gancurve.errors import GancurveError, UsageError
from gancurve.store.rundir import CONFIG_FILE, RunDir

RUNS_DIR_ENV = "GANCURVE_RUNS_DIR"
DEFAULT_RUNS_DIR = "runs"

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def resolve_runs_dir(option: Path | None) -> Path:
    """The runs directory: the option, else ``$GANCURVE_RUNS_DIR``, else ``./runs``."""
    if option is not None:
        return option
    return Path(os.environ.get(RUNS_DIR_ENV) or DEFAULT_RUNS_DIR)


def check_run_name(name: str) -> str:
    """Refuse names that would escape the runs directory or be awkward in a shell."""
    if not _NAME_PATTERN.match(name) or name in {".", ".."}:
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
    """Make a new, empty run directory; never reuses one that exists."""
    ensure_runs_dir(runs_dir)
    name = check_run_name(name) if name else timestamp_name(runs_dir)
    path = runs_dir / name
    try:
        path.mkdir()
    except FileExistsError as error:
        raise UsageError(
            f"Run {name!r} already exists in {runs_dir}; pick another --name, or continue it with --resume."
        ) from error
    except OSError as error:
        raise GancurveError(f"Cannot create {path}: {error.strerror}.") from error
    return RunDir(path)


def iter_runs(runs_dir: Path) -> Iterator[RunDir]:
    """Every directory under ``runs_dir`` that looks like a run (has a config)."""
    if not runs_dir.is_dir():
        return
    for child in runs_dir.iterdir():
        if child.is_dir() and (child / CONFIG_FILE).is_file():
            yield RunDir(child)


def _last_activity(run: RunDir) -> tuple[bool, float]:
    """Sort key for "the latest run": runs with a checkpoint first, then by the last write."""
    has_checkpoint = run.checkpoint_path.is_file()
    path = run.checkpoint_path if has_checkpoint else run.config_path
    return has_checkpoint, path.stat().st_mtime


def find_run(runs_dir: Path, run: str | None) -> RunDir:
    """Resolve ``--run``: a path to a run, a name under ``runs_dir``, or (None) the latest run."""
    if run is None:
        runs = sorted(iter_runs(runs_dir), key=_last_activity)
        if not runs:
            raise GancurveError(f"No runs found in {runs_dir}; train one first with 'gancurve train'.")
        return runs[-1]
    candidate = Path(run)
    if not candidate.is_dir():
        candidate = runs_dir / run
    if not candidate.is_dir():
        raise GancurveError(f"No run {run!r}: neither a directory nor a run in {runs_dir}.")
    if not (candidate / CONFIG_FILE).is_file():
        raise GancurveError(f"{candidate} is not a gancurve run (it has no {CONFIG_FILE}).")
    return RunDir(candidate)
