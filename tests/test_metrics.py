"""Exact quality metrics against the known target U(1, 2)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gancurve.core.artist import Artist, uniform_law
from gancurve.core.metrics import TARGET_SPREAD, quality

LAW = uniform_law(1.0, 2.0)

ARTIST = Artist()


def paintings_for(a: np.ndarray) -> np.ndarray:
    return ARTIST.paint(np.asarray(a, dtype=np.float64))


def real(n: int, seed: int) -> np.ndarray:
    return ARTIST.sample(n, np.random.default_rng(seed), dtype=np.float64)


def test_real_paintings_score_at_the_floor() -> None:
    q = quality(real(10_000, 0))
    assert q.w1 < 0.01 and q.ks < 0.02
    assert q.residual < 1e-9 and q.in_bounds == 1.0 and q.coverage == 1.0
    assert abs(q.spread - TARGET_SPREAD) < 0.01


def test_real_w1_shrinks_like_one_over_root_n() -> None:
    # Average over seeds: the expected W1 of n uniform samples is about 0.17/√n·(b−a).
    means = {n: np.mean([quality(real(n, seed)).w1 for seed in range(20)]) for n in (100, 10_000)}
    ratio = means[100] / means[10_000]
    assert 6 < ratio < 16  # √100 = 10


def test_constant_generator_is_collapsed() -> None:
    q = quality(paintings_for(np.full(5000, 1.5)))
    assert q.spread < 1e-9
    assert q.w1 == pytest.approx(0.25, abs=1e-6)  # ∫|1.5 − a| over U(1, 2)
    assert q.coverage == pytest.approx(1 / 20)


def test_half_range_generator() -> None:
    a = np.linspace(1.0, 1.5, 100_001)  # an exact U(1, 1.5) quantile sample
    q = quality(paintings_for(a))
    assert q.w1 == pytest.approx(0.25, abs=1e-3)
    assert q.ks == pytest.approx(0.5, abs=1e-3)
    assert q.coverage == pytest.approx(0.5)


def test_paintings_off_the_family_have_a_large_residual() -> None:
    shifted = real(1000, 1) + 0.3 * np.cos(4 * ARTIST.grid(np.float64))
    assert quality(shifted).residual > 0.1
    assert quality(real(1000, 1) + 5.0).in_bounds == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_w1_and_ks_agree_with_scipy(seed: int) -> None:
    sample = np.random.default_rng(seed).beta(2, 3, size=2000) + 1.0  # not uniform on purpose
    # scipy's W1 against a huge uniform quantile grid approximates the exact integral.
    grid = np.linspace(1, 2, 400_001)
    assert LAW.w1(sample) == pytest.approx(stats.wasserstein_distance(sample, grid), abs=1e-5)
    assert LAW.ks(sample) == pytest.approx(stats.kstest(sample, stats.uniform(1, 1).cdf).statistic)


def test_w1_exact_for_single_points() -> None:
    assert LAW.w1(np.array([1.0])) == pytest.approx(0.5)
    assert LAW.w1(np.array([3.0])) == pytest.approx(1.5)
    assert LAW.w1(np.array([1.5])) == pytest.approx(0.25)
