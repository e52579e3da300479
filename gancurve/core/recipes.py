"""The training options a user gives (the vocabulary of ``train``, ``sweep`` and the Python API),
named recipes, and how the two merge into a run's training choices.

Each option is a :class:`~gancurve.core.config.TrainConfig` field declared with its
:class:`~gancurve.core.config.Choice`, except three that stand for several fields or none: the
recipe, the betas as one pair, and where the learning-rate decay starts as a share of the run.
A recipe fills in the options a user did not give; an option given explicitly wins. A recipe's
values are written as the options are (``betas`` a pair, ``decay_start`` a share of the run), so
that a preset reads like the command line it stands for. docs/recipes.md has the evidence for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from gancurve.core.config import FRACTION, Choice, Rule, TrainConfig, one_of
from gancurve.core.schedule import DECAYING, DEFAULT_DECAY_START, decay_steps


@dataclass(frozen=True)
class Recipe:
    """A named preset of training options."""

    name: str
    summary: str  # one line for the help and the docs
    options: dict[str, Any] = field(default_factory=dict)  # option name → value, as the user gives it


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


@dataclass(frozen=True)
class Option:
    """One training option: its name (the API's keyword, ``--name-with-dashes`` on the command
    line), its declaration, the type of its value and its default."""

    name: str
    choice: Choice
    kind: type  # int, float, str; tuple for the betas
    default: Any

    @property
    def flag(self) -> str:
        """The command line's name: ``--lr-g``."""
        return "--" + self.name.replace("_", "-")

    def parse(self, text: str) -> Any:
        """A value as typed on the command line (``ValueError`` if it is not one of its kind)."""
        if self.kind is tuple:
            return tuple(float(part) for part in text.split(","))
        return self.kind(text.strip())


def _pair_of_fractions(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(FRACTION.accepts(part) for part in value)


_RECIPE = Option(
    "recipe",
    Choice(
        "A named set of training choices, or a file of them (mine.toml, or a run's config.json to run "
        "it again); options you give override it. "
        + "; ".join(f"{recipe.name}: {recipe.summary}" for recipe in RECIPES.values())
        + ".",
        one_of(tuple(RECIPES)),
        tuple(RECIPES),
        grid=True,
        metavar="<" + "|".join(RECIPES) + "|file>",
    ),
    str,
    "tutorial",
)
#: The options that stand for fields set another way (``Choice.option`` is False on those fields):
#: the pair of betas, and the decay's start as a share of the run (its steps depend on --steps).
_FORMS = {
    "beta1": Option(
        "betas",
        Choice(
            "Both Adams' betas, e.g. 0.5,0.99.",
            Rule("two numbers from 0 up to (not including) 1, like 0.5,0.99", _pair_of_fractions),
            metavar="<b1,b2>",
        ),
        tuple,
        (TrainConfig.default("beta1"), TrainConfig.default("beta2")),
    ),
    "ema_start": Option(
        "ema_start",
        Choice(
            "With --ema: where G's average starts, as a share of --steps (before it the average is G "
            "itself; 0.5: an average over the second half only). 0: from the start.",
            FRACTION,
            grid=True,
            metavar="<share>",
            needs=("ema", 0.999),
        ),
        float,
        0.0,
    ),
    "decay_start": Option(
        "decay_start",
        Choice(
            "With --lr-schedule linear-decay or cosine: where the decay starts, as a share of --steps.",
            FRACTION,
        ),
        float,
        DEFAULT_DECAY_START,
    ),
}
_KINDS = {"int": int, "float": float, "str": str}


def _training_options() -> dict[str, Option]:
    options = {_RECIPE.name: _RECIPE}
    for declared in fields(TrainConfig):
        choice = declared.metadata["choice"]
        if choice.option:
            options[declared.name] = Option(
                declared.name, choice, _KINDS[str(declared.type)], declared.default
            )
        elif declared.name in _FORMS:
            options[_FORMS[declared.name].name] = _FORMS[declared.name]
    return options


#: Every training option, in the order the help lists them (the config's fields' order).
TRAINING_OPTIONS = _training_options()


@dataclass(frozen=True)
class Choices:
    """A run's training choices as asked: a whole config, and the fields that were asked for (given,
    or filled by a recipe). The others are defaults, which a resumed run takes from its own config."""

    config: TrainConfig
    given: frozenset[str]
    decay_share: float | None = None  # the linear decay's start as a share of the run, when asked
    ema_share: float | None = None  # where G's average starts as a share of the run, when asked

    def at(self, steps: int) -> Choices:
        """The same choices for a run of ``steps`` steps: a linear decay and an average's start
        asked for are fixed from the run's length (a resume without --steps has the run's own
        total, not the default's)."""
        config = self.config
        if self.ema_share is not None:
            config = replace(config, ema_start=round(self.ema_share * steps))
        if config.lr_schedule in DECAYING and "decay_end" in self.given:
            start, end = decay_steps(config.lr_schedule, self.decay_share, steps)
            config = replace(config, decay_start=start, decay_end=end)
        return replace(self, config=config)

    def asked(self) -> dict[str, Any]:
        """The fields asked for, with their values (what ``sweep.json`` records)."""
        return {name: getattr(self.config, name) for name in sorted(self.given)}

    def over(self, saved: TrainConfig) -> TrainConfig:
        """``saved`` with the fields asked for changed (``ValueError`` if that is no config)."""
        return replace(saved, **self.asked())


def _given_as(name: str, value: object, flags: bool) -> str:
    """An option given a value, as the command line (``--artist parabola-modes``) or the API writes it."""
    return f"{name} {value}" if flags else f"{name}={value!r}"


def choose(
    given: Mapping[str, object], steps: int, flags: bool = False, preset: Mapping[str, Any] | None = None
) -> Choices:
    """The training choices of a run of ``steps`` steps from the options given (None: not given).

    ``preset`` stands for a recipe given as a file (its options, each checked by its rule): it
    fills in what is not given, as a named recipe does.

    ``ValueError`` with one sentence for an unknown option or a value its rule refuses, naming the
    option as the API does (``lr_g``) or, with ``flags``, as the command line does (``--lr-g``); the
    config checks the rules between fields.
    """

    def called(name: str) -> str:
        return TRAINING_OPTIONS[name].flag if flags else name

    options = {name: value for name, value in given.items() if value is not None}
    for name, value in options.items():
        if name not in TRAINING_OPTIONS:
            raise ValueError(
                f"unknown training option {name!r}; the options are {', '.join(TRAINING_OPTIONS)}"
            )
        problem = TRAINING_OPTIONS[name].choice.rule.problem(called(name), value)
        if problem:
            raise ValueError(problem)
    recipe = options.pop("recipe", None)
    preset = RECIPES[str(recipe)].options if recipe is not None else dict(preset or {})
    for name in options:  # a choice that means something only beside another's value
        needs = TRAINING_OPTIONS[name].choice.needs
        if needs is not None and not _has(options.get(needs[0], preset.get(needs[0])), needs[1]):
            wanted = _given_as(called(needs[0]), needs[1], flags)
            owner = f"the {needs[1]} {needs[0]}" if isinstance(needs[1], str) else called(needs[0])
            raise ValueError(f"{called(name)} belongs to {owner}; add {wanted}, or drop it")
    share = options.pop("decay_start", None)
    schedule = options.get("lr_schedule", preset.get("lr_schedule"))
    if share is not None and schedule not in DECAYING:
        wanted = _given_as(called("lr_schedule"), "linear-decay", flags)
        raise ValueError(
            f"{called('decay_start')} belongs to a decaying schedule; add {wanted} (or cosine), or drop it"
        )
    if share is None and schedule in DECAYING:
        share = preset.get("decay_start")
    ema_share = options.pop("ema_start", preset.get("ema_start"))
    chosen = {**{k: v for k, v in preset.items() if k not in ("decay_start", "ema_start")}, **options}
    if ema_share is not None:
        chosen["ema_start"] = round(float(ema_share) * steps)  # type: ignore[arg-type]  # (checked: FRACTION)
    if "betas" in chosen:
        chosen["beta1"], chosen["beta2"] = chosen.pop("betas")
    share_of_run = None if share is None else float(share)  # type: ignore[arg-type]  # (checked: FRACTION)
    if schedule is not None:
        chosen["decay_start"], chosen["decay_end"] = decay_steps(str(schedule), share_of_run, steps)
    ema_share = None if ema_share is None else float(ema_share)  # type: ignore[arg-type]
    return Choices(TrainConfig(**chosen), frozenset(chosen), share_of_run, ema_share)


def _has(value: object, needed: object) -> bool:
    """Whether a needed choice has its value: a name as is, a number any positive value."""
    if isinstance(needed, str):
        return value == needed
    return isinstance(value, (int, float)) and value > 0


def describe(config: TrainConfig) -> str:
    """A run's training choices in one line, e.g. ``minimax · Adam 1e-4/1e-4, betas 0.9/0.999``."""
    artist = f"{config.artist} ({config.modes})" if config.artist == "parabola-modes" else config.artist
    parts = [] if config.artist == "parabola" else [artist]
    if config.condition != "none":
        parts.append(f"conditioned on {config.condition}")
    parts.append(config.loss)
    rates = f"{config.lr_g:g}" if config.lr_g == config.lr_d else f"G {config.lr_g:g}, D {config.lr_d:g}"
    if config.optimizer == "sgd":
        momentum = f", momentum {config.momentum:g}" if config.momentum else ""
        parts.append(f"SGD {rates}{momentum}")
    else:
        parts.append(f"Adam {rates}, betas {config.beta1:g}/{config.beta2:g}")
    if config.lr_schedule in DECAYING:
        kind = "linear" if config.lr_schedule == "linear-decay" else "cosine"
        parts.append(f"{kind} decay steps {config.decay_start:,}–{config.decay_end:,}")
    if config.warmup:
        parts.append(f"warm-up {config.warmup:,} steps")
    if config.r1 > 0:
        parts.append(f"R1 {config.r1:g}")
    if config.instance_noise > 0:
        parts.append(f"instance noise {config.instance_noise:g}")
    if config.d_steps > 1:
        parts.append(f"{config.d_steps} D steps per G step")
    if config.ema > 0:
        parts.append(f"EMA {config.ema:g}" + (f" from step {config.ema_start:,}" if config.ema_start else ""))
    if config.prior != TrainConfig.default("prior"):
        parts.append(f"{config.prior} ideas")
    if config.batch_size != TrainConfig().batch_size:
        parts.append(f"batch {config.batch_size}")
    return " · ".join(parts)
