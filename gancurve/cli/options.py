"""Command-line options, each declared once and shared by every command that takes it.

Defaults and choices come from where they are defined: ``TrainConfig()`` and ``Cadence()``
for the numbers, the core's and the formats' tuples for the choices. A command takes an option
by its alias here (``steps: StepsOption = CADENCE.steps``), never by a copy of its declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer

from gancurve.cli.hyperparameters import DEFAULT_DECAY_START
from gancurve.core.config import ARTISTS, CONDITIONS, PAINTINGS_MAX, SEED_MAX, SIZE_LIMITS, TrainConfig
from gancurve.core.engines import ENGINES
from gancurve.core.objectives import LOSSES
from gancurve.core.recipes import RECIPES
from gancurve.core.schedule import SCHEDULES
from gancurve.device import DEVICE_CHOICES
from gancurve.training.cadence import Cadence

#: The defaults, from their one definition.
DEFAULTS = TrainConfig()
CADENCE = Cadence()
DEFAULT_DEVICE = DEVICE_CHOICES[0]


def one_of(choices: Sequence[str]) -> Callable[[str | None], str | None]:
    """A callback that accepts only ``choices`` (None passes: the option was not given)."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}.")
        return value

    return check


def seed_in_range(value: int | None) -> int | None:
    """Seeds are at most 63 bits (help shows only the lower bound: the upper one is 19 digits)."""
    if value is not None and value > SEED_MAX:
        raise typer.BadParameter(f"{value} is larger than the largest seed, 2**63 - 1.")
    return value


def choice_option(choices: Sequence[str], help_text: str, *names: str, show_default: bool = True) -> Any:
    """An option that takes one of ``choices`` (a tuple defined where the choice is implemented)."""
    metavar = "<" + "|".join(choices) + ">"
    return typer.Option(
        *names, metavar=metavar, callback=one_of(choices), help=help_text, show_default=show_default
    )


def size_option(name: str, help_text: str) -> Any:
    """A network or batch size, bounded by ``SIZE_LIMITS``, its default shown from ``TrainConfig()``."""
    low, high = SIZE_LIMITS[name]
    return typer.Option(min=low, max=high, help=f"{help_text} [default: {getattr(DEFAULTS, name)}]")


# -- where runs are -------------------------------------------------------------------------

RunsDirOption = Annotated[
    str | None,  # a string, not a Path: Path("") would silently become "."
    typer.Option(
        "--runs-dir",
        metavar="<dir>",
        envvar="GANCURVE_RUNS_DIR",
        help="Directory that holds the runs. [default: ./runs]",
        show_default=False,
    ),
]
RunOption = Annotated[
    str | None,
    typer.Option(
        "--run",
        help="Run name in --runs-dir, or a path to a run (with a '/', e.g. ./x). [default: the latest run]",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]

# -- drawing from a trained run ---------------------------------------------------------------

IdeasSeedOption = Annotated[
    int,
    typer.Option(
        min=0, callback=seed_in_range, help="Seed of the random ideas (and of evaluate's real sample)."
    ),
]
PaintingsOption = Annotated[
    int, typer.Option("-n", "--num", min=1, max=PAINTINGS_MAX, help="How many paintings to draw.")
]

# -- training: the math (TrainConfig) ---------------------------------------------------------
# None means "not given", so that a resumed run can tell what the user asked to change.

SeedOption = Annotated[
    int | None,
    typer.Option(
        min=0, callback=seed_in_range, help=f"Seeds weights, data and ideas. [default: {DEFAULTS.seed}]"
    ),
]
BatchSizeOption = Annotated[int | None, size_option("batch_size", "Paintings per batch.")]
LrGOption = Annotated[
    float | None, typer.Option(help=f"Generator's Adam learning rate. [default: {DEFAULTS.lr_g:g}]")
]
LrDOption = Annotated[
    float | None, typer.Option(help=f"Discriminator's Adam learning rate. [default: {DEFAULTS.lr_d:g}]")
]


def parse_betas(value: str | None) -> str | None:
    """``B1,B2``: two numbers from 0 up to 1 (checked here so a typo fails before any work)."""
    if value is None:
        return None
    parts = value.split(",")
    try:
        betas = [float(part) for part in parts]
    except ValueError:
        betas = []
    if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
        raise typer.BadParameter(f"{value!r} is not two numbers from 0 up to 1, like 0.5,0.99.")
    return value


BetasOption = Annotated[
    str | None,
    typer.Option(
        metavar="<b1,b2>",
        callback=parse_betas,
        help=f"Both Adams' betas, e.g. 0.5,0.99. [default: {DEFAULTS.beta1:g},{DEFAULTS.beta2:g}]",
        show_default=False,
    ),
]
LrScheduleOption = Annotated[
    str | None,
    choice_option(
        SCHEDULES,
        "Both learning rates: constant, or linear-decay to 0 at the end of --steps. [default: constant]",
        "--lr-schedule",
        show_default=False,
    ),
]


def share_of_the_run(value: float | None) -> float | None:
    """A share of --steps: from 0 up to (not including) 1."""
    if value is not None and not 0 <= value < 1:
        raise typer.BadParameter(f"{value:g} is not a share of the run from 0 up to (not including) 1.")
    return value


DecayStartOption = Annotated[
    float | None,
    typer.Option(
        callback=share_of_the_run,
        help=f"With --lr-schedule linear-decay: where the decay starts, as a share of --steps. "
        f"[default: {DEFAULT_DECAY_START}]",
        show_default=False,
    ),
]
LossOption = Annotated[
    str | None,
    choice_option(
        LOSSES,
        "The objective of D and G: minimax (the tutorial's: G minimises log(1 - D(G(z)))), "
        "non-saturating (G minimises -log D(G(z))), least-squares (LSGAN), hinge, or wasserstein-gp "
        "(a critic with a gradient penalty, lambda 10; use it with --d-steps 5). "
        f"[default: {DEFAULTS.loss}]",
        "--loss",
        show_default=False,
    ),
]


def penalty_weight(value: float | None) -> float | None:
    """A penalty's weight: a finite number, 0 or more."""
    if value is not None and not 0 <= value < float("inf"):
        raise typer.BadParameter(f"{value:g} is not a finite number, 0 or more.")
    return value


R1Option = Annotated[
    float | None,
    typer.Option(
        "--r1",
        metavar="<gamma>",
        callback=penalty_weight,
        help="R1 penalty: gamma/2 times D's squared slope on the artist's paintings (Mescheder et al. "
        f"2018); 0: none. [default: {DEFAULTS.r1:g}]",
        show_default=False,
    ),
]
RecipeOption = Annotated[
    str | None,
    choice_option(
        tuple(RECIPES),
        "A named set of training choices; options you give override it. "
        + "; ".join(f"{recipe.name}: {recipe.summary}" for recipe in RECIPES.values())
        + ". [default: tutorial]",
        "--recipe",
        show_default=False,
    ),
]


def ema_decay(value: float | None) -> float | None:
    """A moving average's decay: from 0 up to (not including) 1."""
    if value is not None and not 0 <= value < 1:
        raise typer.BadParameter(f"{value:g} is not a decay from 0 up to (not including) 1, like 0.999.")
    return value


EmaOption = Annotated[
    float | None,
    typer.Option(
        "--ema",
        metavar="<decay>",
        callback=ema_decay,
        help="Keep a moving average of G's weights with this decay (0.999: a half-life of ~700 steps), "
        "saved with the run; sample, evaluate, plot and export then use it (--raw: G itself). "
        f"0: none. [default: {DEFAULTS.ema:g}]",
        show_default=False,
    ),
]
CriticOption = Annotated[
    bool,
    typer.Option(
        "--critic/--no-critic",
        help="Add the panel of what D believes along the family, next to the optimal D for this G.",
    ),
]
RawOption = Annotated[
    bool,
    typer.Option(
        "--raw", help="Use G itself, not the moving average of its weights (a run trained with --ema)."
    ),
]
ArtistOption = Annotated[
    str | None,
    choice_option(
        ARTISTS,
        "The family of real paintings: parabola (the tutorial's, a ~ U(1, 2)), parabola-modes (the "
        "same curves, a from --modes narrow modes: a testbed for mode collapse) or bump (Gaussian "
        "bumps a·exp(-2x²), a ~ U(1, 2)). [default: parabola]",
        "--artist",
        show_default=False,
    ),
]
ModesOption = Annotated[
    int | None,
    typer.Option(
        min=SIZE_LIMITS["modes"][0],
        max=SIZE_LIMITS["modes"][1],
        help=f"With --artist parabola-modes: how many modes. [default: {DEFAULTS.modes}]",
        show_default=False,
    ),
]
ConditionOption = Annotated[
    str | None,
    choice_option(
        CONDITIONS,
        "What G and D are told of each painting besides its points: none (the tutorial's), label "
        "(its half of a, 0 or 1: the tutorial's conditional lesson) or a (its a itself). "
        "[default: none]",
        "--condition",
        show_default=False,
    ),
]
LabelOption = Annotated[
    int | None,
    typer.Option(
        "--label",
        min=0,
        max=1,
        help="A run trained with --condition label: paint this half (1 upper, 0 lower).",
    ),
]
AskedAOption = Annotated[
    float | None,
    typer.Option(
        "--a", help="A run trained with --condition a: paint curves of this a. [default: an even spread]"
    ),
]
DStepsOption = Annotated[
    int | None, size_option("d_steps", "Updates of D per update of G, each on fresh draws (WGAN-GP: 5).")
]
IdeasOption = Annotated[int | None, size_option("ideas", "Random ideas G paints from.")]
PointsOption = Annotated[int | None, size_option("points", "Points per painting on [-1, 1].")]
HiddenOption = Annotated[int | None, size_option("hidden", "Hidden units of G and D.")]

# -- training: the schedule (Cadence) and the session -----------------------------------------

# None means "not given" here too: a resumed run keeps the cadence it saved (help shows Cadence()'s).

StepsOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Total training steps. With --resume this is the total to reach, not extra steps "
        f"(not given: the total the run was started with). [default: {CADENCE.steps}]",
        show_default=False,
    ),
]


def every_option(help_text: str, default: int) -> Any:
    """A cadence option (every N steps): None when not given, its default shown from ``Cadence()``."""
    return typer.Option(min=1, help=f"{help_text} [default: {default}]", show_default=False)


SnapshotEveryOption = Annotated[
    int | None, every_option("Snapshot G's paintings every N steps.", CADENCE.snapshot_every)
]
LogEveryOption = Annotated[
    int | None, every_option("Write a metrics.csv row every N steps.", CADENCE.log_every)
]
EvalEveryOption = Annotated[
    int | None, every_option("Compute the quality metrics every N steps.", CADENCE.eval_every)
]
CheckpointEveryOption = Annotated[
    int | None,
    every_option("Save checkpoint and logs every N steps (and at the end).", CADENCE.checkpoint_every),
]
DeviceOption = Annotated[
    str,
    choice_option(DEVICE_CHOICES, "auto: cuda when this machine can run it, else cpu (mps only when asked)."),
]
EngineOption = Annotated[
    str,
    choice_option(
        ENGINES, "fast: the compiled step (numba) on CPU, a CUDA graph on GPU. reference: readable autograd."
    ),
]
NameOption = Annotated[
    str | None, typer.Option(help="Run name. [default: the start time, e.g. 2026-11-27_05-03-11]")
]
ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume", help="Continue the run named by --name (a name or a path; default: the latest)."
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="With --resume: allow other learning rates, betas or batch size.")
]

# -- sweeps -----------------------------------------------------------------------------------

SeedsOption = Annotated[
    str | None,
    typer.Option(
        metavar="<seeds>",
        help="Seeds to train: 1-100, 1-20,37,99, or a count N (= 1-N). Not needed with --resume.",
        show_default=False,
    ),
]
SweepNameOption = Annotated[
    str | None,
    typer.Option(help="Sweep name in --runs-dir (or a path with --resume). [default: sweep-<start time>]"),
]
SweepResumeOption = Annotated[
    bool,
    typer.Option("--resume", help="Continue the sweep named by --name, every member from its checkpoint."),
]


# -- a sweep's grid: the same options, several values each ----------------------------------------


def grid_option(alias: Any, convert: Callable[[str], Any]) -> Any:
    """The sweep's form of a training option (``alias``): its help and checks, but several
    comma-separated values, which make an axis of a grid (one recipe per combination)."""
    info = alias.__metadata__[0]
    check = info.callback

    def parse(value: str | None) -> str | None:
        if value is None:
            return None
        items = [item.strip() for item in value.split(",")]
        for item in items:
            try:
                converted = convert(item)
            except ValueError:
                raise typer.BadParameter(f"{item!r} is not a number.") from None
            if check is not None:
                check(converted)
        if len(set(items)) != len(items):
            raise typer.BadParameter(f"{value!r} names a value twice.")
        return value

    metavar = (info.metavar or ("<number>" if convert is float else "<text>")) + "[,...]"
    text, bracket, default = str(info.help).partition(" [default:")
    grid_help = (
        f"{text} Several values, comma-separated, make a grid (a recipe per combination).{bracket}{default}"
    )
    return Annotated[
        str | None,
        typer.Option(
            *info.param_decls,
            metavar=metavar,
            callback=parse,
            help=grid_help,
            show_default=False,
        ),
    ]


def split_values(value: str | None, convert: Callable[[str], Any]) -> tuple[Any, ...] | None:
    """A grid option's values (already checked by its callback); None when it was not given."""
    return None if value is None else tuple(convert(item.strip()) for item in value.split(","))


LossesOption = grid_option(LossOption, str)
RecipesOption = grid_option(RecipeOption, str)
LrGsOption = grid_option(LrGOption, float)
LrDsOption = grid_option(LrDOption, float)
R1sOption = grid_option(R1Option, float)
EmasOption = grid_option(EmaOption, float)
LrSchedulesOption = grid_option(LrScheduleOption, str)
