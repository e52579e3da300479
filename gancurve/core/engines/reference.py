"""The readable training step: the tutorial's loop, one obvious line per idea.

This autograd trainer is the reference implementation. Faster engines must match it
(same losses, same update order, same random draws); the tests use it as their oracle.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig
from gancurve.core.draws import draw_batch
from gancurve.core.engines.protocol import StepStats
from gancurve.core.losses import d_accuracy, d_score, minimax_d_loss, minimax_g_loss
from gancurve.core.models import build_models


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
        self.notice: str | None = None  # the readable trainer never changes course
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
