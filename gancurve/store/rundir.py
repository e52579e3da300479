"""The run directory: everything a training run keeps on disk, and nothing else.

One directory per run (see ``docs/design.md``)::

    config.json              hyperparameters, cadence, device, versions
    checkpoint.safetensors   the full training state (arrays + JSON metadata; no code)
    metrics.csv              one row per logged step
    snapshots.npz            G's paintings for the fixed ideas, every snapshot step
    lab.json                 (a run saved by ``gancurve lab``) the choices changed while it trained

(Runs written by gancurve 0.1.0 have ``checkpoint.pt`` instead, until their next save.)

Every file is replaced atomically, so a crash leaves the previous complete version.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gancurve.core.config import TrainConfig
from gancurve.core.critic import FRAME_A, FRAME_ROWS
from gancurve.errors import GancurveError
from gancurve.store.atomic import atomic_write_files, atomic_write_text, render_bytes
from gancurve.store.jsonfile import parse_json

#: Bumped when the checkpoint layout changes incompatibly (1: 0.1.0's checkpoint.pt, still read).
CHECKPOINT_FORMAT_VERSION = 2

CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoint.safetensors"
LEGACY_CHECKPOINT_FILE = "checkpoint.pt"
METRICS_FILE = "metrics.csv"
SNAPSHOTS_FILE = "snapshots.npz"
LOCK_FILE = ".lock"
#: What ``gancurve lab`` changed while it trained the run (which choice, from what to what, at which step).
LAB_FILE = "lab.json"
#: What makes a directory of runs a sweep (its members beside it) or a grid (one sweep per recipe).
SWEEP_FILE = "sweep.json"
GRID_FILE = "grid.json"
#: A sweep's member directory: ``seed-037`` (also found as ``seed-37``).
MEMBER_PATTERN = re.compile(r"seed-0*(\d+)")
#: The files that make up a run: nothing else may write over them.
RUN_FILES = (
    CONFIG_FILE, CHECKPOINT_FILE, LEGACY_CHECKPOINT_FILE, METRICS_FILE, SNAPSHOTS_FILE, LAB_FILE, LOCK_FILE,
)  # fmt: skip
#: What a trained run holds, in the order a copy of it is written: the checkpoint last, so a copy
#: cut short by a crash is a run behind its logs (as a save is), never a checkpoint without them.
TRAINED_FILES = (CONFIG_FILE, METRICS_FILE, SNAPSHOTS_FILE, CHECKPOINT_FILE)


@dataclass(frozen=True)
class Snapshots:
    """What ``animate`` needs: G's paintings for the fixed ideas over training."""

    steps: np.ndarray  # (k,) int
    paintings: np.ndarray  # (k, ideas, points) float32
    d_accuracy: np.ndarray  # (k,)
    d_score: np.ndarray  # (k,)
    x: np.ndarray  # (points,) the grid
    # D along the family at each snapshot (core.critic.critic_frame: D, D*, G's push on FRAME_A);
    # None for runs that did not record it (sweeps' members, runs written before it existed).
    critic: np.ndarray | None = None  # (k, 3, len(FRAME_A)) float32

    def problem(self) -> str | None:
        """What is inconsistent about these arrays (as read from a file), or None."""
        count = len(self.steps)
        if self.paintings.ndim != 3 or self.x.ndim != 1 or self.steps.ndim != 1:
            return "its arrays have the wrong number of dimensions"
        if any(len(series) != count for series in (self.paintings, self.d_accuracy, self.d_score)):
            return "its arrays hold different numbers of snapshots"
        if count and (self.paintings.shape[1] == 0 or self.paintings.shape[2] != len(self.x)):
            return f"its paintings have shape {self.paintings.shape[1:]} for {len(self.x)} x positions"
        if self.critic is not None and self.critic.shape != (count, len(FRAME_ROWS), len(FRAME_A)):
            return f"its critic frames have shape {self.critic.shape}"
        if not all(np.issubdtype(a.dtype, np.number) for a in vars(self).values() if a is not None):
            return "it holds arrays that are not numbers"
        return None

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays as ``snapshots.npz`` stores them (dtypes fixed)."""
        arrays: dict[str, np.ndarray] = {
            "steps": self.steps.astype(np.int64),
            "paintings": self.paintings.astype(np.float32),
            "d_accuracy": self.d_accuracy.astype(np.float64),
            "d_score": self.d_score.astype(np.float64),
            "x": self.x.astype(np.float64),
        }
        if self.critic is not None:
            arrays["critic"] = self.critic.astype(np.float32)
        return arrays


class RunDir:
    """One run's directory and the files in it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def name(self) -> str:
        """The run's name (its directory name)."""
        return self.path.name

    @property
    def label(self) -> str:
        """The run's name for people: a sweep's member with its sweep (``sw/seed-001``), a grid's
        with its grid and recipe (``grid/lr-g-0.0001/seed-001``); as ``--run`` takes it."""
        parts, holder = [self.path.name], self.path.parent
        for marker in (SWEEP_FILE, GRID_FILE):  # a member's sweep, then that sweep's grid
            if not (holder / marker).is_file():
                break
            parts.insert(0, holder.name)
            holder = holder.parent
        return "/".join(parts)

    @property
    def config_path(self) -> Path:
        """Where the hyperparameters and cadence live."""
        return self.path / CONFIG_FILE

    @property
    def checkpoint_path(self) -> Path:
        """Where the full training state lives."""
        return self.path / CHECKPOINT_FILE

    def existing_checkpoint(self) -> Path | None:
        """The checkpoint file the run has: the current format, else 0.1.0's, else None."""
        for path in (self.checkpoint_path, self.path / LEGACY_CHECKPOINT_FILE):
            if path.is_file():
                return path
        return None

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
            data = parse_json(text)
        except ValueError as error:
            raise GancurveError(
                f"{self.config_path} is not valid JSON ({getattr(error, 'msg', error)})."
            ) from error
        if not isinstance(data, dict):
            raise GancurveError(f"{self.config_path} does not hold a gancurve configuration.")
        return data

    def train_config(self) -> TrainConfig:
        """The run's training configuration, from ``config.json``."""
        try:
            return TrainConfig.from_dict(self.read_config().get("config"))  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            raise GancurveError(
                f"{self.config_path} holds no valid training configuration ({error})."
            ) from error

    # -- the lab's changes ------------------------------------------------------------------

    @property
    def lab_path(self) -> Path:
        """Where the changes made in ``gancurve lab`` live (runs it saved only)."""
        return self.path / LAB_FILE

    def write_lab_changes(self, data: dict[str, Any]) -> None:
        """Write ``lab.json`` atomically."""
        atomic_write_text(self.lab_path, json.dumps(data, indent=2) + "\n")

    def read_lab_changes(self) -> list[dict[str, Any]]:
        """The changes ``lab.json`` records (none when the run has no such file); a damaged file is
        one line."""
        if not self.lab_path.is_file():
            return []
        try:
            data = parse_json(self._read_text(self.lab_path, "the lab's changes"))
        except ValueError as error:
            raise GancurveError(
                f"{self.lab_path} is not valid JSON ({getattr(error, 'msg', error)})."
            ) from error
        changes = data.get("changes") if isinstance(data, dict) else None
        if not isinstance(changes, list) or not all(isinstance(change, dict) for change in changes):
            raise GancurveError(f"{self.lab_path} does not hold a list of changes.")
        return changes

    # -- metrics --------------------------------------------------------------------------

    def read_metrics(self) -> list[dict[str, float]]:
        """Read ``metrics.csv`` back; empty cells (metrics not computed that step) are left out.

        A file cut short (mid-row, or without its final newline) or holding a step that is not
        a whole non-negative number is refused: resuming from it would bake the damage in.
        """
        text = self._read_text(self.metrics_path, "its training log")
        if text and not text.endswith("\n"):
            raise GancurveError(f"{self.metrics_path} is damaged: it ends in the middle of a row.")
        rows = []
        try:
            reader = csv.DictReader(io.StringIO(text))
            for raw in reader:
                if None in raw or None in raw.values():  # more or fewer cells than the header
                    raise ValueError(f"row {reader.line_num} has {len(raw)} cells for {len(raw) - 1} columns")
                rows.append({key: float(value) for key, value in raw.items() if value})
            for row in rows:
                row["step"] = _whole_step(row.get("step"))
        except (ValueError, TypeError, csv.Error) as error:
            raise GancurveError(f"{self.metrics_path} is damaged ({error}).") from error
        return rows

    # -- snapshots ------------------------------------------------------------------------

    def read_snapshots(self) -> Snapshots:
        """Read ``snapshots.npz`` (never unpickles: ``allow_pickle=False``) and check its arrays agree."""
        if not self.snapshots_path.is_file():
            raise GancurveError(f"Run {self.name!r} has no {SNAPSHOTS_FILE}; train it first.")
        try:
            with np.load(self.snapshots_path, allow_pickle=False) as data:
                optional = {"critic"}  # (older runs, and sweeps' members, have none)
                snapshots = Snapshots(
                    **{name: data[name] for name in Snapshots.__dataclass_fields__ if name not in optional},
                    **{name: data[name] for name in optional if name in data.files},
                )
        # (BadZipFile, zlib.error and NotImplementedError: a damaged zip, or one compressed oddly.)
        except (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile, zlib.error,
                NotImplementedError) as error:  # fmt: skip
            raise GancurveError(f"{self.snapshots_path} is damaged or not a snapshots file.") from error
        problem = snapshots.problem()
        if problem:
            raise GancurveError(f"{self.snapshots_path} is damaged: {problem}.")
        return snapshots

    # -- the training state, written together ------------------------------------------------

    def write_state(self, rows: Sequence[dict[str, float]], snapshots: Snapshots, checkpoint: bytes) -> None:
        """Write the logs and the checkpoint as one change: all of them, or (on failure) none.

        The logs are renamed into place before the checkpoint, so a crash between the renames
        leaves logs ahead of the checkpoint (resume drops the extra rows), never behind it.
        """
        atomic_write_files(
            [
                (self.metrics_path, metrics_csv_text(rows).encode("utf-8")),
                (self.snapshots_path, render_bytes(lambda stream: np.savez(stream, **snapshots.arrays()))),  # type: ignore[arg-type]
                (self.checkpoint_path, checkpoint),
            ]
        )
        # A 0.1.0 run now has its state in the current format; the old file would only mislead.
        (self.path / LEGACY_CHECKPOINT_FILE).unlink(missing_ok=True)

    # -- the whole run as bytes (a sweep's member trained elsewhere: a Dask worker's) ------------

    def read_files(self) -> tuple[tuple[str, bytes], ...]:
        """The run's files of ``TRAINED_FILES`` that exist, by name, in their order."""
        return tuple(
            (name, (self.path / name).read_bytes()) for name in TRAINED_FILES if (self.path / name).is_file()
        )

    def write_files(self, files: Sequence[tuple[str, bytes]]) -> None:
        """Write what :meth:`read_files` read (elsewhere) as one change: all of them or none; only
        the names of ``TRAINED_FILES``, in their order (a name that is none is refused)."""
        wanted = dict(files)
        unknown = sorted(set(wanted) - set(TRAINED_FILES))
        if unknown:
            raise GancurveError(f"Refusing to write {', '.join(unknown)} into {self.path}: not a run's file.")
        atomic_write_files([(self.path / name, wanted[name]) for name in TRAINED_FILES if name in wanted])

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


def _whole_step(value: float | None) -> int:
    """A metrics row's step, which must be a whole number from 0 up."""
    if value is None:
        raise ValueError("a row has no step")
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        raise ValueError(f"step {value!r} is not a whole number from 0 up")
    return int(value)


def member_name(seed: int) -> str:
    """The run directory name of a sweep's member: ``seed-037``."""
    return f"seed-{seed:03d}"


def member_seed(name: str) -> int | None:
    """The seed a member directory name stands for (``seed-37`` and ``seed-037`` alike), or None."""
    match = MEMBER_PATTERN.fullmatch(name)
    return int(match[1]) if match else None


def is_grid(path: Path) -> bool:
    """Whether ``path`` is a grid directory."""
    return (path / GRID_FILE).is_file()
