"""The hyperparameters of one GAN, with the tutorial's values as defaults — each declared once.

Every training choice is one field of :class:`TrainConfig` declared with :func:`choice`: its type
and default (the field's), the rule its value must follow, one line of help, its named values,
whether a sweep may vary it (a grid axis). The command line's options of ``train`` and ``sweep``,
the Python API's keyword arguments, a grid's axes, the checks, the help text and docs/cli.md are
all made from these declarations (``TrainConfig.choices()``); ``TrainConfig`` is the only validator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import Field, asdict, dataclass, field, fields
from typing import Any, TypeGuard

from gancurve.core.objectives import LOSSES, OBJECTIVES
from gancurve.core.schedule import DECAYING, SCHEDULES

#: The families of real paintings (``--artist``; ``core.artist.make_artist`` builds them); the
#: first is the default, the tutorial's.
ARTISTS = ("parabola", "parabola-modes", "bump", "dirac")
#: What G and D are told besides their usual input (``--condition``; ``core.condition`` says how):
#: nothing (the tutorial's), the painting's half of the law as a label 0/1 (the conditional
#: lesson's), or its ``a`` itself. Each adds this many input columns to G and to D.
CONDITION_WIDTHS = {"none": 0, "label": 1, "a": 1}
CONDITIONS = tuple(CONDITION_WIDTHS)
#: The laws of G's ideas (``--prior``; ``core.draws.draw_ideas`` draws them): each number standard
#: normal (the tutorial's) or uniform on [-1, 1].
PRIORS = ("normal", "uniform")
#: How G and D learn from their gradients (``--optimizer``): torch's Adam (the tutorial's), or plain
#: gradient descent with heavy-ball momentum (``--momentum``; torch's SGD). Their code in the hyper table.
OPTIMIZERS = ("adam", "sgd")
OPTIMIZER_CODES = {name: float(index) for index, name in enumerate(OPTIMIZERS)}
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
class Rule:
    """What a choice's value must be: in words (``a positive finite number``) and as a test."""

    text: str
    accepts: Callable[[object], bool]
    bounds: str | None = None  # the range, briefly, for the help (``1 to 4,096``)

    def problem(self, name: str, value: object) -> str | None:
        """The sentence that refuses ``value`` for the choice called ``name`` (None: accepted)."""
        return None if self.accepts(value) else f"{name} must be {self.text}, got {value!r}"


def whole(low: int, high: int) -> Rule:
    """A whole number from ``low`` to ``high`` (not a bool, not 128.0)."""
    bounds = "0 to 2**63 - 1" if high == SEED_MAX else f"{low:,} to {high:,}"
    return Rule(f"a whole number from {bounds}", lambda v: _is_int(v) and low <= v <= high, bounds)


def one_of(names: tuple[str, ...]) -> Rule:
    """One of ``names``."""
    return Rule(f"one of {', '.join(names)}", lambda v: isinstance(v, str) and v in names)


POSITIVE = Rule("a positive finite number", lambda v: _is_real(v) and 0 < v < math.inf)
NON_NEGATIVE = Rule("a finite number, 0 or more", lambda v: _is_real(v) and 0 <= v < math.inf)
FRACTION = Rule("a number from 0 up to (not including) 1", lambda v: _is_real(v) and 0 <= v < 1)
DECAY = Rule("a decay from 0 up to (not including) 1, like 0.999", FRACTION.accepts)
STEP = Rule("a whole number of steps, 0 or more", lambda v: _is_int(v) and v >= 0)


@dataclass(frozen=True)
class Choice:
    """One training choice, as :func:`choice` declares it on a :class:`TrainConfig` field."""

    help: str  # one line: what it is (the CLI adds its default)
    rule: Rule  # what its value must be
    names: tuple[str, ...] = ()  # its named values, when it picks one of them
    grid: bool = False  # a sweep may give several values: one recipe per value (a grid axis)
    option: bool = True  # the command line and the API take it under its own name (else through
    #                      another option: the betas as one pair, the decay's steps from a share)
    metavar: str | None = None  # how the help names its value (default: from the type or names)
    needs: tuple[str, Any] | None = None  # (field, value): a choice that means something only then;
    #     given without it, the options are refused (recipes.choose). A name must be given as is; a
    #     number stands for any positive value (it is the example the sentence offers: --ema 0.999)


def choice(
    default: Any,
    help: str,
    rule: Rule | None = None,
    *,
    names: tuple[str, ...] = (),
    grid: bool = False,
    option: bool = True,
    metavar: str | None = None,
    needs: tuple[str, Any] | None = None,
) -> Any:
    """A training choice's declaration: a dataclass field with its :class:`Choice`."""
    declared = Choice(help, rule or one_of(names), names, grid, option, metavar, needs)
    return field(default=default, metadata={"choice": declared})


def _loss_help() -> str:
    described = [f"{name} ({objective.help})" for name, objective in OBJECTIVES.items()]
    return (
        f"The objective of D and G: {', '.join(described[:-1])} or {described[-1]}; "
        "use wasserstein-gp with --d-steps 5."
    )


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run learns.

    Cadence (how often to log, snapshot or checkpoint) and the run length are not
    here: they do not change the math, so a run may be resumed with other values.
    """

    seed: int = choice(1, "Seeds weights, data and ideas.", whole(0, SEED_MAX))
    batch_size: int = choice(
        64, "Paintings per batch, for the artist and for G alike.", whole(*SIZE_LIMITS["batch_size"])
    )
    lr_g: float = choice(1e-4, "Generator's learning rate.", POSITIVE, grid=True)
    lr_d: float = choice(1e-4, "Discriminator's learning rate.", POSITIVE, grid=True)
    optimizer: str = choice(
        "adam",
        "How both networks learn: adam (torch's Adam, the tutorial's) or sgd (plain gradient descent, "
        "w -= lr·m with m = momentum·m + gradient: torch's SGD; --betas do not apply).",
        names=OPTIMIZERS,
        grid=True,
    )
    momentum: float = choice(
        0.0,
        "With --optimizer sgd: the heavy-ball momentum of both networks; 0: none.",
        FRACTION,
        grid=True,
        metavar="<beta>",
        needs=("optimizer", "sgd"),
    )
    beta1: float = choice(
        0.9, "Both Adams' first-moment decay (torch's default, the tutorial's).", FRACTION, option=False
    )
    beta2: float = choice(
        0.999, "Both Adams' second-moment decay (torch's default, the tutorial's).", FRACTION, option=False
    )
    loss: str = choice("minimax", _loss_help(), names=LOSSES, grid=True)
    r1: float = choice(
        0.0,
        "R1 penalty: gamma/2 times D's squared slope on the artist's paintings (Mescheder et al. "
        "2018); 0: none.",
        NON_NEGATIVE,
        grid=True,
        metavar="<gamma>",
    )
    instance_noise: float = choice(
        0.0,
        "Instance noise: Gaussian noise of this std added to every painting D sees in its update, the "
        "artist's and G's (not the condition; R1's slope is taken at the noisy painting), times the "
        "learning-rate schedule's decay (annealed as the rates are; not warmed up); 0: none.",
        NON_NEGATIVE,
        grid=True,
        metavar="<sigma>",
    )
    ema: float = choice(
        0.0,
        "Keep a moving average of G's weights with this decay (0.999: a half-life of ~700 steps), saved "
        "with the run; sample, evaluate, plot and export then use it (--raw: G itself). 0: none.",
        DECAY,
        grid=True,
        metavar="<decay>",
    )
    ema_start: int = choice(
        0,
        "The step where G's average starts: up to it the average is G itself, then it averages from "
        "G's weights there (fixed when the run starts, from --ema-start's share of --steps).",
        STEP,
        option=False,
    )
    d_steps: int = choice(
        1, "Updates of D per update of G, each on fresh draws (WGAN-GP: 5).", whole(*SIZE_LIMITS["d_steps"])
    )
    artist: str = choice(
        "parabola",
        "The family of real paintings: parabola (the tutorial's, a ~ U(1, 2)), parabola-modes (the same "
        "curves, a from --modes narrow modes: a testbed for mode collapse), bump (Gaussian bumps "
        "a·exp(-2x²), a ~ U(1, 2)) or dirac (one curve, a = 1.5: the Dirac-GAN of Mescheder et al. 2018).",
        names=ARTISTS,
    )
    modes: int = choice(
        4,
        "With --artist parabola-modes: how many modes.",
        whole(*SIZE_LIMITS["modes"]),
        needs=("artist", "parabola-modes"),
    )
    condition: str = choice(
        "none",
        "What G and D are told of each painting besides its points: none (the tutorial's), label (its "
        "half of a, 0 or 1: the tutorial's conditional lesson) or a (its a itself).",
        names=CONDITIONS,
    )
    lr_schedule: str = choice(
        "constant",
        "Both learning rates: constant, linear-decay (falling linearly to 0 at the end of --steps) or "
        "cosine (along half a cosine, to 0 at the same step); instance noise decays with them.",
        names=SCHEDULES,
        grid=True,
    )
    decay_start: int = choice(
        0, "The step where the decay starts (fixed when the run starts).", STEP, option=False
    )
    decay_end: int = choice(0, "The step where the decay reaches 0.", STEP, option=False)
    warmup: int = choice(
        0,
        "Warm both learning rates up from 0 over this many first steps (step t has t/STEPS of the rate, "
        "times the schedule's factor; instance noise is not warmed up); 0: none.",
        STEP,
        grid=True,
        metavar="<steps>",
    )
    ideas: int = choice(5, "Random ideas G paints from.", whole(*SIZE_LIMITS["ideas"]))
    prior: str = choice(
        "normal",
        "The law of each of G's ideas: normal (standard normal, the tutorial's) or uniform (on [-1, 1]); "
        "training, snapshots, evaluate and sample all draw from it.",
        names=PRIORS,
        grid=True,
    )
    points: int = choice(15, "Points per painting on [-1, 1].", whole(*SIZE_LIMITS["points"]))
    hidden: int = choice(128, "Hidden units of G and D.", whole(*SIZE_LIMITS["hidden"]))

    def __post_init__(self) -> None:
        # Every field by its own rule (types too: a config read from a damaged file may hold 128.5
        # or true), then the rules between fields.
        for name, declared in self.choices().items():
            problem = declared.rule.problem(name, getattr(self, name))
            if problem:
                raise ValueError(problem)
        self._check_schedule()
        self._check_condition()
        if self.ema_start and not self.ema:
            raise ValueError("ema_start belongs to a moving average of G's weights (ema > 0)")

    @classmethod
    def choices(cls) -> dict[str, Choice]:
        """Every training choice's declaration, by field name, in the order the help lists them."""
        return {f.name: f.metadata["choice"] for f in fields(cls)}

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of the field ``name``."""
        declared: Field[Any] = cls.__dataclass_fields__[name]
        return declared.default

    def _check_schedule(self) -> None:
        start, end = self.decay_start, self.decay_end
        if self.lr_schedule == "constant" and (start, end) != (0, 0):
            raise ValueError("decay_start and decay_end belong to a decaying schedule only")
        if self.lr_schedule in DECAYING and not 0 <= start < end:
            raise ValueError(f"the decay must start before it ends, at step 0 or later; got {start} to {end}")

    def _check_condition(self) -> None:
        if self.condition == "label" and self.artist == "parabola-modes" and self.modes % 2:
            # The label splits a at its median, which an odd number of modes puts inside a mode.
            raise ValueError(f"the label condition needs an even number of modes, got {self.modes}")
        if self.condition != "none" and self.artist == "dirac":
            # Every painting of the point is the same: there is nothing to ask G for.
            raise ValueError(
                f"the dirac artist paints one curve: --condition {self.condition} has no meaning there"
            )

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

    def differences_in(self, other: TrainConfig) -> list[str]:
        """The names of the fields whose values differ from ``other``'s, in declaration order."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    def differences(self, other: TrainConfig) -> list[str]:
        """Human-readable list of fields that differ, as ``name: self -> other``."""
        return [
            f"{f.name}: {getattr(self, f.name)} -> {getattr(other, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        ]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
