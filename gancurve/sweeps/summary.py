"""A sweep's summary: one row per seed, and the outcome read as a rate.

The success rate is the share of members whose verdict is "converged", with a 95% Wilson
score interval (it stays inside [0, 1] and is honest for small sweeps and for rates near 0 or
1, where the textbook ``p ± 1.96·√(p(1−p)/n)`` is not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gancurve.core.metrics import POINT_TOLERANCE
from gancurve.store.sweeps import METRIC_FIELDS, OPTIONAL_FIELDS

#: The two-sided 95% normal quantile.
Z_95 = 1.959963984540054
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
        **_slope_median(scored),
        **_near_point(rows),
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


def _slope_median(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The median of D's slope at the real painting (a few seeds whose D is steep would pull the
    mean far), when the members have it."""
    if not rows or "d_slope_real" not in rows[0]:
        return {}
    return {"d_slope_real_median": float(np.median([row["d_slope_real"] for row in rows]))}


def _near_point(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """For a point law (its rows have ``a_offset``): how many members end within the stated
    distance of the point, mean ``|â − point|`` (W1) ≤ ``POINT_TOLERANCE`` — a diverged member
    never — as a count, a rate and its 95% Wilson interval."""
    if not any("a_offset" in row for row in rows):
        return {}
    near = sum(w1_of(row) <= POINT_TOLERANCE for row in rows)
    low, high = wilson_interval(near, len(rows))
    return {"near_point": near, "near_point_rate": near / len(rows), "near_point_95": [low, high]}


def _mean(rows: Sequence[dict[str, Any]], key: str) -> float:
    return float(np.mean([row[key] for row in rows])) if rows else math.nan
