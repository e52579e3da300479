"""``gancurve sample``: paintings from a trained generator, for people or programs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from rich.table import Table

from gancurve.commands import say_which_generator
from gancurve.console import err, out
from gancurve.core.artist import Artist, ParameterLaw, make_artist
from gancurve.errors import UsageError
from gancurve.results.sampling import (
    Request,
    Samples,
    draw_samples,
    infer_format,
    to_csv,
    to_json,
    write_samples,
)
from gancurve.store.runs import find_run


def sample_command(
    runs_dir: Path,
    run_name: str | None,
    n: int,
    seed: int,
    fmt: str | None,
    output: Path | None,
    raw: bool,
    request: Request,
) -> None:
    """Draw ``n`` paintings (a conditional G: what ``request`` asks) and print or write them."""
    fmt = infer_format(output, fmt)
    if fmt == "npy" and output is None:
        raise UsageError("--format npy is binary: give a file with -o/--output.")
    if fmt == "table" and output is not None:
        raise UsageError("--format table is for the terminal; use json, csv or npy with -o/--output.")
    run = find_run(runs_dir, run_name)
    samples = draw_samples(run, n, seed, raw, request)
    say_which_generator(samples.ema)
    law = make_artist(run.train_config()).law
    if request.a is not None and not law.low <= request.a <= law.high:
        err.print(
            f"Note: a = {request.a:g} lies outside the artist's [{law.low:g}, {law.high:g}]: G never saw "
            "such a request, so it extrapolates.",
            markup=False,
            soft_wrap=True,
        )
    broken = int(np.sum(~np.isfinite(samples.y).all(axis=1)))
    if broken:
        err.print(
            f"Note: {broken} of the {n} paintings are not finite: G's float32 arithmetic overflowed "
            "(JSON writes them as null).",
            markup=False,
            soft_wrap=True,
        )
    if output is not None:
        write_samples(samples, fmt, output)
        err.print(f"Wrote {n} paintings ({fmt}) to {output}", markup=False, soft_wrap=True)
    elif fmt == "json":
        sys.stdout.write(to_json(samples) + "\n")
    elif fmt == "csv":
        sys.stdout.write(to_csv(samples))
    else:
        out.print(_table(samples, run.name, make_artist(run.train_config())))


def _table(samples: Samples, run_name: str, artist: Artist) -> Table:
    law = artist.law
    table = Table(
        title=f"{len(samples.y)} paintings from run {run_name} (step {samples.step})",
        caption=f"A real painting is {artist.family.formula}, {_range_of(law)}, residual 0.",
    )
    table.add_column("#", justify="right")
    if samples.condition is not None:
        table.add_column("asked for", justify="right")
    table.add_column("fitted a", justify="right")
    table.add_column("residual", justify="right")
    table.add_column(f"y at x = {samples.x[0]:g} … {samples.x[-1]:g}")
    for index, (a, residual, y) in enumerate(
        zip(samples.a_hat, samples.residual, samples.y, strict=True), start=1
    ):
        asked = [] if samples.condition is None else [_asked(samples, index - 1)]
        table.add_row(str(index), *asked, f"{a:.3f}", f"{residual:.3f}", " ".join(f"{v:.2f}" for v in y))
    return table


def _range_of(law: ParameterLaw) -> str:
    """The artist's a, for people: ``1 ≤ a ≤ 2``, or a point's ``a = 1.5``."""
    return f"a = {law.low:g}" if law.is_point else f"{law.low:g} ≤ a ≤ {law.high:g}"


def _asked(samples: Samples, row: int) -> str:
    assert samples.condition is not None
    value = samples.condition[row]
    return f"label {value:.0f}" if samples.condition_name == "label" else f"a = {value:.3f}"
