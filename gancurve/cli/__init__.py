"""The ``gancurve`` command line: parse options, call the library, print results.

Heavy modules (torch, matplotlib, imageio) are imported inside the commands, so that
``gancurve --help`` stays instant. Every expected failure is a ``GancurveError``; the
group (:mod:`gancurve.cli.group`) turns it into one line on stderr and an exit code.
Options are declared once, in :mod:`gancurve.cli.options`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gancurve.cli.export import export_app
from gancurve.cli.group import GancurveGroup
from gancurve.cli.options import (
    CADENCE,
    DEFAULT_DEVICE,
    AskedAOption,
    CheckpointEveryOption,
    ClusterOption,
    CriticOption,
    DeviceOption,
    EngineOption,
    EvalEveryOption,
    ForceOption,
    HostOption,
    IdeasSeedOption,
    JsonOption,
    LabelOption,
    LabRunOption,
    LogEveryOption,
    NameOption,
    PaintingsOption,
    PortOption,
    RawOption,
    ResumeOption,
    RunOption,
    RunsDirOption,
    SeedsOption,
    SnapshotEveryOption,
    StepsOption,
    SweepNameOption,
    SweepResumeOption,
    choice_option,
    training_options,
)
from gancurve.cli.paths import runs_dir_of
from gancurve.console import out
from gancurve.core.config import COMPARE_METRICS, EVALUATE_SAMPLES, EVALUATE_SEED, PAINTINGS_MAX
from gancurve.core.engines import DEFAULT_ENGINE
from gancurve.formats import ANIMATION_FPS_RANGE, SAMPLE_FORMATS
from gancurve.version import __version__

app = typer.Typer(
    cls=GancurveGroup,
    name="gancurve",
    help="Train a tiny GAN that learns to draw parabolas, and look inside it.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion: options, named values and run names complete
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich panels cost ~0.1 s of the 0.3 s start-up budget
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


@app.command()
@training_options()
def train(
    steps: StepsOption = None,
    device: DeviceOption = DEFAULT_DEVICE,
    given: dict[str, object] | None = None,  # the training options (cli.options.training_options)
    runs_dir: RunsDirOption = None,
    name: NameOption = None,
    snapshot_every: SnapshotEveryOption = None,
    log_every: LogEveryOption = None,
    eval_every: EvalEveryOption = None,
    checkpoint_every: CheckpointEveryOption = None,
    resume: ResumeOption = False,
    force: ForceOption = False,
    engine: EngineOption = DEFAULT_ENGINE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final summary as JSON.")] = False,
) -> None:
    """Train the GAN and write a run directory (config, checkpoint, metrics, snapshots)."""
    from gancurve.training.signals import StopFlag, stop_on_signals

    # First of all, Ctrl-C and SIGTERM become a request to stop between steps: a signal that
    # lands inside an import (torch, numpy) could leave a half-imported module, or abort.
    with stop_on_signals(StopFlag()) as stop:
        # One BLAS thread: for these tiny matrices a second thread only adds overhead. This
        # must be set before numpy loads, which is why it is here and not in the engine.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from gancurve.commands.train import train_command
        from gancurve.training.cadence import CadenceOptions
        from gancurve.training.resume import TrainRequest, choices_of

        cadence = CadenceOptions(steps, log_every, snapshot_every, eval_every, checkpoint_every)
        request = TrainRequest(
            runs_dir=runs_dir_of(runs_dir),
            name=name,
            device=device,
            cadence=cadence,
            choices=choices_of(given or {}, steps or CADENCE.steps, flags=True),
            resume=resume,
            force=force,
            engine=engine,
        )
        code = train_command(request, stop, as_json=as_json)
    raise typer.Exit(code)


@app.command()
@training_options(grid=True, leave_out=("seed",))
def sweep(
    seeds: SeedsOption = None,
    steps: StepsOption = None,
    device: DeviceOption = DEFAULT_DEVICE,
    given: dict[str, object] | None = None,  # the training options, several values for a grid
    runs_dir: RunsDirOption = None,
    name: SweepNameOption = None,
    snapshot_every: SnapshotEveryOption = None,
    log_every: LogEveryOption = None,
    eval_every: EvalEveryOption = None,
    checkpoint_every: CheckpointEveryOption = None,
    resume: SweepResumeOption = False,
    force: ForceOption = False,
    engine: EngineOption = DEFAULT_ENGINE,
    cluster: ClusterOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Train a recipe on many seeds at once; summarise how often it works.

    Every member is an ordinary run (NAME/seed-007): sample, evaluate, plot, animate and export
    read it as any run. The sweep writes sweep.json, summary.csv and summary.json beside them.
    Options given several values (--loss minimax,hinge --ema 0,0.999) make a grid: every
    combination is a recipe (NAME/loss-hinge_ema-0.999/ is its sweep), all train the same seeds
    together, and the summary compares each recipe with the first, seed by seed.
    """
    from gancurve.training.signals import StopFlag, stop_on_signals

    with stop_on_signals(StopFlag()) as stop:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from gancurve.commands.sweep import sweep_command
        from gancurve.device import select_device
        from gancurve.errors import UsageError
        from gancurve.sweeps.grid import grid_choices
        from gancurve.sweeps.opening import SweepRequest
        from gancurve.sweeps.seeds import parse_seeds
        from gancurve.training.cadence import CadenceOptions

        if engine != "fast":
            raise UsageError("A sweep trains with the fast engine; train the reference one run at a time.")
        if cluster is not None:
            from gancurve.sweeps.cluster import cluster_spec, device_on_cluster

            cluster_spec(cluster)  # a malformed --cluster is a usage error before anything else
        shared, grid = grid_choices(given or {}, steps or CADENCE.steps, flags=True)
        request = SweepRequest(
            runs_dir=runs_dir_of(runs_dir),
            name=name,
            seeds=parse_seeds(seeds) if seeds is not None else None,
            cadence=CadenceOptions(steps, log_every, snapshot_every, eval_every, checkpoint_every),
            choices=shared,
            resume=resume,
            force=force,
            device=select_device(device) if cluster is None else device_on_cluster(device),
            grid=grid,
        )
        code = sweep_command(request, stop, as_json=as_json, cluster=cluster)
    raise typer.Exit(code)


@app.command()
def compare(
    first: Annotated[str, typer.Argument(metavar="A", help="The sweep to compare against (name or path).")],
    second: Annotated[str, typer.Argument(metavar="B", help="The sweep compared with A (name or path).")],
    runs_dir: RunsDirOption = None,
    metric: Annotated[
        str,
        choice_option(COMPARE_METRICS, "The metric compared, seed by seed.", "--metric"),
    ] = COMPARE_METRICS[0],
    as_json: JsonOption = False,
) -> None:
    """Recipe B against recipe A: two sweeps over the same seeds, compared seed by seed.

    Member k of both sweeps started from the same weights and saw the same draws, so the
    difference per seed is the recipe's effect; its median comes with a 95% bootstrap interval.
    """
    from gancurve.commands.compare import compare_command

    compare_command(runs_dir_of(runs_dir), first, second, metric, as_json)


@app.command()
def sample(
    num: PaintingsOption = 5,
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    seed: IdeasSeedOption = 0,
    fmt: Annotated[
        str | None,
        choice_option(
            SAMPLE_FORMATS,
            "table (for people), json, csv or npy. [default: from --output's extension, else table]",
            "--format",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
    raw: RawOption = False,
    label: LabelOption = None,
    a: AskedAOption = None,
) -> None:
    """Draw paintings from a trained generator."""
    from gancurve.commands.sample import sample_command
    from gancurve.results.sampling import Request

    sample_command(runs_dir_of(runs_dir), run, num, seed, fmt, output, raw, Request(label, a))


@app.command()
def evaluate(
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    num: Annotated[
        int,
        typer.Option(
            "-n", "--num", min=2, max=PAINTINGS_MAX, help="Paintings drawn from G and from the artist."
        ),
    ] = EVALUATE_SAMPLES,
    seed: IdeasSeedOption = EVALUATE_SEED,
    as_json: JsonOption = False,
    raw: RawOption = False,
) -> None:
    """Did it work? Score G against the known target and give a verdict."""
    from gancurve.commands.evaluate import evaluate_command

    evaluate_command(runs_dir_of(runs_dir), run, num, seed, as_json, raw)


@app.command()
def plot(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="name|output",
            help="A run, sweep or grid to draw (as --run takes it), when one has that name; otherwise "
            "where to write the figure (.png, .svg, .pdf). [default: the latest run, to RUN/plot.png]",
            show_default=False,
        ),
    ] = None,
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    num: Annotated[
        int, typer.Option("-n", "--num", min=1, max=500, help="Paintings drawn in panel (a).")
    ] = 20,
    raw: RawOption = False,
    critic: CriticOption = True,
) -> None:
    """Draw one figure of a run: paintings, fitted a, distance to the artist, losses, D's view."""
    from gancurve.commands.pictures import plot_command

    plot_command(runs_dir_of(runs_dir), run, target, num, raw, critic)


@app.command()
def animate(
    output: Annotated[
        Path, typer.Argument(help="The animation to write: .gif, or .mp4 with gancurve[video].")
    ],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    fps: Annotated[
        float,
        typer.Option(min=ANIMATION_FPS_RANGE[0], max=ANIMATION_FPS_RANGE[1], help="Frames per second."),
    ] = 10.0,
    every: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Keep every K-th snapshot. [default: 1, or fewer frames past 400]",
            show_default=False,
        ),
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(
            help="Frame size in pixels, WIDTHxHEIGHT. [default: 560x420, 560x600 with the critic panel]",
            show_default=False,
        ),
    ] = None,
    critic: CriticOption = True,
) -> None:
    """Animate training: G's paintings between the bounds (and D along the family), one frame per snapshot."""
    from gancurve.commands.pictures import animate_command

    animate_command(runs_dir_of(runs_dir), run, output, fps, every, size, critic)


@app.command()
@training_options()
def lab(
    steps: StepsOption = None,
    device: DeviceOption = DEFAULT_DEVICE,
    given: dict[str, object] | None = None,  # the training options (cli.options.training_options)
    runs_dir: RunsDirOption = None,
    name: NameOption = None,
    run: LabRunOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the page in a browser.")
    ] = False,
    engine: EngineOption = DEFAULT_ENGINE,
) -> None:
    """Watch and steer a GAN live in the browser: play, pause, step, change its choices.

    Opens http://127.0.0.1:PORT/?token=... and trains as train would (the same engine and choices),
    showing G's paintings, D next to the optimal D, the curves and the verdict live. Learning rates,
    betas, the loss, R1 and EMA change at the next step; other choices start the run again. "Save as
    run" writes an ordinary run directory (every command reads it). Ctrl-C stops (exit 130), saving
    the run again if it was saved once.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from gancurve.commands.lab import lab_command
    from gancurve.device import select_device
    from gancurve.lab.session import LabRequest

    request = LabRequest(
        runs_dir=runs_dir_of(runs_dir),
        name=name,
        run=run,
        given=dict(given or {}),
        steps=steps or CADENCE.steps,
        device=select_device(device),
        engine=engine,
    )
    raise typer.Exit(lab_command(request, host, port, open_browser=not no_browser))


app.add_typer(export_app, name="export")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="gancurve")
