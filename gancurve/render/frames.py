"""Paint animation frames fast: one figure, static parts drawn once, moving parts blitted.

Redrawing a figure from scratch costs tens of milliseconds; restoring the cached
background and drawing only the curves and texts that changed costs a few.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancurve.core.artist import Artist
from gancurve.core.condition import Condition
from gancurve.core.objectives import OBJECTIVES, Objective
from gancurve.render.critic_strip import CriticStrip
from gancurve.render.style import GREEN, condition_colours, draw_canvas

DPI = 100
#: The critic panel's height in design pixels (``animate`` makes the frame taller by about this).
CRITIC_PIXELS = 170


#: The frame width the layout (font sizes, margins) is designed for.
DESIGN_WIDTH = 560


@dataclass(frozen=True)
class Look:
    """What a run's frames show besides its paintings: the numbers its objective reports, the
    artist's band behind G's curves, and (a conditional run) the colours of what each curve asked for."""

    objective: Objective = field(default_factory=lambda: OBJECTIVES["minimax"])
    artist: Artist | None = None
    condition: Condition | None = None
    critic: bool = True  # the critic panel under the curves, when the run recorded its frames

    @property
    def curves_label(self) -> str:
        """The legend's name for G's curves."""
        if self.condition is None or not self.condition.width:
            return "G's paintings"
        return "G's paintings (by label)" if self.condition.name == "label" else "G's paintings (by a asked)"

    def colours(self, curves: int) -> list[Any]:
        """One colour per snapshot curve: G's green, or (a conditional run) its condition's; the
        snapshot ideas ask for evenly spread conditions (``core.draws.fixed_ideas``)."""
        if self.condition is None or not self.condition.width:
            return [GREEN] * curves
        values = self.condition.values(self.condition.requested_a(curves))[:, 0]
        return condition_colours(self.condition, values)


class FramePainter:
    """Renders one RGB frame per snapshot on a single reused figure."""

    def __init__(
        self,
        x: np.ndarray,
        curves: int,
        size: tuple[int, int],
        look: Look | None = None,
        critic_frames: np.ndarray | None = None,
    ) -> None:
        """``critic_frames``: the run's recorded critic frames (all of them: they fix the panel's
        range); with them, and ``look.critic``, a critic panel under the curves."""
        width, height = size
        look = look or Look()
        self.objective = look.objective
        artist = look.artist
        # The layout is designed at 560 px wide; other sizes change the DPI, so text, lines and
        # margins keep their proportions instead of crowding a small frame.
        dpi = DPI * width / DESIGN_WIDTH
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        # Margins in design pixels, so any aspect ratio keeps a header strip above the axes
        # for the numbers and the legend (off the curves) and room below for the x label.
        tall = height * DESIGN_WIDTH / width  # the frame's height in design pixels

        def from_top(pixels: float) -> float:
            return 1 - pixels / tall

        self.strip: CriticStrip | None = None
        if look.critic and critic_frames is not None:
            # The critic panel takes the bottom CRITIC_PIXELS; the curves keep the rest.
            bottom = (40 + CRITIC_PIXELS + 46) / tall
            self.axes = self.figure.add_axes((0.09, bottom, 0.88, from_top(88) - bottom))
            strip_axes = self.figure.add_axes((0.09, 40 / tall, 0.88, CRITIC_PIXELS / tall))
            self.strip = CriticStrip(
                strip_axes, artist or Artist(len(x)), look.objective, critic_frames, look.colours(curves)
            )
        else:
            self.axes = self.figure.add_subplot(1, 1, 1)
            self.figure.subplots_adjust(left=0.09, right=0.97, top=from_top(88), bottom=42 / tall)
        draw_canvas(self.axes, x, artist)  # the artist's band and a few of its paintings, behind G's
        nan = np.full_like(x, np.nan)
        # The bundle shows diversity (a collapsed G draws one curve 16 times);
        # the thick one follows a single idea, as in the tutorial.
        # Unsmoothed thin lines keep the GIF small: every antialiased edge is a new colour
        # that changes from frame to frame.
        colours = look.colours(curves)
        self.bundle = [
            self.axes.plot(x, nan, color=colour, lw=1, alpha=0.45, animated=True, antialiased=False)[0]
            for colour in colours[1:]
        ]
        self.highlight = self.axes.plot(
            x, nan, color=colours[0], lw=3, animated=True, label=look.curves_label
        )[0]
        handles, labels = self.axes.get_legend_handles_labels()  # the curves' (the panel has its own)
        self.figure.legend(
            handles, labels, loc="upper right", bbox_to_anchor=(0.99, from_top(2)), fontsize=8, frameon=False
        )
        style: dict[str, Any] = {"transform": self.figure.transFigure, "fontsize": 10, "animated": True}
        self.step_text = self.axes.text(0.02, from_top(25), "", weight="bold", **style)
        self.accuracy_text = self.axes.text(0.02, from_top(48), "", **style)
        self.score_text = self.axes.text(0.02, from_top(71), "", **style)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def render(
        self,
        step: int,
        paintings: np.ndarray,
        d_accuracy: float,
        d_score: float,
        w1: float | None = None,
        critic_frame: np.ndarray | None = None,
    ) -> np.ndarray:
        """The frame for one snapshot as an ``(height, width, 3)`` uint8 array.

        ``w1`` is the latest measured distance to the artist, when the run logged one;
        ``critic_frame`` the snapshot's D along the family, for the critic panel.
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
        moving = [*self.bundle, self.highlight, self.step_text, self.accuracy_text, self.score_text]
        if self.strip is not None and critic_frame is not None:
            self.strip.update(critic_frame, paintings)
            moving += self.strip.animated
        for artist in moving:
            self.axes.draw_artist(artist)
        frame: np.ndarray = np.asarray(self.canvas.buffer_rgba())[:, :, :3].copy()
        return frame
