"""``gancurve evaluate``: the metrics table and the verdict."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from rich.table import Table

from gancurve.commands import say_which_generator
from gancurve.console import out, print_json
from gancurve.store.runs import find_run

#: Row order and what each metric means, for people.
LABELS = {
    "w1": ("W1 to U(1, 2)", "fitted a vs the artist's a"),
    "ks": ("KS statistic", "largest CDF gap"),
    "residual": ("residual", "RMS off the family"),
    "in_bounds": ("in bounds", "points within the bounds"),
    "spread": ("spread of a", "std of fitted a"),
    "coverage": ("coverage", "share of [1, 2] reached"),
}
#: The rows that read otherwise for a point law (``dirac``), and its own.
POINT_LABELS = {
    "w1": ("W1 = mean |â − {a}|", "distance of fitted a from the point"),
    "ks": ("KS statistic", "share of â on one side of {a}: says nothing here"),
    "in_bounds": ("in bounds", "points within ±{tolerance} in a of the real painting"),
    "spread": ("spread of a", "std of fitted a (the artist: one curve)"),
    "coverage": ("coverage", "1: ≥ 1% of fitted a within ±{tolerance}"),
    "a_offset": ("offset of a", "mean â − {a}: which side G paints"),
}
#: D's slope at the real painting of the law's median (every run).
SLOPE_LABELS = {
    "d_slope_real": ("D's slope at x*", "‖∇ₓ logit‖ at the real painting x* (what R1 penalises)"),
    "d_slope_a": ("D's slope along a", "d logit / da at x*"),
}
#: The rows of an artist with modes (``parabola-modes``).
MODE_LABELS = {
    "modes_captured": ("modes captured", "modes with ≥ n/4K paintings on them"),
    "high_quality": ("high quality", "share within 3σ of a mode"),
    "mode_kl": ("mode KL", "KL(G's modes ‖ uniform)"),
}
#: The rows of a conditional G, by condition.
CONDITION_LABELS = {
    "label": {
        "w1_label_0": ("W1, label 0", "rows asked for the lower half"),
        "w1_label_1": ("W1, label 1", "rows asked for the upper half"),
    },
    "a": {
        "a_error": ("|â − a| mean", "fitted a vs the a asked for"),
        "a_error_p90": ("|â − a| p90", "90% of rows within this"),
    },
    "none": {},
}
VERDICT_STYLES = {
    "converged": "bold green",
    "still learning": "bold yellow",
    "ignores condition": "bold red",
    "dropped modes": "bold red",
    "collapsed": "bold red",
    "diverged": "bold red",
}


def evaluate_command(
    runs_dir: Path, run_name: str | None, n: int, seed: int, as_json: bool, raw: bool
) -> None:
    """Evaluate a run and print the table (or JSON)."""
    from gancurve.core.artist import make_artist
    from gancurve.core.metrics import POINT_TOLERANCE
    from gancurve.core.objectives import OBJECTIVES
    from gancurve.results.evaluation import evaluate_run, ideal

    run = find_run(runs_dir, run_name)
    result, config = evaluate_run(run, n, seed, raw)  # (the labels follow what was scored)
    say_which_generator(result.ema)
    law = make_artist(config).law
    ideals = ideal(result.loss, law)
    if as_json:
        print_json({**asdict(result), "ideal": ideals})
        return
    objective = OBJECTIVES[result.loss]
    score_meaning = "log D(x) + log(1−D(G(z)))" if result.loss == "minimax" else f"−(D's {result.loss} loss)"
    point = {
        key: (label.format(a=f"{law.low:g}"), meaning.format(a=f"{law.low:g}", tolerance=POINT_TOLERANCE))
        for key, (label, meaning) in POINT_LABELS.items()
    }
    labels = {
        **LABELS,
        **(MODE_LABELS if law.modes > 1 else {}),
        **(point if law.is_point else {}),
        **CONDITION_LABELS[config.condition],
        "d_accuracy": (objective.view, objective.view_help),
        "d_score": ("D score", score_meaning),
        **{key: value for key, value in SLOPE_LABELS.items() if key in result.generator},
    }
    table = Table(title=f"Run {run.label} at step {result.step:,}: {result.samples:,} paintings each")
    table.add_column("metric")
    table.add_column("G", justify="right")
    table.add_column("artist", justify="right")
    table.add_column("ideal", justify="right")
    table.add_column("meaning", style="dim")
    for key, (label, meaning) in labels.items():
        best = ideals[key]
        table.add_row(
            label,
            f"{result.generator[key]:.4f}",
            f"{result.artist[key]:.4f}",
            "-" if best is None else f"{best:.3f}",
            meaning,
        )
    out.print(table)
    out.print(
        "The artist column scores a fresh sample of real paintings the same way: the best a perfect G "
        "could get with this many samples.",
        style="dim",
    )
    style = VERDICT_STYLES[result.verdict.label]
    out.print(f"Verdict: [{style}]{result.verdict.label}[/] — {result.verdict.reason}")
