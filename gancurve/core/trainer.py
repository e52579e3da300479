"""The readable training step: the tutorial's loop, one obvious line per idea.

This autograd trainer is the reference implementation. Faster engines must match it
(same losses, same update order, same random draws); the tests use it as their oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig
from gancurve.core.losses import d_accuracy, d_score, minimax_d_loss, minimax_g_loss
from gancurve.core.models import Discriminator, Generator


@dataclass(frozen=True)
class StepStats:
    """What one step measured, as 0-d tensors left on the device.

    They stay tensors so that the loop can batch the GPU→CPU copies.
    """

    d_loss: torch.Tensor
    g_loss: torch.Tensor
    d_accuracy: torch.Tensor  # D's mean probability on the artist's batch (0.5 at equilibrium)
    d_score: torch.Tensor  # mean log D(x) + log(1 - D(G(z))) (2·log 0.5 = -1.386 at equilibrium)


def derived_seed(seed: int, stream: int) -> int:
    """An independent seed for a named side stream (fixed ideas, evaluation samples...).

    Side streams must not draw from the training generator: otherwise changing how
    often we take snapshots would change the training run itself.
    """
    return int(np.random.SeedSequence([seed, stream]).generate_state(1, dtype=np.uint64)[0] >> 1)


def build_models(config: TrainConfig) -> tuple[Generator, Discriminator]:
    """G and D with weights drawn from ``config.seed`` on the CPU, identical on every device."""
    with torch.random.fork_rng(devices=[]):  # leave the caller's global RNG untouched
        torch.manual_seed(config.seed)
        generator = Generator(config.ideas, config.hidden, config.points)
        discriminator = Discriminator(config.points, config.hidden)
    return generator, discriminator


def fixed_ideas(config: TrainConfig, n: int = 16) -> torch.Tensor:
    """The ideas used for every snapshot of a run, so pictures stay comparable over time."""
    rng = torch.Generator().manual_seed(derived_seed(config.seed, 1))
    return torch.randn(n, config.ideas, generator=rng)


class Trainer:
    """Owns G, D, both Adam optimizers, the random generator and the step counter."""

    def __init__(self, config: TrainConfig, device: torch.device | str = "cpu") -> None:
        self.config = config
        self.device = torch.device(device)
        self.artist = ParabolaArtist(config.points)
        generator, discriminator = build_models(config)
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.step_count = 0

    def draw_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The artist's paintings and G's ideas for one step, in this fixed order."""
        real = self.artist.sample(self.config.batch_size, self.rng)
        ideas = torch.randn(self.config.batch_size, self.config.ideas, generator=self.rng, device=self.device)
        return real, ideas

    def step(self) -> StepStats:
        """One round of the game: D learns on this batch, then G learns against the new D."""
        real, ideas = self.draw_batch()
        fake = self.generator(ideas)

        # (1) Update D: score the artist's paintings up and G's down. `detach` keeps
        # D's loss from reaching into G.
        real_logits = self.discriminator(real)
        fake_logits = self.discriminator(fake.detach())
        d_loss = minimax_d_loss(real_logits, fake_logits)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        # (2) Update G against the D that just learned: minimise log(1 - D(G(z))).
        g_loss = minimax_g_loss(self.discriminator(fake))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()

        self.step_count += 1
        return StepStats(
            d_loss=d_loss.detach(),
            g_loss=g_loss.detach(),
            d_accuracy=d_accuracy(real_logits.detach()),
            d_score=d_score(real_logits.detach(), fake_logits.detach()),
        )

    @torch.no_grad()
    def paint(self, ideas: torch.Tensor) -> torch.Tensor:
        """G's paintings for the given ideas, on the trainer's device."""
        return self.generator(ideas.to(self.device))  # type: ignore[no-any-return]

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this run exactly: weights, Adam, RNG, step."""
        return {
            "step": self.step_count,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": self.rng.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; raises ``ValueError`` when it does not fit."""
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            self.rng.set_state(state["rng"])
            self.step_count = int(state["step"])
        except (KeyError, RuntimeError, TypeError, ValueError) as error:
            raise ValueError(f"the saved training state does not fit this model: {error}") from error
        # The config is the truth for learning rates (a forced resume may change them).
        for group in self.opt_g.param_groups:
            group["lr"] = self.config.lr_g
        for group in self.opt_d.param_groups:
            group["lr"] = self.config.lr_d
