"""``gancurve plot`` and ``gancurve animate``: pictures from a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gancurve.commands import say_which_generator
from gancurve.console import err, out
from gancurve.errors import UsageError
from gancurve.formats import PLOT_FORMATS
from gancurve.store.grids import GridDir
from gancurve.store.rundir import RunDir
from gancurve.store.runs import find_run, is_directory, locate
from gancurve.store.sweeps import SweepDir

if TYPE_CHECKING:
    pass


def plot_command(
    runs_dir: Path, run_name: str | None, target: str | None, curves: int, raw: bool, critic: bool = True
) -> None:
    """Draw the summary figure of a run, the sweep figure of a sweep or the grid figure of a grid;
    print where it went.

    ``target``, plot's argument, is a run, sweep or grid when one has that name (``plot tut``,
    ``plot gl/lr-g-0.0001``: dots and all), else the file to write.
    """
    from gancurve.api import summary_figure
    from gancurve.render.plot import check_plot_output, write_plot
    from gancurve.store.rundir import is_grid
    from gancurve.store.sweeps import find_sweep

    output = None
    if target is not None and run_name is None and _names_something(runs_dir, target):
        run_name = target  # 'gancurve plot NAME': the run, sweep or grid to draw
    elif target is not None:
        output = Path(target).expanduser()
        if output.suffix.lower() not in PLOT_FORMATS:  # neither a name found nor a figure's file
            raise UsageError(
                f"No run, sweep or grid {target!r} in {runs_dir}, and {output.name!r} is not a figure to "
                "write (use a .png, .svg or .pdf file name)."
            )
    if run_name is not None:
        place = find_sweep(runs_dir, run_name, grids=True) if _is_sweep_or_grid(runs_dir, run_name) else None
        if place is not None and is_grid(place.path):
            _plot_grid(GridDir(place.path), output)
            return
        if place is not None:
            _plot_sweep(place, output)
            return
    run = find_run(runs_dir, run_name)
    output = output or run.path / "plot.png"
    check_plot_output(output)
    figure = summary_figure(run, curves, raw, critic)
    say_which_generator(0.0 if raw else run.train_config().ema)
    write_plot(figure, output)
    out.print(str(output), markup=False, soft_wrap=True)


#: ``animate``'s frame size without and with the critic panel.
FRAME_SIZES = ("560x420", "560x600")


def animate_command(
    runs_dir: Path,
    run_name: str | None,
    output: Path,
    fps: float,
    every: int | None,
    size: str | None,
    critic: bool = True,
) -> None:
    """Render the run's snapshots as a GIF or MP4 (``critic``: with D along the family, when the
    run recorded it); print where it went."""
    from gancurve.core.artist import make_artist
    from gancurve.core.condition import make_condition
    from gancurve.core.objectives import OBJECTIVES
    from gancurve.render.animate import check_animation_output, parse_size, write_animation
    from gancurve.render.frames import Look

    if size is not None:
        parse_size(size)  # a bad --size is refused before any work
    check_animation_output(output)
    run = find_run(runs_dir, run_name)
    snapshots = run.read_snapshots()
    if critic and snapshots.critic is None:
        err.print(
            f"Note: run {run.label} recorded no critic frames (a sweep's members and older runs do not); "
            "animating the paintings only.",
            markup=False,
            soft_wrap=True,
        )
    frame_size = parse_size(size or FRAME_SIZES[critic and snapshots.critic is not None])
    rows = run.read_metrics() if run.metrics_path.is_file() else []
    w1 = [(int(row["step"]), row["w1"]) for row in rows if "w1" in row]
    config = run.train_config()
    look = Look(OBJECTIVES[config.loss], make_artist(config), make_condition(config), critic)
    with err.status(f"Rendering {len(snapshots.steps)} snapshots of run {run.label} …"):
        plan = write_animation(snapshots, output, fps, every, frame_size, w1, look)
    if plan.auto_thinned:
        err.print(
            f"Note: {len(snapshots.steps)} snapshots; kept every {plan.every}th "
            f"({len(plan.indices)} frames). Use --every to choose.",
            markup=False,
            soft_wrap=True,
        )
    out.print(str(output), markup=False, soft_wrap=True)


def _is_sweep_or_grid(runs_dir: Path, name: str) -> bool:
    from gancurve.store.rundir import is_grid
    from gancurve.store.sweeps import is_sweep

    path = locate(runs_dir, name)
    return is_directory(path, "The run") and (is_sweep(path) or is_grid(path))


def _names_something(runs_dir: Path, name: str) -> bool:
    """Whether ``name`` is a run, a sweep or a grid, found as ``--run`` finds one."""
    path = locate(runs_dir, name)
    return _is_sweep_or_grid(runs_dir, name) or (
        is_directory(path, "The run") and RunDir(path).config_path.is_file()
    )


def _plot_grid(grid: GridDir, output: Path | None) -> None:
    """The grid figure: the recipes over training, their final W1, each against the first."""
    from gancurve.api import grid_figure
    from gancurve.render.plot import check_plot_output, write_plot

    output = output or grid.path / "plot.png"
    check_plot_output(output)
    with err.status(f"Drawing grid {grid.name} …"):
        write_plot(grid_figure(grid), output)
    out.print(str(output), markup=False, soft_wrap=True)


def _plot_sweep(sweep: SweepDir, output: Path | None) -> None:
    """The sweep figure: W1 over training for every seed, final W1 per seed, three histograms."""
    from gancurve.api import sweep_figure
    from gancurve.render.plot import check_plot_output, write_plot

    output = output or sweep.path / "plot.png"
    check_plot_output(output)
    with err.status(f"Drawing sweep {sweep.name} …"):
        write_plot(sweep_figure(sweep), output)
    out.print(str(output), markup=False, soft_wrap=True)
