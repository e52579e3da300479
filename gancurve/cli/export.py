"""``gancurve export samples|model|metrics``: the options of the export commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gancurve.cli.options import (
    IdeasSeedOption,
    PaintingsOption,
    RawOption,
    RunOption,
    RunsDirOption,
    choice_option,
)
from gancurve.cli.paths import runs_dir_of
from gancurve.formats import MODEL_FORMATS

export_app = typer.Typer(
    help="Take results elsewhere: samples, the generator as a model file, the training log.",
    no_args_is_help=True,
)


@export_app.command("samples")
def export_samples(
    output: Annotated[
        Path, typer.Argument(help="File to write: .csv, .json, .npy (paintings only) or .npz.")
    ],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    num: PaintingsOption = 1000,
    seed: IdeasSeedOption = 0,
    raw: RawOption = False,
) -> None:
    """Paintings with the x grid and each one's fitted a and residual."""
    from gancurve.commands.export import export_samples_command

    export_samples_command(runs_dir_of(runs_dir), run, output, num, seed, raw)


MODEL_FORMAT_NAMES = tuple(MODEL_FORMATS.values())


@export_app.command("model")
def export_model(
    output: Annotated[
        Path, typer.Argument(help="File to write: .pt2 (torch.export), .pt (TorchScript) or .onnx.")
    ],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
    fmt: Annotated[
        str | None,
        choice_option(
            MODEL_FORMAT_NAMES, "Model format. [default: from the extension]", "--format", show_default=False
        ),
    ] = None,
    raw: RawOption = False,
) -> None:
    """The generator as a model file: float32 ideas in, paintings out, any number n of rows.

    Its input is (n, ideas), and (n, ideas + 1) for a conditional run (the condition is the last
    column); its output is (n, points). The shapes of the run are printed when it is written.
    """
    from gancurve.commands.export import export_model_command

    export_model_command(runs_dir_of(runs_dir), run, output, fmt, raw)


@export_app.command("metrics")
def export_metrics(
    output: Annotated[Path, typer.Argument(help="File to write: .csv or .json (a list of records).")],
    run: RunOption = None,
    runs_dir: RunsDirOption = None,
) -> None:
    """The training log (losses, D accuracy, D score, quality metrics), for pandas and spreadsheets."""
    from gancurve.commands.export import export_metrics_command

    export_metrics_command(runs_dir_of(runs_dir), run, output)
