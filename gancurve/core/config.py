"""The hyperparameters of one GAN, with the tutorial's values as defaults."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from gancurve.core.objectives import LOSSES
from gancurve.core.schedule import SCHEDULES

#: The families of real paintings (``--artist``; ``core.artist.make_artist`` builds them); the
#: first is the default, the tutorial's.
ARTISTS = ("parabola", "parabola-modes", "bump")
#: What G and D are told besides their usual input (``--condition``; ``core.condition`` says how):
#: nothing (the tutorial's), the painting's half of the law as a label 0/1 (the conditional
#: lesson's), or its ``a`` itself. Each adds this many input columns to G and to D.
CONDITION_WIDTHS = {"none": 0, "label": 1, "a": 1}
CONDITIONS = tuple(CONDITION_WIDTHS)
#: Seeds are at most 63 bits: every generator that takes one (torch's, numpy's) accepts them.
SEED_MAX = 2**63 - 1
#: The sizes a run may ask for, (smallest, largest). The largest keep one step's arrays far
#: below a laptop's memory (batch × hidden floats per layer), so a typo fails at once, clearly.
SIZE_LIMITS = {
    "batch_size": (1, 65_536),
    "ideas": (1, 1_024),
    "points": (2, 1_024),
    "hidden": (1, 4_096),
    "d_steps": (1, 100),
    "modes": (2, 32),
}
#: The most paintings one ``sample``/``evaluate``/``export samples`` draws: G's hidden layer for
#: a million paintings is already half a gigabyte.
PAINTINGS_MAX = 1_000_000
#: ``evaluate``'s defaults; a sweep's summary scores every member with them, so that
#: ``gancurve evaluate --run SWEEP/seed-007`` prints the numbers of the summary's row.
EVALUATE_SAMPLES = 10_000
EVALUATE_SEED = 0
#: What ``gancurve compare`` compares sweeps by (``w1`` first: the default).
COMPARE_METRICS = ("w1", "ks", "residual", "in_bounds", "coverage")


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
    loss: str = "minimax"  # the objective (objectives.LOSSES); the tutorial's
    beta1: float = 0.9  # both Adams' first-moment decay (torch's default, the tutorial's)
    beta2: float = 0.999  # both Adams' second-moment decay (torch's default, the tutorial's)
    lr_schedule: str = "constant"  # or "linear-decay": both learning rates fall to 0 ...
    decay_start: int = 0  # ... linearly from this step ...
    decay_end: int = 0  # ... to this one (steps, fixed when the run starts)
    r1: float = 0.0  # γ of the R1 penalty γ/2·‖∇ₓ D(x)‖² on the artist's paintings (0: none)
    ema: float = 0.0  # decay of an exponential moving average of G's weights (0: none kept)
    d_steps: int = 1  # updates of D per update of G (WGAN-GP's critic takes 5), each on fresh draws
    artist: str = "parabola"  # the family of real paintings (artist.ARTISTS)
    modes: int = 4  # with the parabola-modes artist: how many modes a is drawn from
    condition: str = "none"  # what G and D are told of each painting (CONDITIONS): its label or its a

    def __post_init__(self) -> None:
        # Types are checked too: a config read from a damaged file may hold 128.5 or true.
        for name, (low, high) in SIZE_LIMITS.items():
            value = getattr(self, name)
            if not _is_int(value) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not _is_real(value) or not 0 < value < math.inf:
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        if not _is_int(self.seed) or not 0 <= self.seed <= SEED_MAX:
            raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, got {self.seed!r}")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not _is_real(value) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a number from 0 up to (not including) 1, got {value!r}")
        if not _is_real(self.r1) or not 0 <= self.r1 < math.inf:
            raise ValueError(f"r1 must be a finite number, 0 or more, got {self.r1!r}")
        if not _is_real(self.ema) or not 0 <= self.ema < 1:
            raise ValueError(f"ema must be a decay from 0 up to (not including) 1, got {self.ema!r}")
        self._check_schedule()
        if self.artist not in ARTISTS:
            raise ValueError(f"unknown artist {self.artist!r}; choose from {', '.join(ARTISTS)}")
        self._check_condition()
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")

    def _check_schedule(self) -> None:
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"unknown lr_schedule {self.lr_schedule!r}; choose from {', '.join(SCHEDULES)}")
        start, end = self.decay_start, self.decay_end
        if not (_is_int(start) and _is_int(end)):
            raise ValueError(f"decay_start and decay_end must be whole numbers, got {start!r} and {end!r}")
        if self.lr_schedule == "constant" and (start, end) != (0, 0):
            raise ValueError("decay_start and decay_end belong to the linear-decay schedule only")
        if self.lr_schedule == "linear-decay" and not 0 <= start < end:
            raise ValueError(f"the decay must start before it ends, at step 0 or later; got {start} to {end}")

    def _check_condition(self) -> None:
        if self.condition not in CONDITIONS:
            raise ValueError(f"unknown condition {self.condition!r}; choose from {', '.join(CONDITIONS)}")
        if self.condition == "label" and self.artist == "parabola-modes" and self.modes % 2:
            # The label splits a at its median, which an odd number of modes puts inside a mode.
            raise ValueError(f"the label condition needs an even number of modes, got {self.modes}")

    @property
    def g_inputs(self) -> int:
        """G's input columns: the ideas, then the condition's."""
        return self.ideas + CONDITION_WIDTHS[self.condition]

    @property
    def d_inputs(self) -> int:
        """D's input columns: the painting's points, then the condition's."""
        return self.points + CONDITION_WIDTHS[self.condition]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy of the fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config, ignoring keys this version does not know; ``ValueError`` if it is not one."""
        if not isinstance(data, dict):
            raise ValueError(f"a configuration is a mapping of names to values, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def differences(self, other: TrainConfig) -> list[str]:
        """Human-readable list of fields that differ, as ``name: self -> other``."""
        return [
            f"{f.name}: {getattr(self, f.name)} -> {getattr(other, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        ]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
