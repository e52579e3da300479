"""The ``gancurve`` command line: parse options, call the library, print results.

Heavy modules (torch, matplotlib, imageio) are imported inside the commands, so that
``gancurve --help`` stays instant. Every expected failure is a ``GancurveError``; the
group below turns it into one line on stderr and an exit code.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from gancurve import __version__
from gancurve.console import error_line, out
from gancurve.core.config import TrainConfig
from gancurve.errors import GancurveError


def _click_exception_type() -> type[Exception]:
    """Recent typer vendors click (its exceptions derive from ``TyperException``); older typer uses click."""
    vendored: type[Exception] | None = getattr(typer, "TyperException", None)
    if vendored is not None:
        return vendored
    click_exception: type[Exception] = importlib.import_module("click").ClickException
    return click_exception


ClickError = _click_exception_type()

DEFAULTS = TrainConfig()
EXIT_INTERRUPTED = 130


class GancurveGroup(TyperGroup):
    """Typer's group with one-line errors: no usage box, no traceback."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; map expected failures to exit codes (see ``docs/cli.md``)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickError as error:  # bad usage (exit 2) and other parsing failures
            context = getattr(error, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            _fail(error.format_message() + hint, getattr(error, "exit_code", 2))  # type: ignore[attr-defined]
        except GancurveError as error:
            _fail(str(error), error.exit_code)
        except (typer.Abort, KeyboardInterrupt):
            _fail("Interrupted.", EXIT_INTERRUPTED)
        sys.exit(result if isinstance(result, int) else 0)

    def get_help_option(self, ctx: Any) -> Any:
        """The group's ``--help``, defaulting to False rather than None.

        Typer coerces a None through pydantic, whose import alone costs 0.1 s of start-up on
        every command; a plain bool is passed through untouched.
        """
        option = super().get_help_option(ctx)
        if option is not None and getattr(option, "default", False) is None:
            option.default = False
        return option


def _fail(message: str, code: int) -> NoReturn:
    error_line(message)
    sys.exit(code)


app = typer.Typer(
    cls=GancurveGroup,
    name="gancurve",
    help="Train a tiny GAN that learns to draw parabolas, and look inside it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich panels cost ~0.1 s of the 0.3 s start-up budget
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Device(str, Enum):
    """Where to train."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


class Engine(str, Enum):
    """Which implementation of the (same) training step runs."""

    fast = "fast"
    reference = "reference"


class SampleFormat(str, Enum):
    """How ``sample`` writes paintings."""

    table = "table"
    json = "json"
    csv = "csv"
    npy = "npy"


def _show_version(value: bool) -> None:
    if value:
        out.print(f"gancurve {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """Train a tiny GAN that learns to draw parabolas, and look inside it.

    Start with 'gancurve train', then 'gancurve sample', 'gancurve plot' and 'gancurve animate'.
    """


RunsDirOption = Annotated[
    Path | None,
    typer.Option(
        "--runs-dir",
        envvar="GANCURVE_RUNS_DIR",
        help="Directory that holds the runs. [default: ./runs]",
        show_default=False,
    ),
]
RunOption = Annotated[
    str | None,
    typer.Option("--run", help="Run name (under --runs-dir) or path. [default: the latest run]"),
]


@app.command()
def train(
    steps: Annotated[
        int,
        typer.Option(
            min=1, help="Total training steps. With --resume this is the total to reach, not extra steps."
        ),
    ] = 10_000,
    device: Annotated[Device, typer.Option(help="auto picks cuda, then mps, then cpu.")] = Device.auto,
    seed: Annotated[
        int | None, typer.Option(min=0, help=f"Seeds weights, data and ideas. [default: {DEFAULTS.seed}]")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help=f"Paintings per batch. [default: {DEFAULTS.batch_size}]")
    ] = None,
    lr_g: Annotated[
        float | None, typer.Option(help=f"Generator's Adam learning rate. [default: {DEFAULTS.lr_g:g}]")
    ] = None,
    lr_d: Annotated[
        float | None, typer.Option(help=f"Discriminator's Adam learning rate. [default: {DEFAULTS.lr_d:g}]")
    ] = None,
    ideas: Annotated[
        int | None, typer.Option(min=1, help=f"Random ideas G paints from. [default: {DEFAULTS.ideas}]")
    ] = None,
    points: Annotated[
        int | None,
        typer.Option(min=2, help=f"Points per painting on [-1, 1]. [default: {DEFAULTS.points}]"),
    ] = None,
    hidden: Annotated[
        int | None, typer.Option(min=1, help=f"Hidden units of G and D. [default: {DEFAULTS.hidden}]")
    ] = None,
    runs_dir: RunsDirOption = None,
    name: Annotated[
        str | None, typer.Option(help="Run name. [default: the start time, e.g. 2026-11-27_05-03-11]")
    ] = None,
    snapshot_every: Annotated[int, typer.Option(min=1, help="Snapshot G's paintings every N steps.")] = 50,
    log_every: Annotated[int, typer.Option(min=1, help="Write a metrics.csv row every N steps.")] = 50,
    eval_every: Annotated[int, typer.Option(min=1, help="Compute the quality metrics every N steps.")] = 500,
    checkpoint_every: Annotated[
        int, typer.Option(min=1, help="Save checkpoint and logs every N steps (and at the end).")
    ] = 1000,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run named by --name (default: the latest).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --resume: allow other learning rates or batch size.")
    ] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="fast: hand-written numpy on CPU, a CUDA graph on GPU. reference: readable autograd."
        ),
    ] = Engine.fast,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final summary as JSON.")] = False,
) -> None:
    """Train the GAN and write a run directory (config, checkpoint, metrics, snapshots)."""
    # One BLAS thread: for these tiny matrices a second thread only adds overhead. This must
    # be set before numpy loads, which is why it is here and not in the engine.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from gancurve.commands.train import train_command
    from gancurve.training import Cadence, TrainRequest

    given = {
        "seed": seed, "batch_size": batch_size, "lr_g": lr_g, "lr_d": lr_d,
        "ideas": ideas, "points": points, "hidden": hidden,
    }  # fmt: skip
    request = TrainRequest(
        runs_dir=_runs_dir(runs_dir),
        name=name,
        device=device.value,
        cadence=Cadence(steps, log_every, snapshot_every, eval_every, checkpoint_every),
        hyperparameters={key: value for key, value in given.items() if value is not None},
        resume=resume,
        force=force,
        engine=engine.value,
    )
    raise typer.Exit(train_command(request, as_json=as_json))


@app.command()
def sample(
    num: Annotated[int, typer.Option("-n", "--num", min=1, help="How many paintings to draw.")] = 5,
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random ideas.")] = 0,
    fmt: Annotated[
        SampleFormat | None,
        typer.Option(
            "--format",
            help="table (for people), json, csv or npy. [default: from --output's extension, else table]",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Draw paintings from a trained generator."""
    from gancurve.commands.sample import sample_command

    sample_command(_runs_dir(runs_dir), run, num, seed, fmt.value if fmt else None, output)


@app.command()
def evaluate(
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    num: Annotated[
        int, typer.Option("-n", "--num", min=2, help="Paintings drawn from G and from the artist.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the ideas and of the artist's sample.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Did it work? Score G against the known target and give a verdict."""
    from gancurve.commands.evaluate import evaluate_command

    evaluate_command(_runs_dir(runs_dir), run, num, seed, as_json)


@app.command()
def plot(
    output: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write the figure (.png, .svg, .pdf). [default: RUN/plot.png]", show_default=False
        ),
    ] = None,
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    num: Annotated[
        int, typer.Option("-n", "--num", min=1, max=500, help="Paintings drawn in panel (a).")
    ] = 20,
) -> None:
    """Draw one figure of a run: paintings, fitted a, distance to the artist, losses, D accuracy."""
    from gancurve.commands.pictures import plot_command

    plot_command(_runs_dir(runs_dir), run, output, num)


@app.command()
def animate(
    output: Annotated[
        Path, typer.Argument(help="The animation to write: .gif, or .mp4 with gancurve[video].")
    ],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    fps: Annotated[float, typer.Option(help="Frames per second.")] = 10.0,
    every: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Keep every K-th snapshot. [default: 1, or fewer frames past 400]",
            show_default=False,
        ),
    ] = None,
    size: Annotated[str, typer.Option(help="Frame size in pixels, WIDTHxHEIGHT.")] = "560x420",
) -> None:
    """Animate training: G's paintings between the bounds, one frame per snapshot."""
    from gancurve.commands.pictures import animate_command

    animate_command(_runs_dir(runs_dir), run, output, fps, every, size)


export_app = typer.Typer(
    help="Take results elsewhere: samples, the generator as a model file, the training log.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")


class ModelFormat(str, Enum):
    """Model file formats."""

    export = "export"
    torchscript = "torchscript"
    onnx = "onnx"


@export_app.command("samples")
def export_samples(
    output: Annotated[
        Path, typer.Argument(help="File to write: .csv, .json, .npy (paintings only) or .npz.")
    ],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    num: Annotated[int, typer.Option("-n", "--num", min=1, help="How many paintings.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random ideas.")] = 0,
) -> None:
    """Paintings with the x grid and each one's fitted a and residual."""
    from gancurve.commands.export import export_samples_command

    export_samples_command(_runs_dir(runs_dir), run, output, num, seed)


@export_app.command("model")
def export_model(
    output: Annotated[
        Path, typer.Argument(help="File to write: .pt2 (torch.export), .pt (TorchScript) or .onnx.")
    ],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    fmt: Annotated[
        ModelFormat | None,
        typer.Option("--format", help="Model format. [default: from the extension]", show_default=False),
    ] = None,
) -> None:
    """The generator as a model file: ideas (n, 5) float32 in, paintings (n, 15) out, any n."""
    from gancurve.commands.export import export_model_command

    export_model_command(_runs_dir(runs_dir), run, output, fmt.value if fmt else None)


@export_app.command("metrics")
def export_metrics(
    output: Annotated[Path, typer.Argument(help="File to write: .csv or .json (a list of records).")],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
) -> None:
    """The training log (losses, D accuracy, D score, quality metrics), for pandas and spreadsheets."""
    from gancurve.commands.export import export_metrics_command

    export_metrics_command(_runs_dir(runs_dir), run, output)


def _runs_dir(option: Path | None) -> Path:
    from gancurve.runs import resolve_runs_dir

    return resolve_runs_dir(option)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="gancurve")
