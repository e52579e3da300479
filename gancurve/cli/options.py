"""Command-line options, each declared once and shared by every command that takes it.

The training options are not written here at all: :func:`training_options` makes one per
declaration (``core.recipes.TRAINING_OPTIONS``, from ``TrainConfig``'s fields), its help, its
value's type and its grid form included, and ``TrainConfig`` checks their values. The others take
their defaults and choices from where they are defined (``Cadence()``, the formats' tuples); a
command takes one by its alias here (``device: DeviceOption = DEFAULT_DEVICE``).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from gancurve.core.config import PAINTINGS_MAX, SEED_MAX
from gancurve.core.engines import ENGINES
from gancurve.core.recipes import TRAINING_OPTIONS, Option
from gancurve.device import DEVICE_CHOICES
from gancurve.training.cadence import Cadence

#: The defaults, from their one definition.
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
        *names,
        metavar=metavar,
        callback=one_of(choices),
        help=help_text,
        show_default=show_default,
        autocompletion=completing(choices),
    )


def completing(choices: Sequence[str]) -> Callable[[str], list[str]]:
    """Shell completion of an option's named values (``gancurve --install-completion``)."""

    def complete(incomplete: str) -> list[str]:
        return [choice for choice in choices if choice.startswith(incomplete)]

    return complete


def complete_run(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of ``--run`` and ``--name``: the runs, sweeps and grids in the runs directory
    (``--runs-dir`` if given before, else ``$GANCURVE_RUNS_DIR`` or ``./runs``)."""
    from gancurve.store.runs import iter_runs, resolve_runs_dir

    try:
        runs_dir = resolve_runs_dir(ctx.params.get("runs_dir"))
        labels = [run.label for run in iter_runs(runs_dir)] if runs_dir.is_dir() else []
    except Exception:  # completion must never print a traceback into the user's shell
        return []
    holders = {
        "/".join(label.split("/")[:depth]) for label in labels for depth in range(1, label.count("/") + 1)
    }
    return sorted(name for name in {*labels, *holders} if name.startswith(incomplete))


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
        autocompletion=complete_run,
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

# -- training: the math (TrainConfig), one option per declaration -------------------------------

Command = TypeVar("Command", bound=Callable[..., Any])
#: A grid option's values are separated by this.
SEPARATOR = ","
GRID_HELP = "Several values, comma-separated, make a grid (a recipe per combination)."


def training_options(*, grid: bool = False, leave_out: tuple[str, ...] = ()) -> Callable[[Command], Command]:
    """Give a command one option per training option, in place of its parameter ``given``.

    The command receives them as ``given``: each option's name to its value, None when not given.
    With ``grid`` (``sweep``), an option a grid may vary takes several comma-separated values and
    arrives as a tuple of them. Values are only parsed here; ``TrainConfig`` checks them.
    """
    options = [option for name, option in TRAINING_OPTIONS.items() if name not in leave_out]

    def decorate(command: Command) -> Command:
        hints = typing.get_type_hints(command, include_extras=True)
        parameters: list[inspect.Parameter] = []
        for parameter in inspect.signature(command).parameters.values():
            if parameter.name == "given":
                parameters += [_parameter(option, grid and option.choice.grid) for option in options]
            else:
                keyword = inspect.Parameter.KEYWORD_ONLY  # typer passes every value by name
                parameters.append(parameter.replace(annotation=hints[parameter.name], kind=keyword))

        @functools.wraps(command)
        def with_given(**values: Any) -> Any:
            given = {option.name: values.pop(option.name) for option in options}
            return command(given=given, **values)

        with_given.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        with_given.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
        return typing.cast(Command, with_given)

    return decorate


def _parameter(option: Option, several: bool) -> inspect.Parameter:
    as_text = several or option.kind is tuple  # parsed by the callback, not by typer
    help_text = f"{option.choice.help} {GRID_HELP if several else ''}".rstrip()
    declared = typer.Option(
        option.flag,
        metavar=_metavar(option, several),
        callback=_parse_values(option) if several else (_parse_one(option) if as_text else None),
        help=f"{help_text} [default: {_shown(option.default)}{_bounds(option)}]",
        show_default=False,
        autocompletion=completing(option.choice.names) if option.choice.names else None,
    )
    kind = str if as_text else option.kind
    annotation = Annotated[kind | None, declared]  # type: ignore[valid-type]
    return inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def _metavar(option: Option, several: bool) -> str | None:
    named = option.choice.metavar or (
        "<" + "|".join(option.choice.names) + ">" if option.choice.names else None
    )
    if not several:
        return named
    return (named or ("<number>" if option.kind in (int, float) else "<text>")) + "[,...]"


def _bounds(option: Option) -> str:
    bounds = option.choice.rule.bounds
    return f"; {bounds}" if bounds else ""


def _shown(default: Any) -> str:
    if isinstance(default, tuple):
        return SEPARATOR.join(_shown(part) for part in default)
    return f"{default:g}" if isinstance(default, float) else str(default)


def _parse_one(option: Option) -> Callable[[str | None], Any]:
    def parse(text: str | None) -> Any:
        if text is None:
            return None
        try:
            return option.parse(text)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not {option.choice.rule.text}.") from None

    return parse


def _parse_values(option: Option) -> Callable[[str | None], tuple[Any, ...] | None]:
    def parse(text: str | None) -> tuple[Any, ...] | None:
        if text is None:
            return None
        seen: dict[Any, str] = {}
        for item in (item.strip() for item in text.split(SEPARATOR)):
            try:
                value = option.parse(item)
            except ValueError:
                raise typer.BadParameter(f"{item!r} is not a number.") from None
            # By value, not by text: 1e-4 and 0.0001 are one learning rate (one recipe).
            if value in seen:
                same = repr(item) if seen[value] == item else f"{seen[value]!r} and {item!r}"
                raise typer.BadParameter(f"{text!r} names a value twice ({same}).")
            seen[value] = item
        return tuple(seen)

    return parse


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
        "--resume",
        help="Continue the run named by --name (a name or a path; default: the latest single run).",
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
ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        metavar="<local:N|tcp://host:port>",
        help="Train on a Dask cluster (pipx install 'gancurve[cluster]'): local:N starts N worker "
        "processes here, tcp://host:port uses a running scheduler's workers. The same sweep directory "
        "and numbers as without it; with --resume, only the members not written yet train.",
        show_default=False,
    ),
]

# -- the lab ----------------------------------------------------------------------------------

LabRunOption = Annotated[
    str | None,
    typer.Option(
        "--run",
        autocompletion=complete_run,
        help="Continue this run live (a name in --runs-dir, or a path). [default: a new run]",
        show_default=False,
    ),
]
HostOption = Annotated[
    str,
    typer.Option(
        "--host",
        help="The address to listen on; 0.0.0.0 makes the lab reachable from other machines (it warns).",
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port",
        min=1,
        max=65535,
        help="The port to listen on. [default: the first free one from 8765]",
        show_default=False,
    ),
]
