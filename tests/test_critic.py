"""D's view along the family, the optimal D for a G whose law is known, and G's push."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.core.artist import Artist
from gancurve.core.config import TrainConfig
from gancurve.core.critic import A_GRID, artist_density, critic_view, kde, logit_slope, optimal_gap
from gancurve.core.networks import initial_weights, logits

ARTIST = Artist()
D = initial_weights(TrainConfig(seed=3))["discriminator"]


def test_the_density_estimate_is_the_kernel_estimate() -> None:
    """Binned, then smoothed: within 1% of a kernel per sample (n = 2,000, grid 0.005)."""
    sample = np.random.default_rng(0).normal(1.5, 0.2, 2000)
    spread = min(sample.std(), np.subtract(*np.percentile(sample, [75, 25])) / 1.34)
    h = 0.9 * spread * sample.size ** (-0.2)
    z = (A_GRID[:, None] - sample[None, :]) / h
    exact = np.exp(-0.5 * z * z).sum(axis=1) / (sample.size * h * math.sqrt(2 * math.pi))
    assert np.abs(kde(sample, A_GRID) - exact).max() < 0.01 * exact.max()
    assert np.sum(kde(sample, A_GRID)) * (A_GRID[1] - A_GRID[0]) == pytest.approx(1.0, abs=2e-3)


def test_the_optimal_d_for_a_g_whose_law_is_known() -> None:
    """G's a ~ U(1.5, 2.5) against the artist's U(1, 2): D* = 1 where only the artist paints,
    1/2 where both paint equally, 0 where only G paints (away from the edges the estimate blurs)."""
    g_a = np.random.default_rng(1).uniform(1.5, 2.5, 20_000)
    view = critic_view(D, ARTIST, g_a, "minimax")
    assert view.d_star is not None
    for a, expected in ((1.2, 1.0), (1.3, 1.0), (1.75, 0.5), (2.2, 0.0), (2.3, 0.0)):
        assert view.d_star[np.argmin(np.abs(view.a - a))] == pytest.approx(expected, abs=0.04), a
    assert np.array_equal(view.p_data, artist_density(ARTIST, view.a))
    d = 1 / (1 + np.exp(-logits(D, ARTIST.paint(view.a.astype(np.float32)))))
    assert np.allclose(view.d, d, atol=1e-6)
    # The gap is the mean |D − D*| under the mixture of the two densities (where there is one).
    weight = (view.p_data + view.p_g) / 2
    inside = weight > 0
    expected_gap = np.sum((np.abs(view.d - view.d_star) * weight)[inside]) / np.sum(weight[inside])
    assert view.gap == pytest.approx(expected_gap)
    assert optimal_gap(D, ARTIST, g_a, "minimax") == view.gap  # what every evaluation logs


def test_a_d_that_is_the_optimal_one_has_no_gap() -> None:
    """A G that paints the artist's law exactly, against a D that says 1/2 everywhere."""
    flat = {
        **D,
        "net.2.weight": np.zeros_like(D["net.2.weight"]),
        "net.2.bias": np.zeros_like(D["net.2.bias"]),
    }
    g_a = np.random.default_rng(2).uniform(1, 2, 50_000)
    view = critic_view(flat, ARTIST, g_a, "non-saturating")
    assert (
        np.allclose(view.d, 0.5) and view.gap is not None and view.gap < 0.03
    )  # the estimate's blur at the edges
    assert critic_view(flat, ARTIST, g_a, "hinge").d_star is None  # no closed form for the hinge's critic


def test_the_slope_along_the_family_and_the_push() -> None:
    a = np.linspace(0.6, 2.4, 50)
    step, d64 = (
        1e-6,
        {name: value.astype(np.float64) for name, value in D.items()},
    )  # float64: exact differences
    up, down = (logits(d64, ARTIST.paint(a + s)) for s in (step, -step))
    assert np.allclose(logit_slope(D, ARTIST, a), (up - down) / (2 * step), atol=1e-6)
    view = critic_view(D, ARTIST, np.random.default_rng(3).uniform(1, 2, 2000), "minimax")
    # Minimax: G lowers log(1 − D), i.e. raises D's logit: it is pushed the way the logit grows.
    assert np.all(np.sign(view.push) == np.sign(logit_slope(D, ARTIST, view.a)))


def test_metrics_record_the_gap_and_plot_draws_the_panel(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    code, _, stderr = run_cli("train", "--steps", "200", "--eval-every", "100", "--name", "c", *runs)
    assert code == 0, stderr
    header, *rows = (tmp_path / "c" / "metrics.csv").read_text().splitlines()
    column = header.split(",").index("d_star_gap")
    assert all(0 <= float(row.split(",")[column]) <= 1 for row in rows if row.split(",")[column])
    with_panel, without = tmp_path / "with.png", tmp_path / "without.png"
    assert run_cli("plot", str(with_panel), "--run", "c", *runs)[0] == 0
    assert run_cli("plot", str(without), "--run", "c", "--no-critic", *runs)[0] == 0
    from PIL import Image

    assert Image.open(with_panel).size[1] > Image.open(without).size[1]  # the seventh panel's row
    code, _, stderr = run_cli("train", "--steps", "100", "--loss", "hinge", "--name", "h", *runs)
    assert code == 0 and "d_star_gap" not in (tmp_path / "h" / "metrics.csv").read_text()
