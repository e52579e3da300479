"""What the training loop needs from an engine, and what one step reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig


@dataclass(frozen=True)
class StepStats:
    """What one step measured, as 0-d tensors left on the device.

    They stay tensors so that the loop can batch the GPU→CPU copies.
    """

    d_loss: torch.Tensor
    g_loss: torch.Tensor
    d_accuracy: torch.Tensor  # D's mean probability on the artist's batch (0.5 at equilibrium)
    d_score: torch.Tensor  # mean log D(x) + log(1 - D(G(z))) (2·log 0.5 = -1.386 at equilibrium)

    def as_floats(self) -> dict[str, float]:
        """The four numbers by name, with a single device-to-host copy."""
        values = torch.stack([self.d_loss, self.g_loss, self.d_accuracy, self.d_score]).tolist()
        return dict(zip(("d_loss", "g_loss", "d_accuracy", "d_score"), values, strict=True))


class Engine(Protocol):
    """One implementation of the training step; every engine computes the reference's math."""

    config: TrainConfig
    device: torch.device
    artist: ParabolaArtist
    #: A one-line message for the user when the engine had to change course (e.g. a CUDA graph
    #: could not be captured and it runs eagerly); None when there is nothing to say.
    notice: str | None

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
