"""The run directory: everything a training run keeps on disk, and nothing else.

One directory per run (see ``docs/design.md``)::

    config.json      hyperparameters, cadence, device, versions
    checkpoint.pt    the full training state (weights_only-loadable)
    metrics.csv      one row per logged step
    snapshots.npz    G's paintings for the fixed ideas, every snapshot step

Every file is replaced atomically, so a crash leaves the previous complete version.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from gancurve.atomic import atomic_write, atomic_write_text
from gancurve.errors import GancurveError, UsageError

RUNS_DIR_ENV = "GANCURVE_RUNS_DIR"
DEFAULT_RUNS_DIR = "runs"
#: Bumped when the checkpoint layout changes incompatibly; older files are refused clearly.
CHECKPOINT_FORMAT_VERSION = 1

CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoint.pt"
METRICS_FILE = "metrics.csv"
SNAPSHOTS_FILE = "snapshots.npz"
LOCK_FILE = ".lock"

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def resolve_runs_dir(option: Path | None) -> Path:
    """The runs directory: the option, else ``$GANCURVE_RUNS_DIR``, else ``./runs``."""
    if option is not None:
        return option
    return Path(os.environ.get(RUNS_DIR_ENV) or DEFAULT_RUNS_DIR)


@dataclass
class History:
    """The logged metrics and snapshots of a run, as kept in memory while training."""

    rows: list[dict[str, float]] = field(default_factory=list)
    snapshot_steps: list[int] = field(default_factory=list)
    snapshot_paintings: list[np.ndarray] = field(default_factory=list)  # each (ideas, points)
    snapshot_d_accuracy: list[float] = field(default_factory=list)
    snapshot_d_score: list[float] = field(default_factory=list)

    def truncate(self, step: int) -> None:
        """Forget everything logged after ``step`` (used on resume, see :meth:`RunDir.load_history`)."""
        self.rows = [row for row in self.rows if row["step"] <= step]
        keep = [i for i, s in enumerate(self.snapshot_steps) if s <= step]
        self.snapshot_steps = [self.snapshot_steps[i] for i in keep]
        self.snapshot_paintings = [self.snapshot_paintings[i] for i in keep]
        self.snapshot_d_accuracy = [self.snapshot_d_accuracy[i] for i in keep]
        self.snapshot_d_score = [self.snapshot_d_score[i] for i in keep]


@dataclass(frozen=True)
class Snapshots:
    """What ``animate`` needs: G's paintings for the fixed ideas over training."""

    steps: np.ndarray  # (k,) int
    paintings: np.ndarray  # (k, ideas, points) float32
    d_accuracy: np.ndarray  # (k,)
    d_score: np.ndarray  # (k,)
    x: np.ndarray  # (points,) the grid


class RunDir:
    """One run's directory and the files in it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def name(self) -> str:
        """The run's name (its directory name)."""
        return self.path.name

    @property
    def config_path(self) -> Path:
        """Where the hyperparameters and cadence live."""
        return self.path / CONFIG_FILE

    @property
    def checkpoint_path(self) -> Path:
        """Where the full training state lives."""
        return self.path / CHECKPOINT_FILE

    @property
    def metrics_path(self) -> Path:
        """Where the training log lives."""
        return self.path / METRICS_FILE

    @property
    def snapshots_path(self) -> Path:
        """Where G's paintings over time live."""
        return self.path / SNAPSHOTS_FILE

    # -- config ---------------------------------------------------------------------------

    def write_config(self, data: dict[str, Any]) -> None:
        """Write ``config.json`` atomically."""
        atomic_write_text(self.config_path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    def read_config(self) -> dict[str, Any]:
        """Read ``config.json``."""
        text = self._read_text(self.config_path, "its configuration")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise GancurveError(f"{self.config_path} is not valid JSON ({error.msg}).") from error
        if not isinstance(data, dict):
            raise GancurveError(f"{self.config_path} does not hold a gancurve configuration.")
        return data

    # -- metrics --------------------------------------------------------------------------

    def write_metrics(self, rows: Sequence[dict[str, float]]) -> None:
        """Write ``metrics.csv`` atomically."""
        atomic_write_text(self.metrics_path, metrics_csv_text(rows))

    def read_metrics(self) -> list[dict[str, float]]:
        """Read ``metrics.csv`` back; empty cells (metrics not computed that step) are left out."""
        text = self._read_text(self.metrics_path, "its training log")
        rows = []
        try:
            for raw in csv.DictReader(io.StringIO(text)):
                rows.append({key: float(value) for key, value in raw.items() if value})
        except (ValueError, TypeError, csv.Error) as error:
            raise GancurveError(f"{self.metrics_path} is damaged ({error}).") from error
        for row in rows:
            row["step"] = int(row["step"]) if "step" in row else -1
        return rows

    # -- snapshots ------------------------------------------------------------------------

    def write_snapshots(self, history: History, x: np.ndarray) -> None:
        """Write ``snapshots.npz`` atomically from the in-memory history."""
        points = x.shape[0]
        paintings = (
            np.stack(history.snapshot_paintings).astype(np.float32)
            if history.snapshot_paintings
            else np.zeros((0, 0, points), np.float32)
        )
        arrays = {
            "steps": np.asarray(history.snapshot_steps, dtype=np.int64),
            "paintings": paintings,
            "d_accuracy": np.asarray(history.snapshot_d_accuracy, dtype=np.float64),
            "d_score": np.asarray(history.snapshot_d_score, dtype=np.float64),
            "x": x.astype(np.float64),
        }
        atomic_write(self.snapshots_path, lambda stream: np.savez(stream, **arrays))  # type: ignore[arg-type]

    def read_snapshots(self) -> Snapshots:
        """Read ``snapshots.npz`` (never unpickles: ``allow_pickle=False``)."""
        if not self.snapshots_path.is_file():
            raise GancurveError(f"Run {self.name!r} has no {SNAPSHOTS_FILE}; train it first.")
        try:
            with np.load(self.snapshots_path, allow_pickle=False) as data:
                snapshots = Snapshots(
                    steps=data["steps"],
                    paintings=data["paintings"],
                    d_accuracy=data["d_accuracy"],
                    d_score=data["d_score"],
                    x=data["x"],
                )
        except (OSError, ValueError, KeyError, EOFError) as error:
            raise GancurveError(f"{self.snapshots_path} is damaged or not a snapshots file.") from error
        if snapshots.paintings.ndim != 3 or len(snapshots.steps) != len(snapshots.paintings):
            raise GancurveError(f"{self.snapshots_path} is damaged: its arrays do not agree.")
        return snapshots

    def load_history(self, up_to_step: int) -> History:
        """Metrics and snapshots on disk up to ``up_to_step`` (the checkpoint's step).

        Logs are written just before the checkpoint, so after a crash they may run ahead
        of it; those rows are dropped and will be recomputed identically.
        """
        history = History()
        if self.metrics_path.is_file():
            history.rows = self.read_metrics()
        if self.snapshots_path.is_file():
            snaps = self.read_snapshots()
            history.snapshot_steps = [int(s) for s in snaps.steps]
            history.snapshot_paintings = list(snaps.paintings)
            history.snapshot_d_accuracy = [float(v) for v in snaps.d_accuracy]
            history.snapshot_d_score = [float(v) for v in snaps.d_score]
        history.truncate(up_to_step)
        return history

    # -- helpers --------------------------------------------------------------------------

    def require(self, filename: str, what: str) -> Path:
        """The path of a file the run must have, or a clear error naming it."""
        path = self.path / filename
        if not path.is_file():
            raise GancurveError(f"Run {self.name!r} has no {filename} ({what}); is the run complete?")
        return path

    def _read_text(self, path: Path, what: str) -> str:
        self.require(path.name, what)
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise GancurveError(f"Cannot read {path}: {error}.") from error


def metrics_csv_text(rows: Sequence[dict[str, float]]) -> str:
    """Rows as CSV; the columns are the union of the rows' keys, empty where a row lacks one."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(_format_row(row) for row in rows)
    return buffer.getvalue()


def _format_row(row: dict[str, float]) -> dict[str, str]:
    """Full-precision text for CSV (repr round-trips floats exactly)."""
    return {key: repr(value) if isinstance(value, float) else str(value) for key, value in row.items()}


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
