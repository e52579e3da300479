"""Paint animation frames fast: one figure, static parts drawn once, moving parts blitted.

Redrawing a figure from scratch costs tens of milliseconds; restoring the cached
background and drawing only the curves and texts that changed costs a few.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancurve.core.artist import Artist
from gancurve.core.objectives import OBJECTIVES, Objective
from gancurve.render.style import GREEN, draw_canvas

DPI = 100


#: The frame width the layout (font sizes, margins) is designed for.
DESIGN_WIDTH = 560


class FramePainter:
    """Renders one RGB frame per snapshot on a single reused figure."""

    def __init__(
        self,
        x: np.ndarray,
        curves: int,
        size: tuple[int, int],
        objective: Objective = OBJECTIVES["minimax"],
        artist: Artist | None = None,
    ) -> None:
        width, height = size
        self.objective = objective
        # The layout is designed at 560 px wide; other sizes change the DPI, so text, lines and
        # margins keep their proportions instead of crowding a small frame.
        dpi = DPI * width / DESIGN_WIDTH
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.add_subplot(1, 1, 1)
        # Margins in design pixels, so any aspect ratio keeps a header strip above the axes
        # for the numbers and the legend (off the curves) and room below for the x label.
        tall = height * DESIGN_WIDTH / width  # the frame's height in design pixels

        def from_top(pixels: float) -> float:
            return 1 - pixels / tall

        self.figure.subplots_adjust(left=0.09, right=0.97, top=from_top(88), bottom=42 / tall)
        draw_canvas(self.axes, x, artist)  # the artist's band and a few of its paintings, behind G's
        nan = np.full_like(x, np.nan)
        # The bundle shows diversity (a collapsed G draws one curve 16 times);
        # the thick one follows a single idea, as in the tutorial.
        # Unsmoothed thin lines keep the GIF small: every antialiased edge is a new colour
        # that changes from frame to frame.
        self.bundle = [
            self.axes.plot(x, nan, color=GREEN, lw=1, alpha=0.45, animated=True, antialiased=False)[0]
            for _ in range(curves - 1)
        ]
        self.highlight = self.axes.plot(x, nan, color=GREEN, lw=3, animated=True, label="G's paintings")[0]
        self.figure.legend(loc="upper right", bbox_to_anchor=(0.99, from_top(2)), fontsize=8, frameon=False)
        style: dict[str, Any] = {"transform": self.figure.transFigure, "fontsize": 10, "animated": True}
        self.step_text = self.axes.text(0.02, from_top(25), "", weight="bold", **style)
        self.accuracy_text = self.axes.text(0.02, from_top(48), "", **style)
        self.score_text = self.axes.text(0.02, from_top(71), "", **style)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def render(
        self, step: int, paintings: np.ndarray, d_accuracy: float, d_score: float, w1: float | None = None
    ) -> np.ndarray:
        """The frame for one snapshot as an ``(height, width, 3)`` uint8 array.

        ``w1`` is the latest measured distance to the artist, when the run logged one.
        """
        self.canvas.restore_region(self.background)
        for line, painting in zip(self.bundle, paintings[1:], strict=False):
            line.set_ydata(painting)
        self.highlight.set_ydata(paintings[0])
        self.step_text.set_text(
            f"step {step:,}" + (f"   ·   W1 to the artist = {w1:.3f}" if w1 is not None else "")
        )
        # The equilibrium values, as the tutorial writes them on its frames ("0.5 for D to converge").
        objective = self.objective
        view_target = f"{objective.view_at_equilibrium:g} for D to converge"
        self.accuracy_text.set_text(f"{objective.view} = {d_accuracy:.2f}  ({view_target})")
        if objective.d_loss_at_equilibrium is not None:
            score_target = f"{0.0 - objective.d_loss_at_equilibrium:.2f} for G to converge"
            self.score_text.set_text(f"D score = {d_score:.2f}  ({score_target})")
        for artist in (*self.bundle, self.highlight, self.step_text, self.accuracy_text, self.score_text):
            self.axes.draw_artist(artist)
        frame: np.ndarray = np.asarray(self.canvas.buffer_rgba())[:, :, :3].copy()
        return frame
