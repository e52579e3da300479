"""``gancurve export samples|model|metrics``: a run's results as files for other tools."""

from __future__ import annotations

from pathlib import Path

from gancurve.commands import say_which_generator
from gancurve.console import out
from gancurve.errors import UsageError
from gancurve.store.runs import find_run


def export_samples_command(
    runs_dir: Path, run_name: str | None, output: Path, n: int, seed: int, raw: bool
) -> None:
    """Paintings with the x grid and each painting's fitted a and residual."""
    from gancurve.formats import EXPORT_SAMPLE_FORMATS
    from gancurve.results.sampling import draw_samples, write_samples

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in EXPORT_SAMPLE_FORMATS:
        raise UsageError(f"Cannot write {output.name!r}: use a .csv, .json, .npy or .npz file name.")
    run = find_run(runs_dir, run_name)
    samples = draw_samples(run, n, seed, raw)
    write_samples(samples, fmt, output, with_fit=True)
    say_which_generator(samples.ema)
    out.print(str(output), markup=False, soft_wrap=True)


def export_model_command(
    runs_dir: Path, run_name: str | None, output: Path, fmt: str | None, raw: bool
) -> None:
    """The generator as a standalone model file, checked against the original."""
    from gancurve.api import export_model
    from gancurve.store.checkpoint import load_checkpoint

    run = find_run(runs_dir, run_name)
    chosen, difference = export_model(run, output, fmt, raw)
    config, step = run.train_config(), load_checkpoint(run).step
    say_which_generator(0.0 if raw else config.ema)
    inputs = "ideas" if config.condition == "none" else f"ideas ⊕ {config.condition}"
    out.print(
        f"{output}  ({chosen}, G of run {run.name} at step {step}; "
        f"{inputs} (n, {config.g_inputs}) → paintings (n, {config.points}); max difference {difference:.1e})",
        markup=False,
        soft_wrap=True,
    )


def export_metrics_command(runs_dir: Path, run_name: str | None, output: Path) -> None:
    """The training log, for pandas and spreadsheets."""
    from gancurve.results.exports import export_metrics

    run = find_run(runs_dir, run_name)
    export_metrics(run.read_metrics(), output)
    out.print(str(output), markup=False, soft_wrap=True)
