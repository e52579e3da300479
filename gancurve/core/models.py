"""The two players as torch modules (for the reference trainer, CUDA and model export).

Their weights come from :mod:`gancurve.core.networks`, so a torch module and the numpy engine
start from the same numbers and a checkpoint's arrays load into either.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gancurve.core.config import TrainConfig
from gancurve.core.networks import Weights, initial_weights


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


def load_weights(module: nn.Module, weights: Weights) -> nn.Module:
    """Copy numpy weights into a module (shapes must match), keeping the module's dtype."""
    dtype = next(module.parameters()).dtype
    module.load_state_dict(
        {name: torch.from_numpy(np.ascontiguousarray(w)).to(dtype) for name, w in weights.items()}
    )
    return module


def module_weights(module: nn.Module) -> Weights:
    """A module's weights as numpy arrays in the module's dtype (copies)."""
    return {name: t.detach().cpu().numpy().copy() for name, t in module.state_dict().items()}


def build_models(config: TrainConfig) -> tuple[Generator, Discriminator]:
    """G and D with the run's initial weights (:func:`gancurve.core.networks.initial_weights`)."""
    weights = initial_weights(config)
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws a default init: leave the caller's RNG be
        generator = Generator(config.g_inputs, config.hidden, config.points)
        discriminator = Discriminator(config.d_inputs, config.hidden)
    load_weights(generator, weights["generator"])
    load_weights(discriminator, weights["discriminator"])
    return generator, discriminator
