"""The two players: the generator (painter) and the discriminator (critic)."""

from __future__ import annotations

import torch
from torch import nn

from gancurve.core.config import TrainConfig


class Generator(nn.Module):
    """Turns random ideas into a painting: ideas → hidden (ReLU) → points."""

    def __init__(self, ideas: int = 5, hidden: int = 128, points: int = 15) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(ideas, hidden), nn.ReLU(), nn.Linear(hidden, points))

    def forward(self, ideas: torch.Tensor) -> torch.Tensor:
        """Paintings of shape ``(n, points)`` for ideas of shape ``(n, ideas)``."""
        return self.net(ideas)  # type: ignore[no-any-return]


class Discriminator(nn.Module):
    """Scores a painting: points → hidden (ReLU) → one logit.

    The tutorial ends with a sigmoid; we return the logit instead and apply
    ``sigmoid``/``logsigmoid`` in the loss, which is the same math without
    ``log(0) = -inf`` when D becomes confident.
    """

    def __init__(self, points: int = 15, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(points, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, paintings: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n,)``: ``sigmoid(logit)`` is the probability of 'real'."""
        return self.net(paintings).squeeze(-1)  # type: ignore[no-any-return]


def build_models(config: TrainConfig) -> tuple[Generator, Discriminator]:
    """G and D with weights drawn from ``config.seed`` on the CPU, identical on every device."""
    with torch.random.fork_rng(devices=[]):  # leave the caller's global RNG untouched
        torch.manual_seed(config.seed)
        generator = Generator(config.ideas, config.hidden, config.points)
        discriminator = Discriminator(config.points, config.hidden)
    return generator, discriminator
