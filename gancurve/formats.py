"""The file formats gancurve reads and writes, named once (torch-free, so the CLI can list them)."""

from __future__ import annotations

import json
import math

#: ``sample --format``: a table for people, or data for programs.
SAMPLE_FORMATS = ("table", "json", "csv", "npy")
#: What ``sample -o FILE`` can write (recognised from the extension).
SAMPLE_FILE_FORMATS = ("json", "csv", "npy")
#: What ``export samples`` writes: also .npz (x, y, a_hat and residual in one file).
EXPORT_SAMPLE_FORMATS = ("json", "csv", "npy", "npz")
#: ``export model``: formats by file extension.
MODEL_FORMATS = {".pt2": "export", ".pt": "torchscript", ".onnx": "onnx"}
#: ``plot``: figure formats matplotlib writes.
PLOT_FORMATS = (".png", ".svg", ".pdf")
#: ``animate``: animation formats.
ANIMATION_FORMATS = (".gif", ".mp4")
#: ``animate --fps``, (slowest, fastest): a GIF frame lasts at most 655 s, and more than 60 frames
#: a second is more than a screen shows.
ANIMATION_FPS_RANGE = (0.1, 60.0)


def json_safe(value: object) -> object:
    """``value`` for standard JSON: a number that is not finite (a diverged G's W1) becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def json_text(value: object, **options: object) -> str:
    """``value`` as standard JSON text: a number that is not finite becomes null, never the
    ``NaN``/``Infinity`` that ``json.dumps`` writes by default and JSON readers refuse."""
    return json.dumps(json_safe(value), allow_nan=False, **options)  # type: ignore[arg-type]
