"""The logged metrics and snapshots of a run, as kept in memory while training."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gancurve.core.critic import FRAME_A, FRAME_ROWS
from gancurve.store.rundir import RunDir, Snapshots


@dataclass
class History:
    """The logged metrics and snapshots of a run, as kept in memory while training."""

    rows: list[dict[str, float]] = field(default_factory=list)
    snapshot_steps: list[int] = field(default_factory=list)
    snapshot_paintings: list[np.ndarray] = field(default_factory=list)  # each (ideas, points)
    snapshot_d_accuracy: list[float] = field(default_factory=list)
    snapshot_d_score: list[float] = field(default_factory=list)
    snapshot_critic: list[np.ndarray | None] = field(default_factory=list)  # each (3, FRAME_A) or None

    def truncate(self, step: int) -> None:
        """Forget everything logged after ``step`` (used on resume, see :func:`load_history`)."""
        self.rows = [row for row in self.rows if row["step"] <= step]
        keep = [i for i, s in enumerate(self.snapshot_steps) if s <= step]
        self.snapshot_steps = [self.snapshot_steps[i] for i in keep]
        self.snapshot_paintings = [self.snapshot_paintings[i] for i in keep]
        self.snapshot_d_accuracy = [self.snapshot_d_accuracy[i] for i in keep]
        self.snapshot_d_score = [self.snapshot_d_score[i] for i in keep]
        self.snapshot_critic = [self.snapshot_critic[i] for i in keep]

    def drop_last_snapshot(self) -> None:
        """Forget the latest snapshot."""
        for series in (self.snapshot_steps, self.snapshot_paintings, self.snapshot_d_accuracy,
                       self.snapshot_d_score, self.snapshot_critic):  # fmt: skip
            series.pop()

    def snapshots(self, x: np.ndarray) -> Snapshots:
        """The snapshots as the run directory stores them."""
        points = x.shape[0]
        paintings = (
            np.stack(self.snapshot_paintings)
            if self.snapshot_paintings
            else np.zeros((0, 0, points), np.float32)
        )
        return Snapshots(
            steps=np.asarray(self.snapshot_steps, dtype=np.int64),
            paintings=paintings,
            d_accuracy=np.asarray(self.snapshot_d_accuracy, dtype=np.float64),
            d_score=np.asarray(self.snapshot_d_score, dtype=np.float64),
            x=x,
            critic=self._critic_frames(),
        )

    def _critic_frames(self) -> np.ndarray | None:
        """The critic frames, NaN where a snapshot has none (taken before a resumed run recorded
        them); None when no snapshot has one."""
        if all(frame is None for frame in self.snapshot_critic):
            return None
        blank = np.full((len(FRAME_ROWS), len(FRAME_A)), np.nan, np.float32)
        return np.stack([blank if frame is None else frame for frame in self.snapshot_critic])


def load_history(run: RunDir, up_to_step: int) -> History:
    """Metrics and snapshots on disk up to ``up_to_step`` (the checkpoint's step).

    Logs are written just before the checkpoint, so after a crash they may run ahead
    of it; those rows are dropped and will be recomputed identically.
    """
    history = History()
    if run.metrics_path.is_file():
        history.rows = run.read_metrics()
    if run.snapshots_path.is_file():
        snaps = run.read_snapshots()
        history.snapshot_steps = [int(s) for s in snaps.steps]
        history.snapshot_paintings = list(snaps.paintings)
        history.snapshot_d_accuracy = [float(v) for v in snaps.d_accuracy]
        history.snapshot_d_score = [float(v) for v in snaps.d_score]
        frames = snaps.critic
        history.snapshot_critic = list(frames) if frames is not None else [None] * len(snaps.steps)
    history.truncate(up_to_step)
    return history
