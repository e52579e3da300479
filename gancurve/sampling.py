"""Drawing paintings from a trained generator, and writing them out in plain formats."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gancurve.core.artist import make_artist
from gancurve.core.config import PAINTINGS_MAX
from gancurve.core.draws import stream
from gancurve.core.networks import paint
from gancurve.errors import UsageError
from gancurve.formats import SAMPLE_FILE_FORMATS, SAMPLE_FORMATS
from gancurve.store.atomic import atomic_write, atomic_write_text
from gancurve.store.checkpoint import load_networks
from gancurve.store.outputs import check_output
from gancurve.store.rundir import RunDir


@dataclass(frozen=True)
class Samples:
    """Paintings drawn from a run's generator, with their projection onto the family."""

    x: np.ndarray  # (points,)
    y: np.ndarray  # (n, points) float32
    a_hat: np.ndarray  # (n,) fitted a of each painting
    residual: np.ndarray  # (n,) RMS distance from the family
    step: int  # the training step of the generator that drew them
    ema: float = 0.0  # the decay of G's moving average that drew them; 0: G itself


def draw_samples(run: RunDir, n: int, seed: int, raw: bool = False) -> Samples:
    """``n`` paintings from the run's generator, for ideas drawn from ``seed``: G's moving average
    when the run keeps one, unless ``raw``."""
    if not 1 <= n <= PAINTINGS_MAX:
        raise UsageError(f"-n must be from 1 to {PAINTINGS_MAX:,}, got {n:,}.")
    weights, config, step = load_networks(run, raw)
    ideas = stream(seed).standard_normal((n, config.ideas), dtype=np.float32)
    paintings = paint(weights["generator"], ideas)
    artist = make_artist(config)
    a_hat, residual = artist.fit(paintings)
    return Samples(
        x=artist.grid(np.float64).round(12) + 0.0,  # 5.6e-17 -> 0.0, -0.0 -> 0.0
        y=paintings,
        a_hat=a_hat,
        residual=residual,
        step=step,
        ema=0.0 if raw else config.ema,
    )


def infer_format(output: Path | None, requested: str | None) -> str:
    """The format: as requested, else from the output's extension, else the table."""
    if requested is not None:
        if requested not in SAMPLE_FORMATS:
            raise UsageError(f"Unknown format {requested!r}; choose one of {', '.join(SAMPLE_FORMATS)}.")
        return requested
    if output is None:
        return "table"
    suffix = output.suffix.lower().lstrip(".")
    if suffix not in SAMPLE_FILE_FORMATS:
        raise UsageError(
            f"Cannot tell the format of {output.name!r}; use a .json, .csv or .npy name, or --format."
        )
    return suffix


def to_json(samples: Samples) -> str:
    """``{"x": [...], "y": [[...], ...], "a_hat": [...], "residual": [...]}`` as text."""
    return json.dumps(
        {
            "x": samples.x.tolist(),
            "y": samples.y.astype(np.float64).tolist(),
            "a_hat": samples.a_hat.tolist(),
            "residual": samples.residual.tolist(),
        }
    )


def to_csv(samples: Samples, with_fit: bool = False) -> str:
    """One painting per row; the header names each x position (``x=-1`` ...).

    ``with_fit`` adds two columns: each painting's fitted ``a_hat`` and its residual.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"x={x:.6g}" for x in samples.x] + (["a_hat", "residual"] if with_fit else []))
    for index, row in enumerate(samples.y):
        fit = [samples.a_hat[index], samples.residual[index]] if with_fit else []
        writer.writerow([repr(float(v)) for v in (*row, *fit)])
    return buffer.getvalue()


def write_samples(samples: Samples, fmt: str, output: Path, with_fit: bool = False) -> None:
    """Write samples to a file atomically in a file format (``with_fit``: CSV gets a_hat, residual)."""
    check_output(output)
    if fmt == "npy":
        atomic_write(output, lambda stream: np.save(stream, samples.y))
    elif fmt == "npz":
        arrays = {"x": samples.x, "y": samples.y, "a_hat": samples.a_hat, "residual": samples.residual}
        atomic_write(output, lambda stream: np.savez(stream, **arrays))  # type: ignore[arg-type]
    elif fmt == "json":
        atomic_write_text(output, to_json(samples) + "\n")
    elif fmt == "csv":
        atomic_write_text(output, to_csv(samples, with_fit))
    else:
        raise UsageError(f"Format {fmt!r} cannot be written to a file; use json, csv or npy.")
