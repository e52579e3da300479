"""Shared look: the tutorial's colours and the fixed canvas the paintings live on."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from gancurve.core.artist import Artist, example_a
from gancurve.core.condition import Condition

GREEN = "#4AD631"  # the tutorial's colour for G's painting
UPPER = "#74BCFF"  # the tutorial's upper-bound colour
LOWER = "#FF9359"  # the tutorial's lower-bound colour
BAND = "#EAF3FB"
REAL = "#9A9A9A"
REAL_CURVE = "#505050"  # a point law's one real painting: darker than the faint examples of a band


def draw_canvas(axes: Axes, x: np.ndarray, artist: Artist | None = None) -> None:
    """The band between the artist's bounds, the bounds themselves and a few real paintings,
    faintly, on the family's fixed canvas (fixed, so motion between frames is real motion). A
    point law's band is one curve: the real painting, drawn alone."""
    artist = artist or Artist()
    fine = replace(artist, points=200)  # the same curves, drawn smoothly
    xs, family = fine.grid(np.float64), artist.family
    if artist.law.is_point:
        painting = fine.paint(np.array([artist.law.low]))[0]
        axes.plot(xs, painting, color=REAL_CURVE, lw=2.5, zorder=1,
                  label=f"the real painting (a = {artist.law.low:g})")  # fmt: skip
    else:
        _draw_band(axes, fine, xs)
    axes.set_xlim(float(x[0]), float(x[-1]))
    axes.set_ylim(*family.y_limits)
    axes.set_xlabel("x")
    axes.set_ylabel("y")


def _draw_band(axes: Axes, fine: Artist, xs: np.ndarray) -> None:
    """The band between the bounds, the bounds, and a few real paintings dashed."""
    family = fine.family
    lower, upper = fine.lower_bound(np.float64), fine.upper_bound(np.float64)
    axes.fill_between(xs, lower, upper, color=BAND, zorder=0, label="_band")
    axes.plot(xs, upper, color=UPPER, lw=2, label=family.upper_label, zorder=1)
    axes.plot(xs, lower, color=LOWER, lw=2, label=family.lower_label, zorder=1)
    examples = fine.paint(np.array(example_a(fine.law)))
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


#: A conditional G's curves are coloured by what they were asked for, along this colour map: low a
#: dark, high a light; label 0 (the lower half) and label 1 take the colours of its quarters. None
#: of them is a bound's colour, so a curve is never mistaken for a bound.
A_COLOURMAP = "viridis"
LABEL_SHADES = (0.2, 0.8)


def condition_colours(condition: Condition, values: np.ndarray) -> list[Any]:
    """One colour per curve for its condition value (G's green for every curve without one)."""
    colourmap = matplotlib.colormaps[A_COLOURMAP]
    if condition.name == "label":
        return [colourmap(LABEL_SHADES[int(value > 0.5)]) for value in values]
    if condition.name == "a":
        span = max(condition.law.high - condition.law.low, 1e-12)
        return [colourmap(float(np.clip((value - condition.law.low) / span, 0.0, 1.0))) for value in values]
    return [GREEN] * len(values)


def condition_handles(condition: Condition) -> list[Line2D]:
    """Legend entries for the colours of a conditional G's curves (none without a condition)."""
    if condition.name == "label":
        names = ("G, label 0 (lower half)", "G, label 1 (upper half)")
        values = np.array([0.0, 1.0])
    elif condition.name == "a":
        law = condition.law
        names = (f"G asked for a = {law.low:g}", f"G asked for a = {law.high:g}")
        values = np.array([law.low, law.high])
    else:
        return []
    colours = condition_colours(condition, values)
    return [
        Line2D([], [], color=colour, lw=2, label=name) for colour, name in zip(colours, names, strict=True)
    ]
