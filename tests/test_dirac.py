"""The Dirac artist (``--artist dirac``: every real painting is the curve of a = 1.5, Mescheder et
al. 2018's Dirac-GAN as curves): its point law against brute-force numbers, the metrics and the
verdict of a point, D's slope at the real painting against autograd, and the commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.core.artist import make_artist, point_law, uniform_law
from gancurve.core.config import TrainConfig
from gancurve.core.metrics import (
    POINT_TOLERANCE,
    collapsing,
    converged_max_w1,
    coverage_of,
    quality,
    verdict,
)

DIRAC = make_artist(TrainConfig(artist="dirac"))
LAW = DIRAC.law


def paintings_for(a: np.ndarray) -> np.ndarray:
    return DIRAC.paint(np.asarray(a, dtype=np.float64))


# -- the law -----------------------------------------------------------------------------------


def test_the_dirac_artist_paints_one_curve() -> None:
    assert point_law(1.5) == LAW and LAW.is_point and (LAW.low, LAW.high, LAW.modes) == (1.5, 1.5, 1)
    x = DIRAC.grid(np.float64)
    for dtype in (np.float32, np.float64):
        a = DIRAC.sample_a(1000, np.random.default_rng(0), dtype)
        assert a.dtype == dtype and np.all(a == dtype(1.5))  # exactly, whatever the uniform draw
    assert np.allclose(DIRAC.sample(3, np.random.default_rng(1), np.float64), 1.5 * x**2 + 0.5, atol=1e-15)
    assert np.array_equal(DIRAC.lower_bound(np.float64), DIRAC.upper_bound(np.float64))  # the band: one curve
    a_hat, residual = DIRAC.fit(DIRAC.sample(50, np.random.default_rng(2), np.float64))
    assert np.all(a_hat == pytest.approx(1.5, abs=1e-14)) and residual.max() < 1e-14


def test_the_point_laws_cdf_is_a_step_and_its_spread_zero() -> None:
    a = np.array([1.0, 1.4999999, 1.5, 1.5000001, 2.0])
    assert np.array_equal(LAW.cdf(a), [0.0, 0.0, 1.0, 1.0, 1.0])  # right-continuous, as every CDF
    assert LAW.std == 0.0
    assert np.array_equal(LAW.quantile(np.array([0.0, 0.25, 0.999999])), [1.5, 1.5, 1.5])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_w1_to_a_point_is_the_mean_distance_exactly(seed: int) -> None:
    """W1 between a sample and a point mass is E|â − 1.5|: the only coupling moves every â to 1.5."""
    rng = np.random.default_rng(seed)
    sample = np.concatenate([rng.normal(1.5 + 0.1 * seed, 0.2, 3000), np.full(17, 1.5)])
    assert LAW.w1(sample) == pytest.approx(np.mean(np.abs(sample - 1.5)), rel=1e-12, abs=0)
    assert LAW.w1(np.full(10, 1.5)) == 0.0
    assert LAW.w1(np.array([1.2, 1.9])) == pytest.approx(0.35, rel=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ks_to_a_point_against_brute_force(seed: int) -> None:
    """sup_x |F_n(x) − F(x)| on a fine grid of x and at the sample's and the point's left limits."""
    rng = np.random.default_rng(seed)
    sample = np.concatenate([rng.normal(1.5 - 0.05 * seed, 0.1, 500).round(2), np.full(40 * seed, 1.5)])
    xs = np.union1d(sample, np.linspace(0.5, 2.5, 20_001))
    xs = np.concatenate([xs, np.nextafter(xs, -np.inf)])  # and just left of each (the left limits)
    empirical = np.searchsorted(np.sort(sample), xs, side="right") / sample.size
    brute = float(np.max(np.abs(empirical - (xs >= 1.5))))
    assert LAW.ks(sample) == pytest.approx(brute, abs=1e-15)
    below, above = np.mean(sample < 1.5), np.mean(sample > 1.5)
    assert LAW.ks(sample) == pytest.approx(max(below, above), abs=1e-15)
    assert LAW.ks(np.full(100, 1.5)) == 0.0  # the artist's own sample: no gap at all


def test_the_point_draws_as_a_spike_and_an_interval_as_before() -> None:
    xs, ys = LAW.density_outline(spike_width=0.01)
    assert xs.min() < 1.5 < xs.max() and ys.max() == pytest.approx(100.0)  # all the mass in one bar
    assert np.all(ys[(xs < 1.495) | (xs > 1.505)] == 0.0)
    wide_x, wide_y = uniform_law(1.0, 2.0).density_outline()
    assert wide_x.tolist() == [0.5, 1.0, 1.0, 2.0, 2.0, 2.5] and wide_y.tolist() == [0, 0, 1, 1, 0, 0]


# -- the metrics and the verdict -----------------------------------------------------------------


def test_the_artists_own_paintings_score_perfectly() -> None:
    real = DIRAC.sample(2000, np.random.default_rng(3), np.float64)
    q = quality(real, DIRAC)
    assert q.w1 == pytest.approx(0.0, abs=1e-14) and q.spread == pytest.approx(0.0, abs=1e-14)
    # KS to a point is exact, and says nothing: the fit's last bit puts every â on one side.
    a_hat = DIRAC.fitted_a(real)
    assert q.ks == max(np.mean(a_hat < 1.5), np.mean(a_hat > 1.5)) and q.ks > 0.5
    assert q.in_bounds == 1.0 and q.coverage == 1.0 and q.a_offset == pytest.approx(0.0, abs=1e-14)
    assert "a_offset" in q.to_dict() and "a_offset" not in quality(paintings_for([1.2, 1.8])).to_dict()
    assert verdict(q, 0.5, law=LAW).label == "converged"


def test_a_point_is_judged_by_its_distance_not_by_bounds_or_spread() -> None:
    rng = np.random.default_rng(4)
    near = quality(paintings_for(rng.normal(1.5 + 0.01, 0.01, 2000)), DIRAC)
    assert near.w1 < POINT_TOLERANCE and near.in_bounds > 0.99 and near.coverage == 1.0
    assert near.a_offset == pytest.approx(0.01, abs=2e-3)
    assert verdict(near, 0.5, law=LAW).label == "converged"
    assert verdict(near, 0.8, law=LAW).label == "still learning"  # D still tells them apart
    # At the point with a shape error: out of the narrow band, yet the residual is what judges it.
    shaky = quality(paintings_for(rng.normal(1.5, 0.01, 2000)) + rng.normal(0, 0.06, (2000, 15)), DIRAC)
    assert shaky.in_bounds < 0.85 and shaky.residual < 0.1 and shaky.w1 < POINT_TOLERANCE
    assert verdict(shaky, 0.5, law=LAW).label == "converged"
    # One curve, a little off: not collapsed (the artist paints one curve too), not diverged.
    off = quality(paintings_for(np.full(2000, 1.7)), DIRAC)
    assert off.w1 == pytest.approx(0.2) and off.a_offset == pytest.approx(0.2)
    assert off.spread == pytest.approx(0.0, abs=1e-12) and off.in_bounds == 0.0 and off.coverage == 0.0
    judged = verdict(off, 0.5, law=LAW)
    assert judged.label == "still learning" and "0.200" in judged.reason
    assert not collapsing(0.0, 0.0, LAW)
    assert converged_max_w1(LAW) == POINT_TOLERANCE and converged_max_w1(uniform_law(1.0, 2.0)) == 0.1
    # Far off, yet finite: a G that blew up is still "diverged" (W1 above 10, or not finite).
    assert verdict(quality(paintings_for(np.full(100, 30.0)), DIRAC), 0.5, law=LAW).label == "diverged"
    nan = quality(np.full((10, DIRAC.points), np.nan), DIRAC)
    assert verdict(nan, 0.5, law=LAW).label == "diverged"


def test_in_bounds_and_coverage_of_a_point_use_the_stated_tolerance() -> None:
    """In bounds: the share of points between the paintings of 1.5 ∓ τ; covered: at least 1% of
    the fitted a within τ of 1.5 (the point's one bin)."""
    tau = POINT_TOLERANCE
    inside, outside = 1.5 + 0.99 * tau, 1.5 + 1.01 * tau
    assert quality(paintings_for([inside, 1.5 - 0.99 * tau]), DIRAC).in_bounds == 1.0
    assert quality(paintings_for([inside, outside]), DIRAC).in_bounds == 0.5
    assert coverage_of(np.r_[np.full(99, 2.0), [1.5]], LAW) == 1.0
    assert coverage_of(np.r_[np.full(999, 2.0), [1.5]], LAW) == 0.0


# -- D's slope at the real painting ------------------------------------------------------------


@pytest.mark.parametrize(("artist", "condition"), [("dirac", "none"), ("parabola", "label"), ("bump", "a")])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ds_slope_at_the_real_painting_is_autograds(artist: str, condition: str, seed: int) -> None:
    """‖∇ₓ l(x*)‖ and dl/da at x*, the painting of the law's median, against torch's autograd of
    D's logit in float64 — random weights (biases large enough that some units are off), with a
    condition appended to D's input (the slope is along the painting, as R1's)."""
    import torch

    from gancurve.core.condition import make_condition
    from gancurve.core.critic import real_slopes

    config = TrainConfig(artist=artist, condition=condition, hidden=32)
    drawn = make_artist(config)
    rng = np.random.default_rng(seed)
    weights = {
        "net.0.weight": rng.normal(0, 1, (32, config.d_inputs)),
        "net.0.bias": rng.normal(0, 3, 32),
        "net.2.weight": rng.normal(0, 1, (1, 32)),
        "net.2.bias": rng.normal(0, 1, 1),
    }
    norm, along = real_slopes(weights, drawn, make_condition(config))
    median = float(drawn.law.quantile(np.array([0.5]))[0])
    x = torch.tensor(drawn.paint(np.array([median])), dtype=torch.float64, requires_grad=True)
    columns = torch.tensor(make_condition(config).values(np.array([median]))).to(torch.float64)
    inputs = torch.cat([x, columns], dim=1)
    names = ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias")
    w1, b1, w2, b2 = (torch.tensor(weights[name]) for name in names)
    logit = (torch.relu(inputs @ w1.T + b1) @ w2.T + b2).sum()
    (gradient,) = torch.autograd.grad(logit, x)
    assert norm == pytest.approx(float(gradient.norm()), rel=1e-10, abs=1e-12) and norm > 0
    basis = torch.tensor(drawn.basis(np.float64))
    assert along == pytest.approx(float(gradient[0] @ basis), rel=1e-10, abs=1e-12)
    assert abs(along) <= norm * float(basis.norm()) * (1 + 1e-12)  # Cauchy–Schwarz


def test_a_flat_d_has_no_slope() -> None:
    from gancurve.core.critic import real_slopes
    from gancurve.core.networks import initial_weights

    flat = {**initial_weights(TrainConfig(artist="dirac"))["discriminator"]}
    flat["net.2.weight"] = np.zeros_like(flat["net.2.weight"])
    assert real_slopes(flat, DIRAC) == (0.0, 0.0)


def test_a_point_has_no_finite_optimal_d() -> None:
    """D* = p_data / (p_data + p_G) is 1 at the point and 0 beside it: no finite D reaches it, so
    there is none to draw or compare with (as for the hinge's and WGAN-GP's critics)."""
    from gancurve.core.critic import A_GRID, FRAME_A, artist_density, critic_frame, critic_view
    from gancurve.core.networks import initial_weights

    weights = initial_weights(TrainConfig(artist="dirac", seed=3))["discriminator"]
    view = critic_view(weights, DIRAC, np.random.default_rng(5).normal(1.5, 0.1, 2000), "minimax")
    assert view.d_star is None and view.gap is None and view.point == 1.5
    frame, gap = critic_frame(weights, DIRAC, np.full(256, 1.5), "non-saturating")
    assert gap is None and np.isnan(frame[1]).all() and np.isfinite(frame[0]).all()
    for grid in (A_GRID, FRAME_A):  # the point's mass on a grid: one cell holding all of it
        density = artist_density(DIRAC, grid)
        assert np.count_nonzero(density) == 1 and density[np.argmin(np.abs(grid - 1.5))] > 0
        assert np.sum(density) * (grid[1] - grid[0]) == pytest.approx(1.0)


# -- the commands ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_dirac_run_trains_evaluates_plots_animates_and_samples(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    code, _, stderr = run_cli("train", "--artist", "dirac", "--steps", "300", "--eval-every", "100",
                              "--log-every", "50", "--name", "d", *runs)  # fmt: skip
    assert code == 0, stderr
    config = json.loads((tmp_path / "d" / "config.json").read_text())["config"]
    assert config["artist"] == "dirac"
    from gancurve.store.rundir import RunDir

    rows = RunDir(tmp_path / "d").read_metrics()
    assert all("d_slope_real" in row and row["d_slope_real"] >= 0 and "d_slope_a" in row for row in rows)
    evaluated = [row for row in rows if "w1" in row]
    assert [row["step"] for row in evaluated] == [100, 200, 300]
    assert all("a_offset" in row and "d_star_gap" not in row for row in evaluated)
    assert len({row["d_slope_real"] for row in rows}) > 1  # D learns: its slope moves
    code, stdout, stderr = run_cli("evaluate", "--run", "d", "--json", "-n", "2000", *runs)
    assert code == 0, stderr
    result = json.loads(stdout)
    g, ideal = result["generator"], result["ideal"]
    assert {"a_offset", "d_slope_real", "d_slope_a"} <= set(g) and ideal["spread"] == 0.0
    assert ideal["a_offset"] == 0.0 and ideal["d_slope_real"] == 0.0
    assert result["artist"]["w1"] < 1e-7 and result["artist"]["in_bounds"] == 1.0  # (float32 paintings)
    assert g["d_slope_real"] == pytest.approx(rows[-1]["d_slope_real"], rel=1e-12)  # the same D, the same x*
    assert result["verdict"]["label"] != "collapsed"
    code, stdout, _ = run_cli("evaluate", "--run", "d", "-n", "2000", *runs)
    assert code == 0 and "mean |â − 1.5|" in stdout and "slope" in stdout and "U(1, 2)" not in stdout
    for command, name in (("plot", "p.png"), ("animate", "a.gif")):
        code, _, stderr = run_cli(command, str(tmp_path / name), "--run", "d", *runs)
        assert code == 0 and (tmp_path / name).stat().st_size > 0, stderr
    code, stdout, stderr = run_cli("sample", "--run", "d", "-n", "3", *runs)
    assert code == 0 and "a = 1.5" in stdout, stderr
    code, stdout, _ = run_cli("sample", "--run", "d", "-n", "3", "--format", "json", *runs)
    assert code == 0 and len(json.loads(stdout)["y"]) == 3


def test_every_artist_logs_ds_slope_at_its_real_painting(tmp_path: Path) -> None:
    """The tutorial's run too (the painting of a = 1.5, its median): for R1 studies."""
    runs = ["--runs-dir", str(tmp_path)]
    assert run_cli("train", "--steps", "100", "--eval-every", "50", "--name", "t", *runs)[0] == 0
    header = (tmp_path / "t" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"d_slope_real", "d_slope_a", "d_star_gap"} <= set(header) and "a_offset" not in header


def test_a_condition_has_no_meaning_for_a_point() -> None:
    for condition in ("label", "a"):
        code, _, stderr = run_cli("train", "--artist", "dirac", "--condition", condition, "--steps", "10")
        assert code == 2 and stderr.count("\n") == 1 and "dirac" in stderr, stderr


@pytest.mark.slow
def test_a_sweep_of_dirac_members_reports_the_points_columns(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    code, stdout, stderr = run_cli("sweep", "--seeds", "3", "--steps", "100", "--eval-every", "50",
                                   "--artist", "dirac", "--name", "s", "--json", *runs)  # fmt: skip
    assert code == 0, stderr
    summary = json.loads(stdout)
    aggregate, members = summary["aggregate"], summary["members"]
    assert {"a_offset_mean", "d_slope_real_mean", "d_slope_real_median"} <= set(aggregate)
    within = sum(member["w1"] <= POINT_TOLERANCE for member in members)
    assert aggregate["near_point"] == within and len(aggregate["near_point_95"]) == 2
    assert aggregate["collapsed"] == 0
    header = (tmp_path / "s" / "summary.csv").read_text().splitlines()[0].split(",")
    assert {"a_offset", "d_slope_real", "d_slope_a"} <= set(header) and header[-1] == "reason"
    assert all(member["d_slope_real"] >= 0 for member in members)
    code, stdout, _ = run_cli("evaluate", "--run", "s/seed-2", "--json", *runs)
    slope = json.loads(stdout)["generator"]["d_slope_real"]
    assert slope == pytest.approx(members[1]["d_slope_real"], rel=1e-12)
    from gancurve.store.rundir import RunDir

    rows = RunDir(tmp_path / "s" / "seed-001").read_metrics()  # a member: with its evaluations
    assert [row["step"] for row in rows if "d_slope_real" in row] == [50, 100]
    assert run_cli("plot", str(tmp_path / "s.png"), "--run", "s", *runs)[0] == 0


def test_a_dirac_run_resumes_bit_for_bit(tmp_path: Path) -> None:
    from gancurve.store.rundir import RunDir

    runs = ["--runs-dir", str(tmp_path)]
    common = ["--artist", "dirac", "--r1", "1", "--eval-every", "100", "--checkpoint-every", "100", *runs]
    assert run_cli("train", "--steps", "250", "--name", "whole", *common)[0] == 0
    assert run_cli("train", "--steps", "150", "--name", "split", *common)[0] == 0
    code, _, stderr = run_cli("train", "--steps", "250", "--name", "split", "--resume", *runs)
    assert code == 0, stderr
    whole, split = RunDir(tmp_path / "whole"), RunDir(tmp_path / "split")
    assert whole.metrics_path.read_text() == split.metrics_path.read_text()
    assert "d_slope_real" in whole.metrics_path.read_text().splitlines()[0]
    assert whole.checkpoint_path.read_bytes() != b"" and np.array_equal(
        *(np.load(run.snapshots_path)["paintings"] for run in (whole, split))
    )
    from helpers import read_checkpoint_file

    (_, first), (_, second) = (read_checkpoint_file(run.checkpoint_path) for run in (whole, split))
    assert first.keys() == second.keys() and all(np.array_equal(first[key], second[key]) for key in first)


def test_the_api_trains_a_dirac_run(tmp_path: Path) -> None:
    import gancurve as gc

    run = gc.train(artist="dirac", steps=100, eval_every=50, runs_dir=tmp_path, name="api", device="cpu")
    assert run.config.artist == "dirac" and "d_slope_real" in run.metrics.columns


@pytest.mark.slow
@pytest.mark.parametrize("changes", [{}, {"r1": 1.0, "loss": "non-saturating"}])
def test_every_engine_trains_a_dirac_member_beside_a_parabola_one(changes: dict[str, object]) -> None:
    """No engine changed for the point: the compiled and the torch batched engines, a dirac member
    beside a member of the tutorial's artist (the same family: one basis), match the reference
    trainer in float64 over 50 steps."""
    import torch

    from gancurve.core.engines.batched import BatchedEngine
    from gancurve.core.engines.batched_torch import TorchBatchedEngine
    from gancurve.core.engines.reference import Trainer
    from gancurve.core.networks import NETWORKS

    configs = [TrainConfig(seed=3, artist="dirac", **changes), TrainConfig(seed=4)]  # type: ignore[arg-type]
    references = [Trainer(config, dtype=torch.float64) for config in configs]
    for reference in references:
        reference.advance(50)
    for engine in (BatchedEngine(configs, np.float64), TorchBatchedEngine(configs, "cpu", np.float64)):
        engine.advance(50)
        for member, reference in enumerate(references):
            mine, theirs = engine.state(member), reference.state()
            for network in NETWORKS:
                for name, array in mine.weights[network].items():
                    assert np.abs(array - theirs.weights[network][name]).max() < 1e-8, (member, name)


def test_a_gpu_run_draws_the_point_through_the_same_quantile() -> None:
    """The reference trainer on a GPU maps uniform draws with the law's quantile written in torch:
    a point's is 1.5 exactly there too (here on CPU tensors)."""
    import torch

    from gancurve.core.engines.reference import _quantile_on_device

    for dtype in (torch.float32, torch.float64):
        u = torch.rand(1000, dtype=dtype, generator=torch.Generator().manual_seed(0))
        assert bool(torch.all(_quantile_on_device(LAW, u) == 1.5))
