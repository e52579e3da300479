"""The critic panel: what D believes along the artist's family, next to what it should believe."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gancurve.core.critic import CriticView
from gancurve.core.objectives import Objective
from gancurve.render.style import GREEN, REAL, UPPER

#: Arrows drawn for G's push along the family.
PUSH_ARROWS = 25


def draw_critic(axes: Axes, view: CriticView, objective: Objective, letter: str = "g") -> None:
    """D(a) and the optimal D*(a) over the two densities of a, and G's push as arrows."""
    label = (
        "D(a): D's probability that the painting of a is real"
        if objective.probabilistic
        else "D(a): D's output"
    )
    if view.condition != "none":  # D judges a painting with what it was asked for: its own here
        label += f", shown with its own {view.condition}"
    if view.condition == "a":
        label += " (no D*: the artist's pairs (painting, a) have no density)"
    if view.point is not None:
        label += " (no finite D*: the artist's a is a point, D* a spike there)"
    axes.plot(view.a, view.d, color=UPPER, lw=2.2, label=label, zorder=3)
    if view.d_star is not None:
        formula = (
            "D*(a) = p_data(a|ℓ) / (p_data(a|ℓ) + p_G(a|ℓ)), ℓ the label of a"
            if view.condition == "label"
            else "D*(a) = p_data / (p_data + p_G)"
        )
        axes.plot(view.a, view.d_star, color="black", ls="--", lw=1.5,
                  label=f"{formula}: the optimal D for this G", zorder=3)  # fmt: skip
    densities = axes.twinx()
    if view.point is None:
        densities.fill_between(
            view.a, view.p_data, color=REAL, alpha=0.25, lw=0, label="p_data: the artist's a"
        )
        top = max(float(view.p_data.max()), float(view.p_g.max()))
    else:  # a point has no density: a spike the height of the panel
        densities.axvline(view.point, color=REAL, lw=3, alpha=0.6, label=f"p_data: every a = {view.point:g}")
        top = float(view.p_g.max())
    densities.plot(view.a, view.p_g, color=GREEN, lw=1.5, label="p_G: G's fitted a (kernel density estimate)")
    densities.set_ylim(0, (top if top > 0 else 1.0) * 1.15)
    densities.set_ylabel("density of a")
    _push_arrows(axes, view)
    gap = "" if view.gap is None else f"; mean |D − D*| = {view.gap:.3f}"
    axes.set_title(f"({letter}) what D believes along the family, and where it pushes G's paintings{gap}")
    axes.set_xlabel("a: which curve of the artist's family (G's paintings: their fitted a)")
    axes.set_xlim(float(view.a[0]), float(view.a[-1]))
    if objective.probabilistic or view.d_star is not None:
        axes.set_ylim(-0.12, 1.05)
    axes.set_zorder(densities.get_zorder() + 1)
    axes.patch.set_visible(False)  # the densities show through
    lines, labels = axes.get_legend_handles_labels()
    more_lines, more_labels = densities.get_legend_handles_labels()
    axes.legend(lines + more_lines, labels + more_labels, fontsize=8, frameon=False, loc="upper left")


def _push_arrows(axes: Axes, view: CriticView) -> None:
    """G's push along the family at evenly spaced a: right means G's loss falls as a grows."""
    picks = np.linspace(0, len(view.a) - 1, PUSH_ARROWS).astype(int)
    push = view.push[picks]
    scale = float(np.abs(push).max()) or 1.0
    y = np.full(len(picks), -0.06)  # a strip under D's curves
    length = push / scale * 0.06  # the longest arrow: 0.06 of a
    axes.quiver(
        view.a[picks], y, length, np.zeros(len(picks)), color="#E07B00", angles="xy", scale_units="xy",
        scale=1, width=0.003, label="G's push: −d(G's loss)/da", zorder=4,
    )  # fmt: skip
