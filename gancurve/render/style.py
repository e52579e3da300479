"""Shared look: the tutorial's colours and the fixed canvas the paintings live on."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

GREEN = "#4AD631"  # the tutorial's colour for G's painting
UPPER = "#74BCFF"  # the tutorial's upper-bound colour
LOWER = "#FF9359"  # the tutorial's lower-bound colour
BAND = "#EAF3FB"
REAL = "#9A9A9A"
Y_LIMITS = (0.0, 3.0)  # as in the tutorial: fixed, so motion between frames is real motion


def draw_canvas(axes: Axes, x: np.ndarray, real_a: tuple[float, ...] = (1.25, 1.5, 1.75)) -> None:
    """The band between the bounds, the bounds themselves and a few real paintings, faintly."""
    fine = np.linspace(-1, 1, 200)
    axes.fill_between(fine, fine**2, 2 * fine**2 + 1, color=BAND, zorder=0, label="_band")
    axes.plot(fine, 2 * fine**2 + 1, color=UPPER, lw=2, label="upper bound 2x²+1", zorder=1)
    axes.plot(fine, fine**2, color=LOWER, lw=2, label="lower bound x²", zorder=1)
    for index, a in enumerate(real_a):
        axes.plot(
            fine, a * (fine**2 + 1) - 1, color=REAL, lw=0.8, ls="--", zorder=1,
            label="real paintings" if index == 0 else "_real",
        )  # fmt: skip
    axes.set_xlim(float(x[0]), float(x[-1]))
    axes.set_ylim(*Y_LIMITS)
    axes.set_xlabel("x")
    axes.set_ylabel("y")
