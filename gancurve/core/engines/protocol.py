"""What the training loop needs from an engine, and the training state every engine saves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from gancurve.core.artist import Artist
from gancurve.core.config import TrainConfig
from gancurve.core.networks import Weights

#: How the training stream's state is stored: numpy's PCG64 (CPU engines) or torch's generator
#: on the device (GPU engines: a CUDA graph draws on the GPU).
RNG_NUMPY = "numpy-pcg64"
RNG_TORCH = "torch"
#: The per-step numbers every engine reports at a logged step.
STAT_NAMES = ("d_loss", "g_loss", "d_accuracy", "d_score")


@dataclass
class AdamState:
    """One network's Adam: its step count and both moments, named like its weights."""

    steps: int
    exp_avg: Weights
    exp_avg_sq: Weights


@dataclass
class TrainState:
    """Everything needed to continue a run exactly: plain arrays, the same for every engine."""

    step: int
    weights: dict[str, Weights]  # "generator" / "discriminator" → parameters
    adam: dict[str, AdamState]  # the same keys
    rng: np.ndarray  # the training stream's state (see RNG_NUMPY / RNG_TORCH)
    rng_kind: str = RNG_NUMPY
    ema: Weights | None = None  # the moving average of G's weights, when the run keeps one

    def weights_to_use(self, raw: bool = False) -> dict[str, Weights]:
        """The networks readers use: G's moving average in G's place when the run keeps one
        (the averaged G is the better painter), or G itself when ``raw``."""
        if raw or self.ema is None:
            return self.weights
        return {**self.weights, "generator": self.ema}


class Engine(Protocol):
    """One implementation of the training step; every engine computes the reference's math."""

    config: TrainConfig
    device: str
    artist: Artist

    @property
    def notice(self) -> str | None:
        """A one-line message for the user when the engine had to change course (e.g. a CUDA graph
        could not be captured and it runs eagerly); None when there is nothing to say."""

    @property
    def step_count(self) -> int:
        """Steps taken so far."""

    def step(self) -> object:
        """One training step."""

    def advance(self, steps: int) -> None:
        """``steps`` training steps (an engine may run them in one call)."""

    def last_stats(self) -> dict[str, float]:
        """What the latest step measured (:data:`STAT_NAMES`); may copy from a device."""

    def paint(self, ideas: np.ndarray, raw: bool = False) -> np.ndarray:
        """G's paintings (float32, on the host) for ideas ``(n, ideas)``: by G's moving average
        when the run keeps one, unless ``raw``."""

    def weights(self) -> dict[str, Weights]:
        """G's and D's weights now (copies; G itself, not its moving average)."""

    def state(self) -> TrainState:
        """The full training state (copies: later steps do not change it)."""

    def load_state(self, state: TrainState) -> None:
        """Continue from a state; ``ValueError`` when it does not fit this engine."""
