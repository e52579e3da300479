"""The hyperparameters of one GAN, with the tutorial's values as defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

LOSSES = ("minimax",)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run learns.

    Cadence (how often to log, snapshot or checkpoint) and the run length are not
    here: they do not change the math, so a run may be resumed with other values.
    """

    batch_size: int = 64  # paintings per batch, for the artist and for G alike
    lr_g: float = 1e-4  # Adam learning rate of the generator
    lr_d: float = 1e-4  # Adam learning rate of the discriminator
    ideas: int = 5  # size of G's random input ("ideas" in the tutorial)
    points: int = 15  # points per painting, evenly spaced on [-1, 1]
    hidden: int = 128  # width of the one hidden layer of G and of D
    seed: int = 1  # seeds the weights, the artist and the ideas
    loss: str = "minimax"  # the GAN objective; the tutorial's log D(x) + log(1 - D(G(z)))

    def __post_init__(self) -> None:
        for name in ("batch_size", "ideas", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.points < 2:
            raise ValueError(f"points must be at least 2, got {self.points}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not value > 0 or value != value or value == float("inf"):
                raise ValueError(f"{name} must be a positive finite number, got {value}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy of the fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def differences(self, other: TrainConfig) -> list[str]:
        """Human-readable list of fields that differ, as ``name: self -> other``."""
        return [
            f"{f.name}: {getattr(self, f.name)} -> {getattr(other, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        ]
