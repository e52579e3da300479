"""The sweep figure: how often the recipe works, and what the best, typical and worst runs learned."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancurve.core.artist import Artist
from gancurve.core.critic import CriticView
from gancurve.core.metrics import converged_max_w1
from gancurve.core.objectives import Objective
from gancurve.render.critic_panel import draw_critic
from gancurve.render.style import GREEN, REAL, UPPER
from gancurve.results.sampling import Samples

#: Colours of the verdicts, the same in every panel.
VERDICT_COLOURS = {
    "converged": GREEN,
    "still learning": "#E0A800",
    "dropped modes": "#FF7F0E",
    "ignores condition": "#9467BD",
    "collapsed": "#D62728",
    "diverged": "#7F0000",
}


@dataclass(frozen=True)
class MemberCurve:
    """One member's W1 over training, and how it ended."""

    seed: int
    steps: np.ndarray
    w1: np.ndarray
    verdict: str


def build_sweep_figure(
    name: str,
    summary: dict[str, Any],
    curves: list[MemberCurve],
    picks: list[tuple[str, dict[str, Any], Samples]],
    artist: Artist | None = None,
    critic: tuple[str, CriticView, Objective] | None = None,
) -> Figure:
    """Five panels: W1 over training (band and every member), final W1 per seed, three histograms;
    with ``critic`` (a member's name, its critic view, the objective) a sixth: that member's D next
    to the optimal D.

    ``picks`` are (label, summary row, samples) of the best, the median and the worst member;
    ``artist`` the sweep's (the tutorial's when not given).
    """
    artist = artist or Artist()
    figure = Figure(figsize=(15, 9 if critic is None else 12.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    layout: Any = [["over", "over", "final"], ["pick0", "pick1", "pick2"]]  # matplotlib's mosaic type
    if critic is not None:
        layout.append(["critic", "critic", "critic"])
    panels = figure.subplot_mosaic(layout, height_ratios=[1, 1] if critic is None else [1, 1, 0.9])
    if critic is not None:
        member, view, objective = critic
        draw_critic(panels["critic"], view, objective, letter="f")
        panels["critic"].set_title(f"(f) the median seed ({member}): {panels['critic'].get_title()[4:]}")
    outcome = summary["aggregate"]
    low, high = outcome["success_rate_95"]
    figure.suptitle(
        f"gancurve sweep {name} — {outcome['converged']} of {outcome['members']} seeds converged "
        f"({outcome['success_rate']:.0%}, 95% interval {low:.0%}–{high:.0%}); "
        f"median final W1 {_text(outcome['w1_median'])}",
        fontsize=14,
        weight="bold",
    )
    converged_below = converged_max_w1(artist.law)
    _over_training(panels["over"], curves, converged_below)
    _final(panels["final"], summary["members"], converged_below)
    for index, (label, row, samples) in enumerate(picks):
        _histogram(panels[f"pick{index}"], label, row, samples, "cde"[index], artist)
    for index in range(len(picks), 3):
        panels[f"pick{index}"].axis("off")  # every seed diverged: nothing to sample
    return figure


def _text(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3f}"


def _over_training(axes: Axes, curves: list[MemberCurve], converged_below: float) -> None:
    """Every member faint, their median bold, p10–p90 shaded: the spread between seeds."""
    axes.set_title("(a) W1 to the artist over training, every seed (lower is better)")
    axes.set_xlabel("step")
    axes.set_ylabel("W1 of fitted a")
    usable = [curve for curve in curves if len(curve.steps)]
    if not usable:
        axes.text(0.5, 0.5, "no quality metrics logged", ha="center", transform=axes.transAxes)
        return
    marker = too_few_points(axes, usable)
    for curve in usable:
        bad = curve.verdict in ("collapsed", "diverged")
        colour = VERDICT_COLOURS[curve.verdict] if bad else REAL
        axes.plot(curve.steps, curve.w1, color=colour, lw=0.8 if bad else 0.6, alpha=0.8 if bad else 0.25)
    steps, p10, median, p90 = w1_band(usable)
    axes.fill_between(steps, p10, p90, color=UPPER, alpha=0.35, lw=0, label="p10–p90 of the seeds")
    axes.plot(steps, median, color="#1F4E99", lw=2.2, marker=marker, label="median seed")
    axes.plot([], [], color=REAL, lw=0.8, alpha=0.6, label="one seed")
    axes.axhline(converged_below, color="black", ls=":", lw=1, label=f"converged below {converged_below}")
    axes.set_yscale("log")
    axes.legend(fontsize=8, frameon=False, loc="upper right")


def too_few_points(axes: Axes, curves: list[MemberCurve]) -> str | None:
    """Say on the panel why it is (nearly) empty when W1 was measured only once, and return a
    marker to draw that one point with (a line through one point is invisible); else None."""
    if max(len(curve.steps) for curve in curves) > 1:
        return None
    step = int(curves[0].steps[0])
    axes.text(0.5, 0.5, f"W1 was measured once, at step {step:,}: a curve needs two points.\n"
              "Train more steps, or measure more often (--eval-every).", ha="center", va="center",
              fontsize=9, transform=axes.transAxes, wrap=True)  # fmt: skip
    return "o"


def w1_band(curves: list[MemberCurve]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The steps, and the 10th percentile, median and 90th percentile of the members' W1 at each
    (members that stopped early count where they have a value)."""
    steps = max((curve.steps for curve in curves), key=len)
    table = np.full((len(curves), len(steps)), np.nan)
    for row, curve in enumerate(curves):
        table[row, : len(curve.w1)] = curve.w1[: len(steps)]
    with np.errstate(all="ignore"):
        p10, median, p90 = np.nanpercentile(table, [10, 50, 90], axis=0)
    return steps, p10, median, p90


def _final(axes: Axes, rows: list[dict[str, Any]], converged_below: float) -> None:
    """Final W1 of each seed as a dot, coloured by verdict; diverged seeds sit on the right edge."""
    axes.set_title("(b) final W1, one dot per seed")
    finite = [row["w1"] for row in rows if row["w1"] is not None and math.isfinite(row["w1"])]
    right = max([*finite, converged_below]) * 1.5
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(rows))
    for verdict, colour in VERDICT_COLOURS.items():
        chosen = [i for i, row in enumerate(rows) if row["verdict"] == verdict]
        if not chosen:
            continue
        w1 = [rows[i]["w1"] if rows[i]["w1"] is not None else right for i in chosen]
        axes.scatter(w1, jitter[chosen], s=18, color=colour, label=f"{verdict} ({len(chosen)})", zorder=2)
    axes.axvline(converged_below, color="black", ls=":", lw=1)
    worst = sorted((row for row in rows if row["w1"] is not None), key=lambda row: -row["w1"])[:3]
    for row in worst:
        index = rows.index(row)
        axes.annotate(f"seed {row['seed']}", (row["w1"], jitter[index]), fontsize=7, xytext=(3, 3),
                      textcoords="offset points")  # fmt: skip
    axes.set_xscale("log")
    axes.set_yticks([])
    axes.set_ylim(-1, 1)
    axes.set_ylabel("seeds, at random heights")
    axes.set_xlabel("W1 of fitted a at the end (log scale)")
    axes.legend(fontsize=8, frameon=False, loc="upper left")


def _histogram(
    axes: Axes, label: str, row: dict[str, Any], samples: Samples, letter: str, artist: Artist
) -> None:
    from gancurve.render.plot import HISTOGRAM_RANGE, artist_density, histogram_bins

    colour = VERDICT_COLOURS.get(row["verdict"], GREEN)
    law = artist.law
    axes.hist(samples.a_hat, bins=histogram_bins(law), range=HISTOGRAM_RANGE, density=True, color=colour,
              alpha=0.7, label=f"fitted a of seed {row['seed']}")  # fmt: skip
    artist_density(axes, law)
    axes.set_xlim(*HISTOGRAM_RANGE)
    axes.set_xlabel(f"a  (painting ≈ {artist.family.formula})")
    axes.set_title(f"({letter}) the {label} seed: {row['run']}, W1 {_text(row['w1'])}, {row['verdict']}")
    axes.legend(fontsize=8, frameon=False, loc="upper left")
