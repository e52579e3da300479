"""The grid figure: several recipes over the same seeds, side by side and seed by seed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancurve.core.metrics import CONVERGED_MAX_W1
from gancurve.render.sweep_plot import VERDICT_COLOURS, MemberCurve, too_few_points, w1_band

#: One colour per recipe (matplotlib's tab10), the same in every panel.
RECIPE_COLOURS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F",
                  "#BCBD22", "#17BECF")  # fmt: skip


@dataclass(frozen=True)
class RecipeCurves:
    """One recipe of a grid: its label, its summary rows (one per seed) and W1 over training."""

    label: str
    rows: list[dict[str, Any]]
    curves: list[MemberCurve]


def build_grid_figure(
    name: str, summary: dict[str, Any], recipes: list[RecipeCurves], converged_below: float = CONVERGED_MAX_W1
) -> Figure:
    """Three panels: median W1 over training per recipe, final W1 per seed, and each recipe minus
    the first, seed by seed (the paired comparison, with its median and 95% bootstrap interval);
    ``converged_below``: the W1 the verdict wants (``metrics.converged_max_w1`` of the artist's law)."""
    figure = Figure(figsize=(16, 6.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    over, final, paired = figure.subplots(1, 3, width_ratios=[1.2, 1, 1])
    seeds = len(recipes[0].rows) if recipes else 0
    figure.suptitle(
        f"gancurve grid {name} — {len(recipes)} recipes × {seeds} seeds", fontsize=14, weight="bold"
    )
    _over_training(over, recipes, converged_below)
    _final(final, recipes, converged_below)
    _paired(paired, recipes, summary["recipes"])
    return figure


def _colour(index: int) -> str:
    return RECIPE_COLOURS[index % len(RECIPE_COLOURS)]


def _over_training(axes: Axes, recipes: list[RecipeCurves], converged_below: float) -> None:
    """Each recipe's median seed over training, p10–p90 of its seeds shaded."""
    axes.set_title("(a) W1 to the artist over training: median seed, p10–p90 shaded")
    axes.set_xlabel("step")
    axes.set_ylabel("W1 of fitted a (log scale)")
    every = [curve for recipe in recipes for curve in recipe.curves if len(curve.steps)]
    if not every:
        axes.text(0.5, 0.5, "no quality metrics logged", ha="center", transform=axes.transAxes)
    marker = too_few_points(axes, every) if every else None
    for index, recipe in enumerate(recipes):
        usable = [curve for curve in recipe.curves if len(curve.steps)]
        if not usable:
            continue
        steps, p10, median, p90 = w1_band(usable)
        axes.fill_between(steps, p10, p90, color=_colour(index), alpha=0.15, lw=0)
        axes.plot(steps, median, color=_colour(index), lw=2, marker=marker, label=recipe.label)
    axes.axhline(converged_below, color="black", ls=":", lw=1, label=f"converged below {converged_below}")
    axes.set_yscale("log")
    axes.legend(fontsize=8, frameon=False, loc="upper right")


def _w1(row: dict[str, Any]) -> float:
    value = row.get("w1")
    return math.inf if value is None or not math.isfinite(float(value)) else float(value)


def _final(axes: Axes, recipes: list[RecipeCurves], converged_below: float) -> None:
    """Final W1 of every seed, one column per recipe, coloured by verdict; the median as a bar."""
    axes.set_title("(b) final W1, one dot per seed (lower is better)")
    finite = [_w1(row) for recipe in recipes for row in recipe.rows if math.isfinite(_w1(row))]
    top = max([*finite, converged_below]) * 1.5
    jitter = np.random.default_rng(0).uniform(-0.25, 0.25, max((len(r.rows) for r in recipes), default=0))
    for index, recipe in enumerate(recipes):
        values = np.array([min(_w1(row), top) for row in recipe.rows])
        colours = [VERDICT_COLOURS.get(row["verdict"], "black") for row in recipe.rows]
        axes.scatter(index + jitter[: len(values)], values, s=10, c=colours, zorder=2)
        axes.plot([index - 0.35, index + 0.35], [np.median(values)] * 2, color="black", lw=2, zorder=3)
    for verdict, colour in VERDICT_COLOURS.items():
        axes.scatter([], [], s=10, color=colour, label=verdict)
    axes.plot([], [], color="black", lw=2, label="median")
    axes.axhline(converged_below, color="black", ls=":", lw=1)
    axes.set_yscale("log")
    _recipe_ticks(axes, recipes)
    axes.legend(fontsize=8, frameon=False, loc="upper right")


def _paired(axes: Axes, recipes: list[RecipeCurves], outcomes: list[dict[str, Any]]) -> None:
    """Each recipe minus the first, seed by seed: below 0, the recipe did better on that seed."""
    axes.set_title("(c) W1 of each recipe − the first's, per seed")
    if len(recipes) < 2:
        axes.text(0.5, 0.5, "one recipe: nothing to compare", ha="center", transform=axes.transAxes)
        return
    first = {row["seed"]: _w1(row) for row in recipes[0].rows}
    jitter = np.random.default_rng(1).uniform(-0.25, 0.25, len(recipes[0].rows))
    for index, (recipe, outcome) in enumerate(zip(recipes[1:], outcomes[1:], strict=True), start=1):
        pairs = [(first[row["seed"]], _w1(row)) for row in recipe.rows if row["seed"] in first]
        differences = np.array([b - a for a, b in pairs if math.isfinite(a) and math.isfinite(b)])
        axes.scatter(index + jitter[: len(differences)], differences, s=10, color=_colour(index), alpha=0.7)
        versus = outcome["versus_first"]
        if None not in (versus["median"], versus["low"], versus["high"]):  # (null: ∞, most seeds diverged)
            spread = [[versus["median"] - versus["low"]], [versus["high"] - versus["median"]]]
            axes.errorbar(
                index, versus["median"], yerr=spread, fmt="D", color="black", ms=5, capsize=6, zorder=3
            )
        # Above the dots, at the top of the panel: how often the recipe beat the first.
        axes.text(index, 0.98, f"better on {versus['b_better']}/{versus['seeds']}", ha="center", va="top",
                  fontsize=8, transform=axes.get_xaxis_transform())  # fmt: skip
    axes.errorbar([], [], yerr=[], fmt="D", color="black", capsize=6, label="median, 95% bootstrap interval")
    axes.axhline(0, color="black", lw=1, label="0: no difference (below: the recipe did better)")
    axes.set_xlim(0.5, len(recipes) - 0.5)
    _recipe_ticks(axes, recipes, start=1)
    axes.set_ylabel("ΔW1 (recipe − first)")
    axes.legend(fontsize=8, frameon=False, loc="lower right")


def _recipe_ticks(axes: Axes, recipes: list[RecipeCurves], start: int = 0) -> None:
    labels = [recipe.label.replace(" ", "\n") for recipe in recipes[start:]]
    axes.set_xticks(range(start, len(recipes)), labels, fontsize=8)
    for tick, index in zip(axes.get_xticklabels(), range(start, len(recipes)), strict=True):
        tick.set_color(_colour(index))
