"""Drawing paintings from a trained generator, and writing them out in plain formats."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gancurve.core.artist import make_artist
from gancurve.core.condition import Condition, make_condition
from gancurve.core.config import PAINTINGS_MAX
from gancurve.core.draws import draw_ideas, stream
from gancurve.core.networks import paint
from gancurve.errors import UsageError
from gancurve.formats import SAMPLE_FILE_FORMATS, SAMPLE_FORMATS, json_text
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
    condition: np.ndarray | None = None  # (n,) what each painting asked for; None: unconditional
    condition_name: str = "none"  # what ``condition`` holds: "label" or "a"


#: The largest number G's float32 arithmetic holds.
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Request:
    """What a conditional G is asked to paint (``sample --label`` / ``--a``); nothing set: an even
    spread of conditions (:meth:`~gancurve.core.condition.Condition.requested_a`)."""

    label: int | None = None
    a: float | None = None

    def check(self, run_name: str, condition: str) -> None:
        """``UsageError`` when the request does not fit a run trained with ``condition``."""
        given = "--label" if self.label is not None else "--a" if self.a is not None else None
        if given is None:
            return
        if self.label is not None and self.a is not None:
            raise UsageError("Ask for a --label or an --a, not both.")
        if condition == "none":
            raise UsageError(
                f"Run {run_name!r} was trained without a condition: {given} belongs to runs trained "
                "with --condition label or --condition a."
            )
        wanted = "--label" if condition == "label" else "--a"
        if given != wanted:
            raise UsageError(f"Run {run_name!r} was trained with --condition {condition}: ask with {wanted}.")
        if self.a is not None and not (math.isfinite(self.a) and abs(self.a) <= FLOAT32_MAX):
            # (G computes in float32: 1e308 would become inf there, and every painting NaN)
            raise UsageError(
                f"--a must be a finite number of float32 (at most ±{FLOAT32_MAX:.4g}), got {self.a:g}."
            )

    def condition_values(self, condition: Condition, n: int) -> np.ndarray:
        """The ``(n, width)`` condition columns of G's inputs for this request."""
        if self.label is not None:
            return np.full((n, 1), self.label, np.float32)
        if self.a is not None:
            return np.full((n, 1), self.a, np.float32)
        return condition.values(condition.requested_a(n).astype(np.float32))


def draw_samples(
    run: RunDir, n: int, seed: int, raw: bool = False, request: Request | None = None
) -> Samples:
    """``n`` paintings from the run's generator, for ideas drawn from ``seed``: G's moving average
    when the run keeps one, unless ``raw``; a conditional G paints what ``request`` asks."""
    if not 1 <= n <= PAINTINGS_MAX:
        raise UsageError(f"-n must be from 1 to {PAINTINGS_MAX:,}, got {n:,}.")
    weights, config, step = load_networks(run, raw)
    request = request or Request()
    request.check(run.name, config.condition)
    condition = make_condition(config)
    ideas = draw_ideas(stream(seed), config.prior, (n, config.ideas))
    values = request.condition_values(condition, n)
    artist = make_artist(config)
    # A request far outside the artist's range can overflow float32 inside G: such paintings are
    # inf or NaN (the caller says so), not numpy warnings that print gancurve's source paths.
    with np.errstate(over="ignore", invalid="ignore"):
        paintings = paint(weights["generator"], np.concatenate([ideas, values], axis=1))
        a_hat, residual = artist.fit(paintings)
    return Samples(
        x=artist.grid(np.float64).round(12) + 0.0,  # 5.6e-17 -> 0.0, -0.0 -> 0.0
        y=paintings,
        a_hat=a_hat,
        residual=residual,
        step=step,
        ema=0.0 if raw else config.ema,
        condition=values[:, 0].astype(np.float64) if condition.width else None,
        condition_name=condition.name,
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
    """``{"x": [...], "y": [[...], ...], "a_hat": [...], "residual": [...]}`` as text (a conditional
    G's samples add ``"label"`` or ``"a"``: what each painting was asked for)."""
    arrays = {
        "x": samples.x,
        "y": samples.y.astype(np.float64),
        "a_hat": samples.a_hat,
        "residual": samples.residual,
    }
    if samples.condition is not None:
        arrays[samples.condition_name] = samples.condition
    if all(np.isfinite(array).all() for array in arrays.values()):
        return json.dumps({name: array.tolist() for name, array in arrays.items()})
    # (Not finite, G overflowed: null, as every JSON gancurve writes; the slower walk only then.)
    return json_text({name: array.tolist() for name, array in arrays.items()})


def to_csv(samples: Samples, with_fit: bool = False) -> str:
    """One painting per row; the header names each x position (``x=-1`` ...).

    ``with_fit`` adds two columns: each painting's fitted ``a_hat`` and its residual; a conditional
    G's samples end with what each painting was asked for (``label`` or ``a``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    asked = [samples.condition_name] if samples.condition is not None else []
    writer.writerow([f"x={x:.6g}" for x in samples.x] + (["a_hat", "residual"] if with_fit else []) + asked)
    for index, row in enumerate(samples.y):
        fit = [samples.a_hat[index], samples.residual[index]] if with_fit else []
        condition = [samples.condition[index]] if samples.condition is not None else []
        writer.writerow([repr(float(v)) for v in (*row, *fit, *condition)])
    return buffer.getvalue()


def write_samples(samples: Samples, fmt: str, output: Path, with_fit: bool = False) -> None:
    """Write samples to a file atomically in a file format (``with_fit``: CSV gets a_hat, residual)."""
    check_output(output)
    if fmt == "npy":
        atomic_write(output, lambda stream: np.save(stream, samples.y))
    elif fmt == "npz":
        arrays = {"x": samples.x, "y": samples.y, "a_hat": samples.a_hat, "residual": samples.residual}
        if samples.condition is not None:
            arrays[samples.condition_name] = samples.condition
        atomic_write(output, lambda stream: np.savez(stream, **arrays))  # type: ignore[arg-type]
    elif fmt == "json":
        atomic_write_text(output, to_json(samples) + "\n")
    elif fmt == "csv":
        atomic_write_text(output, to_csv(samples, with_fit))
    else:
        raise UsageError(f"Format {fmt!r} cannot be written to a file; use json, csv or npy.")
