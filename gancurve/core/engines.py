"""Choosing a training engine. Every engine computes the reference step; they differ in speed.

- ``reference``: :class:`~gancurve.core.trainer.Trainer`, readable autograd (any device);
- ``fast`` on the CPU: :class:`~gancurve.core.fast.NumpyEngine`, explicit numpy forward/backward;
- ``fast`` on CUDA: :class:`~gancurve.core.graphed.GraphEngine`, one CUDA graph per step;
- ``fast`` elsewhere (mps): the reference trainer.

All of them save the same checkpoint, so a run can be resumed by any engine on the same device.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch import nn

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig
from gancurve.core.trainer import StepStats, Trainer

ENGINES = ("fast", "reference")


class Engine(Protocol):
    """What the training loop needs from an engine."""

    config: TrainConfig
    device: torch.device
    artist: ParabolaArtist

    @property
    def step_count(self) -> int:
        """Steps taken so far."""

    @property
    def generator(self) -> nn.Module:
        """G with the current weights."""

    @property
    def discriminator(self) -> nn.Module:
        """D with the current weights."""

    def step(self) -> object:
        """One training step."""

    def last_stats(self) -> StepStats:
        """What the latest step measured."""

    def paint(self, ideas: torch.Tensor) -> torch.Tensor:
        """G's paintings for the given ideas."""

    def state_dict(self) -> dict[str, Any]:
        """The full training state (the reference trainer's format)."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`."""


def make_engine(config: TrainConfig, device: torch.device | str, kind: str = "fast") -> Engine:
    """The engine of that kind for this device."""
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r}; choose one of {', '.join(ENGINES)}")
    device = torch.device(device)
    if kind == "fast" and device.type == "cpu":
        from gancurve.core.fast import NumpyEngine

        return NumpyEngine(config)
    if kind == "fast" and device.type == "cuda":
        from gancurve.core.graphed import GraphEngine

        return GraphEngine(config, device)
    return Trainer(config, device)
