"""The readable training step: the tutorial's loop, one obvious line per idea.

This autograd trainer is the reference implementation. Faster engines must match it
(same losses, same update order, same random draws); the tests use it as their oracle.
"""

from __future__ import annotations

import copy
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

    def as_floats(self) -> dict[str, float]:
        """The four numbers by name, with a single device-to-host copy."""
        values = torch.stack([self.d_loss, self.g_loss, self.d_accuracy, self.d_score]).tolist()
        return dict(zip(("d_loss", "g_loss", "d_accuracy", "d_score"), values, strict=True))


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


def draw_batch(
    artist: ParabolaArtist, config: TrainConfig, rng: torch.Generator, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step's random draws, in the order every engine uses: the artist's batch, then the ideas."""
    real = artist.sample(config.batch_size, rng, dtype)
    ideas = torch.randn(config.batch_size, config.ideas, generator=rng, device=rng.device, dtype=dtype)
    return real, ideas


class Trainer:
    """Owns G, D, both Adam optimizers, the random generator and the step counter."""

    def __init__(
        self,
        config: TrainConfig,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        capturable: bool = False,
    ) -> None:
        self.config = config
        self.device = torch.device(device)
        self.dtype = dtype  # float64 lets tests compare engines to 1e-10
        self.artist = ParabolaArtist(config.points)
        generator, discriminator = build_models(config)
        self.generator = generator.to(self.device, dtype)
        self.discriminator = discriminator.to(self.device, dtype)
        # capturable keeps Adam's step count on the device, so a CUDA graph can replay the update.
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g, capturable=capturable)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, capturable=capturable)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.step_count = 0
        self._last: StepStats | None = None

    def draw_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The artist's paintings and G's ideas for one step, in this fixed order."""
        return draw_batch(self.artist, self.config, self.rng, self.dtype)

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
        self._last = StepStats(
            d_loss=d_loss.detach(),
            g_loss=g_loss.detach(),
            d_accuracy=d_accuracy(real_logits.detach()),
            d_score=d_score(real_logits.detach(), fake_logits.detach()),
        )
        return self._last

    def last_stats(self) -> StepStats:
        """What the latest step measured (left on the device; nothing is copied)."""
        if self._last is None:
            raise RuntimeError("no step has been taken yet")
        return self._last

    @torch.no_grad()
    def paint(self, ideas: torch.Tensor) -> torch.Tensor:
        """G's paintings for the given ideas, on the trainer's device."""
        return self.generator(ideas.to(self.device, self.dtype))  # type: ignore[no-any-return]

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this run exactly: weights, Adam, RNG, step.

        A deep copy: torch's own state dicts alias live tensors (Adam's step counter among
        them), and a loader that keeps such a tensor would share it with this trainer.
        """
        return copy.deepcopy(
            {
                "step": self.step_count,
                "generator": self.generator.state_dict(),
                "discriminator": self.discriminator.state_dict(),
                "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(),
                "rng": self.rng.get_state(),
            }
        )

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
