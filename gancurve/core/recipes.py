"""Named recipes (``--recipe``): sets of training choices, and a run's choices in one line.

A recipe fills in the options a user did not give; an option given explicitly wins. Its values
are written as the options are (``betas`` a pair, ``decay_start`` a share of ``--steps``), so
that a preset reads like the command line it stands for. docs/recipes.md has the evidence for
each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gancurve.core.config import TrainConfig


@dataclass(frozen=True)
class Recipe:
    """A named preset of training options."""

    name: str
    summary: str  # one line for the help and the docs
    options: dict[str, Any] = field(default_factory=dict)  # option name (as in the CLI) → value


RECIPES = {
    "tutorial": Recipe("tutorial", "the tutorial's: minimax, Adam lr 1e-4, betas 0.9/0.999 (the defaults)"),
    "best": Recipe(
        "best",
        "non-saturating, Adam lr 8e-4 with betas 0/0.99, linear decay over the second half "
        "(docs/recipes.md: 5x lower W1 than the tutorial's in the same steps)",
        {
            "loss": "non-saturating",
            "lr_g": 8e-4,
            "lr_d": 8e-4,
            "betas": (0.0, 0.99),
            "lr_schedule": "linear-decay",
            "decay_start": 0.5,
        },
    ),
}


def describe(config: TrainConfig) -> str:
    """A run's training choices in one line, e.g. ``minimax · Adam 1e-4/1e-4, betas 0.9/0.999``."""
    artist = f"{config.artist} ({config.modes})" if config.artist == "parabola-modes" else config.artist
    parts = [] if config.artist == "parabola" else [artist]
    if config.condition != "none":
        parts.append(f"conditioned on {config.condition}")
    parts.append(config.loss)
    rates = f"{config.lr_g:g}" if config.lr_g == config.lr_d else f"G {config.lr_g:g}, D {config.lr_d:g}"
    parts.append(f"Adam {rates}, betas {config.beta1:g}/{config.beta2:g}")
    if config.lr_schedule == "linear-decay":
        parts.append(f"linear decay steps {config.decay_start:,}–{config.decay_end:,}")
    if config.r1 > 0:
        parts.append(f"R1 {config.r1:g}")
    if config.d_steps > 1:
        parts.append(f"{config.d_steps} D steps per G step")
    if config.ema > 0:
        parts.append(f"EMA {config.ema:g}")
    if config.batch_size != TrainConfig().batch_size:
        parts.append(f"batch {config.batch_size}")
    return " · ".join(parts)
