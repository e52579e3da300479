"""``gancurve plot`` and ``gancurve animate``: pictures from a run directory."""

from __future__ import annotations

from pathlib import Path

from gancurve.console import err, out
from gancurve.store.runs import find_run

#: Paintings drawn for the fitted-a histogram of ``plot``: enough for a smooth shape.
HISTOGRAM_SAMPLES = 5000


def plot_command(runs_dir: Path, run_name: str | None, output: Path | None, curves: int) -> None:
    """Draw the summary figure of a run; print where it went."""
    from gancurve.render.plot import build_figure, check_plot_output, write_plot
    from gancurve.sampling import draw_samples

    run = find_run(runs_dir, run_name)
    output = output or run.path / "plot.png"
    check_plot_output(output)
    samples = draw_samples(run, max(curves, HISTOGRAM_SAMPLES), seed=0)
    figure = build_figure(samples, run.read_metrics(), run.name, curves)
    write_plot(figure, output)
    out.print(str(output), markup=False, soft_wrap=True)


def animate_command(
    runs_dir: Path, run_name: str | None, output: Path, fps: float, every: int | None, size: str
) -> None:
    """Render the run's snapshots as a GIF or MP4; print where it went."""
    from gancurve.render.animate import check_animation_output, parse_size, write_animation

    frame_size = parse_size(size)
    check_animation_output(output)
    run = find_run(runs_dir, run_name)
    snapshots = run.read_snapshots()
    rows = run.read_metrics() if run.metrics_path.is_file() else []
    w1 = [(int(row["step"]), row["w1"]) for row in rows if "w1" in row]
    with err.status(f"Rendering {len(snapshots.steps)} snapshots of run {run.name} …"):
        plan = write_animation(snapshots, output, fps, every, frame_size, w1)
    if plan.auto_thinned:
        err.print(
            f"Note: {len(snapshots.steps)} snapshots; kept every {plan.every}th "
            f"({len(plan.indices)} frames). Use --every to choose.",
            markup=False,
            soft_wrap=True,
        )
    out.print(str(output), markup=False, soft_wrap=True)
