"""Shared look: the tutorial's colours and the fixed canvas the paintings live on."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from matplotlib.axes import Axes

from gancurve.core.artist import Artist, ParameterLaw

GREEN = "#4AD631"  # the tutorial's colour for G's painting
UPPER = "#74BCFF"  # the tutorial's upper-bound colour
LOWER = "#FF9359"  # the tutorial's lower-bound colour
BAND = "#EAF3FB"
REAL = "#9A9A9A"


def example_a(law: ParameterLaw) -> tuple[float, ...]:
    """The real paintings drawn faintly behind G's: the middle of a wide law, or every mode's centre."""
    if law.modes == 1:
        return tuple(law.low + share * (law.high - law.low) for share in (0.25, 0.5, 0.75))
    return tuple((low + high) / 2 for low, high in law.intervals)


def draw_canvas(axes: Axes, x: np.ndarray, artist: Artist | None = None) -> None:
    """The band between the artist's bounds, the bounds themselves and a few real paintings,
    faintly, on the family's fixed canvas (fixed, so motion between frames is real motion)."""
    artist = artist or Artist()
    fine = replace(artist, points=200)  # the same curves, drawn smoothly
    xs, family = fine.grid(np.float64), artist.family
    lower, upper = fine.lower_bound(np.float64), fine.upper_bound(np.float64)
    axes.fill_between(xs, lower, upper, color=BAND, zorder=0, label="_band")
    axes.plot(xs, upper, color=UPPER, lw=2, label=family.upper_label, zorder=1)
    axes.plot(xs, lower, color=LOWER, lw=2, label=family.lower_label, zorder=1)
    examples = fine.paint(np.array(example_a(artist.law)))
    for index, painting in enumerate(examples):
        axes.plot(
            xs,
            painting,
            color=REAL,
            lw=0.8,
            ls="--",
            zorder=1,
            label="real paintings" if index == 0 else "_real",
        )
    axes.set_xlim(float(x[0]), float(x[-1]))
    axes.set_ylim(*family.y_limits)
    axes.set_xlabel("x")
    axes.set_ylabel("y")
