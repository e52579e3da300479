"""The summary figure of a run: what G paints now, and how training got there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gancurve.core.artist import Artist, ParameterLaw, make_artist
from gancurve.core.condition import Condition
from gancurve.core.config import TrainConfig
from gancurve.core.critic import CriticView
from gancurve.core.objectives import OBJECTIVES, Objective
from gancurve.core.recipes import describe
from gancurve.errors import UsageError
from gancurve.formats import PLOT_FORMATS
from gancurve.render.critic_panel import draw_critic
from gancurve.render.style import GREEN, LOWER, REAL, UPPER, condition_colours, condition_handles, draw_canvas
from gancurve.results.sampling import Samples
from gancurve.store.atomic import atomic_write
from gancurve.store.outputs import check_output

EQUILIBRIUM_STYLE: dict[str, Any] = {"color": "black", "ls": ":", "lw": 1}


def check_plot_output(output: Path) -> None:
    """Refuse an output the figure cannot be written to, before any work is done."""
    if output.suffix.lower() not in PLOT_FORMATS:
        raise UsageError(f"Cannot write {output.name!r}: use a .png, .svg or .pdf file name.")
    check_output(output)


def series(rows: list[dict[str, float]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of one metric, over the rows that have it."""
    present = [row for row in rows if key in row]
    return np.array([row["step"] for row in present]), np.array([row[key] for row in present])


def smooth(values: np.ndarray, window: int = 9) -> np.ndarray:
    """A centred moving average, so the trend shows through batch noise."""
    if len(values) < window:
        return values
    kernel = np.ones(window) / window
    padded = np.pad(values, window // 2, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def build_figure(
    samples: Samples,
    rows: list[dict[str, float]],
    run_name: str,
    curves: int,
    config: TrainConfig,
    critic: CriticView | None = None,
) -> Figure:
    """Six panels: paintings, fitted-a histogram, distance to the artist, losses, D's view, shape;
    with ``critic`` a seventh under them: D along the family next to the optimal D."""
    figure = Figure(figsize=(15, 8.5 if critic is None else 12), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    if critic is None:
        panels = figure.subplots(2, 3)
    else:
        mosaic = figure.subplot_mosaic([[0, 1, 2], [3, 4, 5], [6, 6, 6]], height_ratios=[1, 1, 0.9])
        panels = np.array([[mosaic[0], mosaic[1], mosaic[2]], [mosaic[3], mosaic[4], mosaic[5]]])
        draw_critic(mosaic[6], critic, OBJECTIVES[config.loss])
    figure.suptitle(
        f"gancurve run {run_name} — step {samples.step:,}\n{describe(config)}", fontsize=13, weight="bold"
    )
    objective = OBJECTIVES[config.loss]
    artist = make_artist(config)
    law = artist.law
    _paintings(panels[0, 0], samples, curves, artist)
    _a_histogram(panels[0, 1], samples, artist)
    if law.is_point:
        _distance_to_point(panels[0, 2], rows, law.low)
    else:
        _distance(panels[0, 2], rows)
    _losses(panels[1, 0], rows, objective)
    _view(panels[1, 1], rows, objective)
    _shape(panels[1, 2], rows, law.std)
    return figure


def write_plot(figure: Figure, output: Path) -> None:
    """Save atomically (a temporary file renamed into place)."""
    file_format = output.suffix.lower().lstrip(".")
    atomic_write(output, lambda stream: figure.savefig(stream, format=file_format))


def _paintings(axes: Axes, samples: Samples, curves: int, artist: Artist) -> None:
    draw_canvas(axes, samples.x, artist)
    shown = min(curves, len(samples.y))
    if samples.condition is None:
        rows, colours = np.arange(shown), [GREEN] * shown
    else:  # the rows ask for evenly spread conditions in order: show some of every condition
        rows = np.linspace(0, len(samples.y) - 1, shown).round().astype(int)
        condition = Condition(samples.condition_name, artist.law)
        colours = condition_colours(condition, samples.condition[rows])
    for index, (row, colour) in enumerate(zip(rows, colours, strict=True)):
        label = "G's paintings" if index == 0 and samples.condition is None else None
        axes.plot(samples.x, samples.y[row], color=colour, lw=1.2, alpha=0.6, label=label)
    painter = "the final G's moving average" if samples.ema > 0 else "the final G"
    axes.set_title(f"(a) {shown} paintings by {painter}")
    handles, _ = axes.get_legend_handles_labels()
    if samples.condition is not None:
        handles += condition_handles(Condition(samples.condition_name, artist.law))
    axes.legend(handles=handles, loc="upper center", fontsize=8, ncol=2, frameon=False)


#: The range of a every histogram of fitted a covers.
HISTOGRAM_RANGE = (0.5, 2.5)


def artist_density(axes: Axes, law: ParameterLaw) -> None:
    """The law of the artist's ``a`` as a black step line (the target every histogram is read
    against); a point as a spike: its mass in one bar of the histogram's bins, which runs off the
    top when G's histogram is lower (the axes follow G's)."""
    bins = histogram_bins(law)
    xs, ys = law.density_outline(spike_width=(HISTOGRAM_RANGE[1] - HISTOGRAM_RANGE[0]) / bins)
    if law.is_point:
        label = f"the artist: every a = {law.low:g} (a point)"
    elif law.modes == 1:
        label = f"the artist: U({law.low:g}, {law.high:g})"
    else:
        label = f"the artist: {law.modes} modes"
    top = axes.get_ylim()[1]
    axes.plot(xs, ys, color="black", lw=1.5 if law.modes == 1 else 1.0, label=label)
    if law.is_point:
        axes.set_ylim(0, top)  # G's histogram decides the scale; the spike is drawn off the top


def histogram_bins(law: ParameterLaw) -> int:
    """Bins on [0.5, 2.5] fine enough to show the law's narrowest feature (a point: bins 0.005
    wide, an odd number of them so that the point is a bin's centre, not an edge)."""
    if law.is_point:
        return 401
    return 40 if law.modes == 1 else 80 * law.modes


def _a_histogram(axes: Axes, samples: Samples, artist: Artist) -> None:
    a_hat, law = samples.a_hat, artist.law
    if samples.condition is not None and samples.condition_name == "label":
        # Stacked by the label asked for: where each label's paintings land, within the whole.
        labels = samples.condition > 0.5
        groups, names = [a_hat[~labels], a_hat[labels]], ["G's fitted a, label 0", "G's fitted a, label 1"]
        colours = condition_colours(Condition("label", law), np.array([0.0, 1.0]))
    else:
        groups, names, colours = [a_hat], ["fitted a of G's paintings"], [GREEN]
    axes.hist(
        groups,
        bins=histogram_bins(law),
        range=HISTOGRAM_RANGE,
        density=True,
        stacked=True,
        color=colours,
        alpha=0.7,
        label=names,
    )
    artist_density(axes, law)
    axes.set_xlim(*HISTOGRAM_RANGE)
    axes.set_xlabel(f"a  (painting ≈ {artist.family.formula})")
    axes.set_ylabel("density")
    spread = f"spread {a_hat.std():.3f}, target {law.std:.3f}"
    axes.set_title(f"(b) fitted a of {len(a_hat):,} paintings ({spread})")
    axes.legend(fontsize=8, frameon=False, loc="upper left")


def _metrics_panel(axes: Axes, rows: list[dict[str, float]], title: str) -> bool:
    """Title a panel of quality metrics; say so on it (and return False) when none were logged."""
    axes.set_title(title)
    axes.set_xlabel("step")
    if any("w1" in row for row in rows):
        return True
    axes.text(0.5, 0.5, "no quality metrics logged", ha="center", transform=axes.transAxes)
    return False


def _distance(axes: Axes, rows: list[dict[str, float]]) -> None:
    if not _metrics_panel(axes, rows, "(c) distance to the artist's distribution (0 is perfect)"):
        return
    axes.plot(*series(rows, "w1"), "o-", color=GREEN, ms=3, label="W1 of fitted a")
    axes.plot(*series(rows, "ks"), "s-", color=UPPER, ms=3, label="KS statistic")
    axes.set_ylim(bottom=0)
    axes.legend(fontsize=8, frameon=False)


def _distance_to_point(axes: Axes, rows: list[dict[str, float]], point: float) -> None:
    """A point law's panel (c): G's distance from the point, which side it is on, and how steep D
    is there — the Dirac-GAN's two coordinates (KS says nothing for a point: docs/metrics.md)."""
    if not _metrics_panel(axes, rows, f"(c) G's distance from a = {point:g}, D's slope there"):
        return
    axes.plot(*series(rows, "w1"), "o-", color=GREEN, ms=3, label=f"W1 = mean |â − {point:g}|")
    axes.plot(*series(rows, "a_offset"), "s-", color=LOWER, ms=3, label=f"offset: mean â − {point:g}")
    steps, slope = series(rows, "d_slope_real")
    axes.plot(steps, slope, color=UPPER, lw=1.2, label="D's slope ‖∇ₓ logit‖ at the real painting")
    axes.axhline(0.0, **EQUILIBRIUM_STYLE)
    axes.legend(fontsize=8, frameon=False)


def _losses(axes: Axes, rows: list[dict[str, float]], objective: Objective) -> None:
    steps, d_loss = series(rows, "d_loss")
    _, g_loss = series(rows, "g_loss")
    axes.plot(steps, d_loss, color=UPPER, alpha=0.25, lw=0.8)
    axes.plot(steps, g_loss, color=LOWER, alpha=0.25, lw=0.8)
    axes.plot(steps, smooth(d_loss), color=UPPER, lw=2, label="D loss")
    axes.plot(steps, smooth(g_loss), color=LOWER, lw=2, label="G loss")
    # Where the losses settle when D can no longer tell real from fake (the hinge's G loss has no
    # such level: only its slope matters).
    levels = [
        level
        for level in (objective.d_loss_at_equilibrium, objective.g_loss_at_equilibrium)
        if level is not None
    ]
    for index, level in enumerate(levels):
        label = "equilibrium (" + ", ".join(f"{v:.2f}" for v in levels) + ")" if index == 0 else None
        axes.axhline(level, **EQUILIBRIUM_STYLE, label=label)
    axes.set_title(f"(d) losses ({objective.name})")
    axes.set_xlabel("step")
    axes.set_ylabel("loss (faint: as logged; bold: smoothed)")
    axes.legend(fontsize=8, frameon=False)


def _view(axes: Axes, rows: list[dict[str, float]], objective: Objective) -> None:
    """D's view of the game: its accuracy for the sigmoid losses, what the objective has instead
    for the others (the metrics' d_accuracy column holds it)."""
    steps, view = series(rows, "d_accuracy")
    axes.plot(steps, view, color=UPPER, alpha=0.25, lw=0.8)
    axes.plot(steps, smooth(view), color=UPPER, lw=2, label=objective.view_help)
    level = objective.view_at_equilibrium
    axes.axhline(level, **EQUILIBRIUM_STYLE, label=f"{level:g}: D can only guess")
    if objective.probabilistic:
        axes.set_ylim(0, 1)
    axes.set_title(f"(e) {objective.view}")
    axes.set_xlabel("step")
    axes.legend(fontsize=8, frameon=False)


def _shape(axes: Axes, rows: list[dict[str, float]], target_spread: float) -> None:
    if not _metrics_panel(axes, rows, "(f) shape and variety of G's paintings"):
        return
    axes.plot(*series(rows, "in_bounds"), "o-", color=GREEN, ms=3, label="in bounds (→ 1)")
    axes.plot(*series(rows, "spread"), "s-", color=UPPER, ms=3, label=f"spread of a (→ {target_spread:.3f})")
    axes.plot(*series(rows, "residual"), "^-", color=REAL, ms=3, label="residual from the family (→ 0)")
    axes.axhline(target_spread, color=UPPER, ls=":", lw=1)
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=8, frameon=False)
