"""A sweep's summary: one row per seed, and the outcome read as a rate.

The success rate is the share of members whose verdict is "converged", with a 95% Wilson
score interval (it stays inside [0, 1] and is honest for small sweeps and for rates near 0 or
1, where the textbook ``p ± 1.96·√(p(1−p)/n)`` is not).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: The two-sided 95% normal quantile.
Z_95 = 1.959963984540054
#: The columns of summary.csv, in order.
ROW_FIELDS = (
    "seed", "run", "step", "verdict", "w1", "ks", "residual", "in_bounds", "spread", "coverage",
    "d_accuracy", "d_score", "reason",
)  # fmt: skip
METRIC_FIELDS = ROW_FIELDS[4:12]
#: The metrics only some runs have, columns of their rows only (before ``reason``): the mode-collapse
#: metrics of an artist with modes, and a conditional G's errors against its condition.
OPTIONAL_FIELDS = (
    "modes_captured", "high_quality", "mode_kl", "w1_label_0", "w1_label_1", "a_error", "a_error_p90",
)  # fmt: skip
#: How many of the worst members the summary names.
WORST_SHOWN = 5


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default)."""
    if trials <= 0:
        raise ValueError("an interval needs at least one trial")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def member_row(
    seed: int, run: str, step: int, verdict: str, reason: str, metrics: dict[str, float] | None
) -> dict[str, Any]:
    """One member's row; a diverged member has no metrics (NaN: written empty, null in JSON)."""
    values = metrics or {}
    row: dict[str, Any] = {"seed": seed, "run": run, "step": step, "verdict": verdict}
    row.update({name: float(values.get(name, math.nan)) for name in METRIC_FIELDS})
    row.update({name: float(values[name]) for name in OPTIONAL_FIELDS if name in values})
    row["reason"] = reason
    return row


def _quantile(values: np.ndarray, q: float) -> float:
    """A quantile where a member without a W1 (stopped by the guard) counts as +∞, not as missing."""
    with np.errstate(invalid="ignore"):  # ∞ − ∞ between two diverged members: NaN, read as ∞
        result = float(np.quantile(values, q))
    return math.inf if math.isnan(result) else result


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The outcome of the whole sweep from its rows."""
    verdicts = [row["verdict"] for row in rows]
    converged = verdicts.count("converged")
    low, high = wilson_interval(converged, len(rows))
    w1 = np.array([w1_of(row) for row in rows])
    scored = [row for row in rows if math.isfinite(w1_of(row))]
    by_badness = sorted(rows, key=lambda row: (row["verdict"] != "diverged", -w1_of(row), row["seed"]))
    return {
        "members": len(rows),
        "converged": converged,
        "success_rate": converged / len(rows),
        "success_rate_95": [low, high],
        "w1_median": _quantile(w1, 0.5),
        "w1_p90": _quantile(w1, 0.9),
        "w1_max": float(w1.max()),
        "residual_mean": _mean(scored, "residual"),
        "in_bounds_mean": _mean(scored, "in_bounds"),
        "collapsed": verdicts.count("collapsed"),
        "diverged": verdicts.count("diverged"),
        "still_learning": verdicts.count("still learning"),
        "dropped_modes": verdicts.count("dropped modes"),
        "ignores_condition": verdicts.count("ignores condition"),
        **_optional_means(scored),
        "worst": [
            {"seed": row["seed"], "run": row["run"], "verdict": row["verdict"], "w1": row["w1"]}
            for row in by_badness[:WORST_SHOWN]
        ],
    }


def w1_of(row: dict[str, Any]) -> float:
    """A row's W1; a member the guard stopped has none and ranks worst (∞)."""
    value = row["w1"]
    return math.inf if value is None or not math.isfinite(float(value)) else float(value)


def _optional_means(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The mean of each optional metric the members have (modes, condition)."""
    return {f"{name}_mean": _mean(rows, name) for name in OPTIONAL_FIELDS if rows and name in rows[0]}


def _mean(rows: Sequence[dict[str, Any]], key: str) -> float:
    return float(np.mean([row[key] for row in rows])) if rows else math.nan


def summary_csv(rows: Sequence[dict[str, Any]]) -> str:
    """summary.csv: one row per seed, metrics with 6 significant digits, NaN as an empty cell."""
    text = io.StringIO()
    modes = tuple(name for name in OPTIONAL_FIELDS if any(name in row for row in rows))
    writer = csv.DictWriter(text, fieldnames=(*ROW_FIELDS[:-1], *modes, ROW_FIELDS[-1]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return text.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value
