"""Paired comparison of two recipes over the same seeds.

Member k of every sweep starts from the same initial weights and sees the same random draws
(seed k), so recipe B against recipe A is read seed by seed: the difference ``B − A`` of a
metric per seed, its median with a 95% bootstrap interval (resampling the seeds), and on how many
seeds B is better. Pairing removes the seed-to-seed spread that two independent samples would
carry, so far fewer seeds show a real difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gancurve.core.config import COMPARE_METRICS
from gancurve.core.draws import stream
from gancurve.errors import GancurveError

#: Bootstrap resamples: the interval's ends move by < 0.001 of the spread between runs of it.
BOOTSTRAP_SAMPLES = 10_000
#: The bootstrap's own random stream (fixed: the same sweeps always give the same interval).
BOOTSTRAP_SEED = 0
#: Metrics a comparison may use (``config.COMPARE_METRICS``), and whether lower is better.
LOWER_IS_BETTER = {"w1": True, "ks": True, "residual": True, "in_bounds": False, "coverage": False}
assert tuple(LOWER_IS_BETTER) == COMPARE_METRICS


@dataclass(frozen=True)
class PairedDifference:
    """``B − A`` of one metric over the seeds both sweeps trained."""

    metric: str
    seeds: int
    median: float
    low: float  # the 95% bootstrap interval of the median
    high: float
    b_better: int  # seeds on which B is strictly better
    a_better: int


def metric_of(row: dict[str, Any], metric: str) -> float:
    """A summary row's metric; a member the guard stopped (no metrics) counts as the worst value."""
    value = row.get(metric)
    if value is None or not math.isfinite(float(value)):
        return math.inf if LOWER_IS_BETTER[metric] else -math.inf
    return float(value)


def paired_seeds(a_rows: list[dict[str, Any]], b_rows: list[dict[str, Any]]) -> list[int]:
    """The seeds both sweeps trained, in B's order: the only ones a paired comparison reads."""
    a_seeds = {row["seed"] for row in a_rows}
    seeds = [row["seed"] for row in b_rows if row["seed"] in a_seeds]
    if not seeds:
        raise GancurveError("The two sweeps share no seed: a paired comparison needs the same seeds.")
    return seeds


def paired_rows(rows: list[dict[str, Any]], seeds: list[int]) -> list[dict[str, Any]]:
    """A sweep's rows of the paired seeds only, in their order."""
    by_seed = {row["seed"]: row for row in rows}
    return [by_seed[seed] for seed in seeds]


def median_of(rows: list[dict[str, Any]], metric: str) -> float:
    """The median of a metric over rows, a member without it counting as the worst value (as in
    :func:`metric_of`), so that it agrees with the paired difference it stands beside."""
    return float(np.median([metric_of(row, metric) for row in rows]))


def paired_difference(
    a_rows: list[dict[str, Any]], b_rows: list[dict[str, Any]], metric: str = "w1"
) -> PairedDifference:
    """Pair two sweeps' rows by seed and summarise ``B − A`` (see the module's docstring)."""
    if metric not in LOWER_IS_BETTER:
        raise GancurveError(f"Cannot compare by {metric!r}; choose one of {', '.join(LOWER_IS_BETTER)}.")
    seeds = paired_seeds(a_rows, b_rows)
    a_by_seed = {row["seed"]: row for row in a_rows}
    b_by_seed = {row["seed"]: row for row in b_rows}
    a = np.array([metric_of(a_by_seed[seed], metric) for seed in seeds])
    b = np.array([metric_of(b_by_seed[seed], metric) for seed in seeds])
    with np.errstate(invalid="ignore"):
        differences = np.where(a == b, 0.0, b - a)  # two diverged members tie (∞ − ∞ would be NaN)
    sign = 1.0 if LOWER_IS_BETTER[metric] else -1.0
    low, high = bootstrap_median_interval(differences)
    return PairedDifference(
        metric=metric,
        seeds=len(seeds),
        median=float(np.median(differences)),
        low=low,
        high=high,
        b_better=int(np.sum(sign * differences < 0)),
        a_better=int(np.sum(sign * differences > 0)),
    )


def bootstrap_median_interval(values: np.ndarray, samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float]:
    """The 95% percentile-bootstrap interval of the median of ``values`` (seeded: reproducible)."""
    rng = stream(BOOTSTRAP_SEED)
    picks = rng.integers(0, len(values), size=(samples, len(values)))
    medians = np.median(values[picks], axis=1)
    # "lower"/"higher": the ends are medians the bootstrap drew, never interpolated past them.
    low = float(np.percentile(medians, 2.5, method="lower"))
    high = float(np.percentile(medians, 97.5, method="higher"))
    return low, high
