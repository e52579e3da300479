"""D's view along the family, the optimal D for a G whose law is known, and G's push."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.core.artist import Artist
from gancurve.core.config import TrainConfig
from gancurve.core.critic import (
    A_GRID,
    FRAME_A,
    FRAME_PAINTINGS,
    artist_density,
    critic_frame,
    critic_view,
    kde,
    logit_slope,
)
from gancurve.core.networks import initial_weights, logits

ARTIST = Artist()
D = initial_weights(TrainConfig(seed=3))["discriminator"]


@pytest.mark.parametrize("shape", ["normal", "heavy tails"])
def test_the_density_estimate_is_the_kernel_estimate(shape: str) -> None:
    """Binned, then smoothed: within 1% of a kernel per sample (n = 2,000, grid 0.005), with
    Silverman's bandwidth from the standard deviation or (heavy tails) the quartiles."""
    generator = np.random.default_rng(0)
    if shape == "normal":
        sample = generator.normal(1.5, 0.2, 2000)
    else:
        sample = 1.5 + 0.05 * generator.standard_t(2, 2000)
        assert np.subtract(*np.percentile(sample, [75, 25])) / 1.34 < 0.8 * sample.std()
    spread = min(sample.std(), np.subtract(*np.percentile(sample, [75, 25])) / 1.34)
    h = 0.9 * spread * sample.size ** (-0.2)
    z = (A_GRID[:, None] - sample[None, :]) / h
    exact = np.exp(-0.5 * z * z).sum(axis=1) / (sample.size * h * math.sqrt(2 * math.pi))
    assert np.abs(kde(sample, A_GRID) - exact).max() < 0.01 * exact.max()
    spacing = A_GRID[1] - A_GRID[0]  # the mass on the grid (heavy tails leave some outside it)
    assert np.sum(kde(sample, A_GRID)) * spacing == pytest.approx(np.sum(exact) * spacing, abs=2e-3)


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
    # What a run logs: the same gap on the frames' coarser grid and 256 of G's paintings — close.
    frame, gap = critic_frame(D, ARTIST, g_a[:: len(g_a) // FRAME_PAINTINGS][:FRAME_PAINTINGS], "minimax")
    assert gap == pytest.approx(view.gap, abs=0.02) and frame.shape == (3, len(FRAME_A))


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


def test_every_snapshot_records_d_along_the_family(tmp_path: Path) -> None:
    """The last snapshot's critic frame is the critic view of the run's final networks on the
    frame grid (the snapshot is taken at the final step, as the checkpoint is)."""
    from gancurve.core.draws import eval_ideas
    from gancurve.core.networks import paint
    from gancurve.store.checkpoint import load_checkpoint
    from gancurve.store.rundir import RunDir

    runs = ["--runs-dir", str(tmp_path)]
    assert run_cli("train", "--steps", "200", "--snapshot-every", "50", "--name", "f", *runs)[0] == 0
    run = RunDir(tmp_path / "f")
    snapshots, checkpoint = run.read_snapshots(), load_checkpoint(run)
    assert snapshots.critic is not None and snapshots.critic.shape == (4, 3, len(FRAME_A))  # steps 50…200
    from gancurve.training.session import EVAL_SAMPLES

    ideas = eval_ideas(checkpoint.config, EVAL_SAMPLES)[:: EVAL_SAMPLES // FRAME_PAINTINGS][:FRAME_PAINTINGS]
    artist = Artist()
    a_hat, _ = artist.fit(paint(checkpoint.state.weights["generator"], ideas))
    expected, gap = critic_frame(checkpoint.state.weights["discriminator"], artist, a_hat, "minimax")
    assert np.allclose(snapshots.critic[-1], expected, atol=1e-5, equal_nan=True)
    last = run.read_metrics()[-1]  # the gap of every logged step comes from the same computation
    assert last["step"] == 200 and last["d_star_gap"] == pytest.approx(gap, rel=1e-9)
    assert all("d_star_gap" in row for row in run.read_metrics())  # every logged step, not only evaluations
    d, d_star, _ = snapshots.critic[-1]
    assert (
        np.all((d > 0) & (d < 1)) and np.nanmax(d_star) <= 1 and np.isnan(d_star).any()
    )  # none past the ends
    assert not np.array_equal(snapshots.critic[0], snapshots.critic[-1])  # D learned


def test_animate_draws_the_critic_panel_and_leaves_it_out_when_asked(tmp_path: Path) -> None:
    import imageio.v3 as iio

    runs = ["--runs-dir", str(tmp_path)]
    assert run_cli("train", "--steps", "150", "--name", "a", *runs)[0] == 0
    with_panel, without = tmp_path / "with.gif", tmp_path / "without.gif"
    assert run_cli("animate", str(with_panel), "--run", "a", *runs)[0] == 0
    code, _, stderr = run_cli("animate", str(without), "--run", "a", "--no-critic", *runs)
    assert code == 0 and "critic" not in stderr
    assert iio.imread(with_panel, index=None).shape == (3, 600, 560, 3)  # steps 50, 100, 150
    assert iio.imread(without, index=None).shape == (3, 420, 560, 3)
    # A sweep's members record no critic frames: the animation says so and draws the curves only.
    assert run_cli("sweep", "--seeds", "1", "--steps", "100", "--name", "s", *runs)[0] == 0
    code, _, stderr = run_cli("animate", str(tmp_path / "m.gif"), "--run", "s/seed-1", *runs)
    assert code == 0 and "recorded no critic frames" in stderr and stderr.count("\n") == 1
    assert iio.imread(tmp_path / "m.gif", index=None).shape[1] == 420


def test_a_resumed_run_without_frames_fills_the_old_snapshots_with_nan() -> None:
    from gancurve.core.critic import FRAME_A
    from gancurve.training.history import History

    history = History(snapshot_critic=[None, np.zeros((3, len(FRAME_A)), np.float32)])
    frames = history._critic_frames()
    assert frames is not None and np.isnan(frames[0]).all() and (frames[1] == 0).all()
    assert History(snapshot_critic=[None, None])._critic_frames() is None


@pytest.mark.parametrize("far", [1e12, 1e300, math.inf])
def test_the_density_of_a_g_that_blew_up_is_cheap_and_right(far: float) -> None:
    """A G trained with a learning rate of 1,000 paints a spread over ±1e12 (or ±inf, NaN): the
    estimate is still the binned kernel estimate (cut where the grid ends, which changes nothing
    on it; the paintings off every bin count in n), not a kernel of terabytes (a MemoryError)."""
    generator = np.random.default_rng(1)
    near = generator.uniform(1.0, 2.0, 64)
    sample = np.concatenate(
        [near, generator.uniform(-far, far, 64) if far < math.inf else [far, -far, math.nan]]
    )
    density = kde(sample, FRAME_A)
    finite = sample[np.isfinite(sample)]
    spacing = FRAME_A[1] - FRAME_A[0]
    bins = np.histogram(finite, np.concatenate([FRAME_A - spacing / 2, [FRAME_A[-1] + spacing / 2]]))[0]
    with np.errstate(over="ignore"):
        spread = min(finite.std(), np.subtract(*np.percentile(finite, [75, 25])) / 1.34)
        h = 0.9 * spread * finite.size ** (-0.2)
        z = (FRAME_A[:, None] - FRAME_A[None, :]) / h
        kernel = np.exp(-0.5 * z * z) * (np.abs(z) <= np.ceil(4 * h / spacing) * spacing / h)  # cut at 4 h
        exact = (kernel * bins[None, :]).sum(axis=1) / (sample.size * h * math.sqrt(2 * math.pi))
    assert density.shape == FRAME_A.shape and np.isfinite(density).all()
    np.testing.assert_allclose(density, exact, rtol=1e-9, atol=1e-300)
