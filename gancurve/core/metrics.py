"""Exact quality measures: the target distribution is known, so we can score G directly.

Every real painting is ``a·(x² + 1) − 1`` with ``a ~ U(1, 2)``. We project each generated
painting onto that family (``a_hat``, ``residual``) and compare the ``a_hat`` sample with
U(1, 2) exactly — through quantiles, with no histogram or smoothing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from gancurve.core.artist import ParabolaArtist

#: The standard deviation of U(1, 2): what ``spread`` should be.
TARGET_SPREAD = 1.0 / math.sqrt(12.0)
#: Points this close outside a bound still count as inside (float32 rounding of a = 1 or 2).
BOUNDS_TOLERANCE = 1e-5
#: ``coverage`` splits [1, 2] into this many equal bins ...
COVERAGE_BINS = 20
#: ... and counts a bin as covered when it holds at least this share of the samples.
COVERAGE_MIN_SHARE = 0.01


@dataclass(frozen=True)
class Quality:
    """How close a batch of paintings is to the artist's distribution (ideal in comments)."""

    w1: float  # 1-Wasserstein distance of a_hat to U(1, 2) (0)
    ks: float  # Kolmogorov–Smirnov statistic of a_hat against U(1, 2) (0)
    residual: float  # mean RMS distance of each painting from the family (0)
    in_bounds: float  # share of points between x² and 2x² + 1 (1)
    spread: float  # standard deviation of a_hat (1/√12 ≈ 0.289)
    coverage: float  # share of [1, 2] that a_hat covers, in 20 bins (1)

    def to_dict(self) -> dict[str, float]:
        """The metrics by name."""
        return asdict(self)


def w1_to_uniform(sample: np.ndarray, low: float, high: float) -> float:
    """Exact 1-Wasserstein distance between a sample's empirical law and U(low, high).

    W1 is ``∫₀¹ |Q_n(u) − Q(u)| du`` with the sample's step quantile function ``Q_n`` and the
    uniform's line ``Q(u) = low + (high − low)·u``. On each step ``((i−1)/n, i/n]`` the
    integrand is ``|s_i − Q(u)|``, a linear function's absolute value, integrated in closed form.
    """
    s = np.sort(np.asarray(sample, dtype=np.float64))
    n = s.size
    if n == 0:
        raise ValueError("W1 needs at least one sample")
    width = high - low
    u0 = np.arange(n) / n
    u1 = np.arange(1, n + 1) / n
    g0 = s - (low + width * u0)  # the signed gap at both ends of each step
    g1 = s - (low + width * u1)
    same_sign = g0 * g1 >= 0
    # No crossing: |mean gap| × step width. Crossing: two triangles, (g0² + g1²) / (2·slope).
    no_cross = np.abs(g0 + g1) / 2 * (u1 - u0)
    cross = (g0**2 + g1**2) / (2 * width)
    return float(np.where(same_sign, no_cross, cross).sum())


def ks_to_uniform(sample: np.ndarray, low: float, high: float) -> float:
    """Kolmogorov–Smirnov statistic ``sup |F_n − F|`` of a sample against U(low, high)."""
    s = np.sort(np.asarray(sample, dtype=np.float64))
    n = s.size
    if n == 0:
        raise ValueError("KS needs at least one sample")
    cdf = np.clip((s - low) / (high - low), 0.0, 1.0)
    above = np.arange(1, n + 1) / n - cdf
    below = cdf - np.arange(n) / n
    return float(max(above.max(), below.max()))


def coverage_of(a_hat: np.ndarray, low: float, high: float) -> float:
    """Share of equal bins of [low, high] holding at least 1% of the samples each."""
    counts, _ = np.histogram(a_hat, bins=COVERAGE_BINS, range=(low, high))
    return float((counts >= COVERAGE_MIN_SHARE * a_hat.size).mean())


def quality(paintings: torch.Tensor, artist: ParabolaArtist | None = None) -> Quality:
    """Score paintings of shape ``(n, points)`` against the artist's distribution."""
    artist = artist or ParabolaArtist(paintings.shape[1])
    y = paintings.detach().to("cpu", torch.float64)
    a_hat, residual = artist.fit(y)
    lower = artist.lower_bound(dtype=torch.float64)
    upper = artist.upper_bound(dtype=torch.float64)
    inside = (y >= lower - BOUNDS_TOLERANCE) & (y <= upper + BOUNDS_TOLERANCE)
    a = a_hat.numpy()
    return Quality(
        w1=w1_to_uniform(a, artist.a_low, artist.a_high),
        ks=ks_to_uniform(a, artist.a_low, artist.a_high),
        residual=float(residual.mean()),
        in_bounds=float(inside.double().mean()),
        spread=float(a.std()),
        coverage=coverage_of(a, artist.a_low, artist.a_high),
    )
