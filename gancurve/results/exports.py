"""``gancurve export``: a run's results as files for other tools (model files: :mod:`model_export`)."""

from __future__ import annotations

from pathlib import Path

from gancurve.errors import UsageError
from gancurve.formats import MODEL_FORMATS, json_text
from gancurve.store.atomic import atomic_write_text
from gancurve.store.outputs import check_output
from gancurve.store.rundir import metrics_csv_text


def model_format(output: Path, requested: str | None) -> str:
    """The export format: as requested, else from the extension."""
    if requested is not None:
        if requested not in MODEL_FORMATS.values():
            raise UsageError(f"Unknown model format {requested!r}; choose export, torchscript or onnx.")
        return requested
    try:
        return MODEL_FORMATS[output.suffix.lower()]
    except KeyError:
        raise UsageError(
            f"Cannot tell the model format of {output.name!r}: use .pt2 (torch.export), "
            ".pt (TorchScript) or .onnx, or --format."
        ) from None


def export_metrics(rows: list[dict[str, float]], output: Path) -> None:
    """The training log as CSV (one row per logged step) or JSON (a list of records)."""
    check_output(output)
    suffix = output.suffix.lower()
    if suffix == ".json":
        atomic_write_text(output, json_text(rows, indent=1) + "\n")  # (a diverged run's inf: null)
    elif suffix == ".csv":
        atomic_write_text(output, metrics_csv_text(rows))
    else:
        raise UsageError(f"Cannot write {output.name!r}: use a .csv or .json file name.")
