"""What a checkpoint holds, whichever format it was read from: the record and the array checks.

Both readers, :mod:`gancurve.store.checkpoint` (format 2) and :mod:`gancurve.store.legacy` (0.1.0's
``checkpoint.pt``), build a :class:`Checkpoint` and refuse content with :class:`DamagedCheckpointError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gancurve.core.config import TrainConfig
from gancurve.core.engines.protocol import TrainState

#: Weights, Adam's moments and the fixed ideas are float32 in every checkpoint a run writes.
WEIGHT_DTYPE = np.dtype(np.float32)


class DamagedCheckpointError(ValueError):
    """What is wrong with a checkpoint's content, in words."""


@dataclass
class Checkpoint:
    """A run's saved state and the facts needed to continue it."""

    config: TrainConfig
    device: str  # where it was trained: "cpu", "cuda", "cuda:1", "mps"
    fixed_ideas: np.ndarray
    state: TrainState
    written_by: str  # the gancurve version that wrote it
    legacy: bool = False  # read from a 0.1.0 checkpoint.pt

    @property
    def step(self) -> int:
        """The training step it holds."""
        return self.state.step


def check_array(what: str, value: object, shape: tuple[int | None, ...], finite: bool = True) -> None:
    """A float32 array of this shape (None: any length), with finite values if ``finite``."""
    if not isinstance(value, np.ndarray):
        raise DamagedCheckpointError(f"its {what} is missing or not an array")
    if value.dtype != WEIGHT_DTYPE:
        raise DamagedCheckpointError(f"its {what} holds {value.dtype} values, where a run writes float32")
    if value.ndim != len(shape) or any(
        want not in (None, got) for want, got in zip(shape, value.shape, strict=False)
    ):
        raise DamagedCheckpointError(f"its {what} has shape {tuple(value.shape)}, expected {shape}")
    if finite and not bool(np.isfinite(value).all()):
        raise DamagedCheckpointError(
            f"its {what} holds values that are not finite (did the run diverge before this was saved?)"
        )
