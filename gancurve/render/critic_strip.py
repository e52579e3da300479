"""The animation's critic panel: D along the family at each snapshot, under G's curves.

Each frame shows what a training run recorded with its snapshot (``core.critic.critic_frame``):
D along the family's line of ``a``, the optimal D for G at that moment (dashed; none for the
objectives and conditions without a closed form), the artist's density of ``a`` as a grey
silhouette, and G's snapshot paintings as dots at their fitted ``a`` — in their curves' colours —
each with an arrow for the push G's loss gives it there (scaled within the frame: the longest
arrow is the painting pushed hardest now). A learner sees a painting's dot slide along the arrow
D's slope draws, frame after frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from gancurve.core.artist import Artist
from gancurve.core.critic import FRAME_A, artist_density
from gancurve.core.objectives import Objective
from gancurve.render.style import REAL, UPPER

#: Where the dots of G's paintings sit, and the longest push arrow (in a), on the panel.
DOTS_AT = -0.1
LONGEST_ARROW = 0.12
#: The artist's density is drawn this tall (a share of D's range): a silhouette, not a scale.
SILHOUETTE = 0.35
PUSH_COLOUR = "#E07B00"


class CriticStrip:
    """The panel's static parts, drawn once, and the artists each frame updates."""

    def __init__(
        self, axes: Axes, artist: Artist, objective: Objective, frames: np.ndarray, colours: list[Any]
    ) -> None:
        self.axes, self.artist = axes, artist
        low, high = _d_range(objective, frames)
        span = high - low
        self.dots_at = low + DOTS_AT * span
        density = artist_density(artist, FRAME_A)
        silhouette = low + SILHOUETTE * span * density / max(float(density.max()), 1e-12)
        axes.fill_between(FRAME_A, low, silhouette, color=REAL, alpha=0.25, lw=0, label="the artist's a")
        if objective.probabilistic:
            axes.axhline(0.5, color="black", ls=":", lw=0.8)
        nan = np.full_like(FRAME_A, np.nan)
        self.d = axes.plot(FRAME_A, nan, color=UPPER, lw=2, animated=True, label="D")[0]
        has_d_star = bool(np.isfinite(frames[:, 1]).any())  # (hinge, WGAN-GP, an asked a: none)
        self.d_star = axes.plot(FRAME_A, nan, color="black", ls="--", lw=1.2, animated=True,
                                label="optimal D*" if has_d_star else "_none")[0]  # fmt: skip
        count = len(colours)
        self.dots = axes.scatter(np.zeros(count), np.full(count, self.dots_at), c=colours, s=14,
                                 zorder=4, animated=True, label="G's paintings (fitted a)")  # fmt: skip
        self.push = axes.quiver(
            np.zeros(count), np.full(count, self.dots_at), np.zeros(count), np.zeros(count),
            color=PUSH_COLOUR, angles="xy", scale_units="xy", scale=1, width=0.004, animated=True, zorder=3,
        )  # fmt: skip
        axes.set_xlim(float(FRAME_A[0]), float(FRAME_A[-1]))
        axes.set_ylim(low + 1.6 * DOTS_AT * span, high + 0.22 * span)  # (room for the legend above D)
        axes.set_xlabel("a: which curve of the artist's family (G's paintings: their fitted a)", fontsize=8)
        axes.set_ylabel("D" if objective.probabilistic else "D's output", fontsize=8)
        axes.tick_params(labelsize=7)
        axes.legend(loc="upper left", fontsize=7, frameon=False, ncol=4)

    @property
    def animated(self) -> tuple[Any, ...]:
        """What each frame redraws."""
        return (self.d, self.d_star, self.push, self.dots)

    def update(self, frame: np.ndarray, paintings: np.ndarray) -> None:
        """Show one snapshot's frame (D, D*, G's push on the grid) and its paintings' fitted a."""
        d, d_star, push = frame
        self.d.set_ydata(d)
        self.d_star.set_ydata(d_star)
        a_hat, _ = self.artist.fit(paintings)
        finite = np.isfinite(a_hat)
        a_hat = np.where(finite, a_hat, np.nan)
        self.dots.set_offsets(np.column_stack([a_hat, np.full(len(a_hat), self.dots_at)]))
        at_dots = np.interp(np.clip(np.nan_to_num(a_hat), FRAME_A[0], FRAME_A[-1]), FRAME_A, push)
        # Scaled within the frame: the push shrinks by orders of magnitude as D flattens, and a
        # learner needs its direction at every painting, and which paintings are pushed hardest.
        strongest = float(np.max(np.abs(at_dots[finite]))) if finite.any() else 0.0
        scaled = at_dots / strongest * LONGEST_ARROW if strongest > 0 else np.zeros_like(at_dots)
        length = np.where(finite & np.isfinite(scaled), scaled, 0.0)
        self.push.set_offsets(np.column_stack([np.nan_to_num(a_hat), np.full(len(a_hat), self.dots_at)]))
        self.push.set_UVC(length, np.zeros(len(a_hat)))


def _d_range(objective: Objective, frames: np.ndarray) -> tuple[float, float]:
    """The panel's range of D: [0, 1] for a probability, else what the run's frames span."""
    if objective.probabilistic:
        return 0.0, 1.0
    values = frames[:, :2][np.isfinite(frames[:, :2])]
    if values.size == 0:
        return -1.0, 1.0
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low - 1.0, high + 1.0)
