"""The parabola-modes artist: its law (exact W1/KS against scipy), the mode-collapse metrics on
constructed generators, the verdict, and the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli
from scipy import stats

from gancurve.core.artist import Artist, modes_law, uniform_law
from gancurve.core.config import TrainConfig
from gancurve.core.metrics import mode_quality, quality, verdict

LAW = modes_law(4)
ARTIST = Artist(15, LAW, "parabola-modes")


def a_from(law_values: np.ndarray) -> np.ndarray:
    return ARTIST.paint(np.asarray(law_values, dtype=np.float64))


def test_the_modes_are_narrow_evenly_spaced_and_equally_likely() -> None:
    centres = [(low + high) / 2 for low, high in LAW.intervals]
    assert centres == pytest.approx([1.125, 1.375, 1.625, 1.875])
    assert all(high - low == pytest.approx(0.05) for low, high in LAW.intervals)
    a = LAW.quantile(np.random.default_rng(0).random(40_000))
    counts = np.array([np.sum((a >= low) & (a <= high)) for low, high in LAW.intervals])
    assert counts.sum() == 40_000 and np.all(np.abs(counts - 10_000) < 400)  # each mode 1/4 (±4σ)


def test_one_interval_draws_exactly_what_the_tutorials_artist_drew() -> None:
    """Same bits as 0.1.0's formula, so every existing run and checkpoint is unchanged."""
    u = np.random.default_rng(3).random(1000, dtype=np.float32)
    assert np.array_equal(uniform_law(1.0, 2.0).quantile(u), np.float32(1.0) + np.float32(1.0) * u)


@pytest.mark.parametrize("seed", [0, 1])
def test_w1_and_ks_of_a_modes_law_agree_with_scipy(seed: int) -> None:
    sample = np.random.default_rng(seed).beta(2, 3, size=3000) + 1.0  # not the law on purpose
    grid = LAW.quantile((np.arange(400_000) + 0.5) / 400_000)  # the law's quantiles, finely
    assert LAW.w1(sample) == pytest.approx(stats.wasserstein_distance(sample, grid), abs=2e-5)
    assert LAW.ks(sample) == pytest.approx(stats.kstest(sample, LAW.cdf).statistic, abs=1e-12)
    on_law = LAW.quantile(np.random.default_rng(seed).random(3000))
    assert LAW.w1(on_law) < 0.01 and LAW.w1(on_law) == pytest.approx(
        stats.wasserstein_distance(on_law, grid), abs=2e-5
    )


def test_the_modes_artists_paintings_fit_back_and_lie_in_the_band() -> None:
    paintings = ARTIST.sample(5000, np.random.default_rng(2), dtype=np.float64)
    a_hat, residual = ARTIST.fit(paintings)
    assert residual.max() < 1e-12 and np.all((a_hat >= 1.1 - 1e-12) & (a_hat <= 1.9 + 1e-12))
    assert (paintings >= ARTIST.lower_bound(np.float64) - 1e-12).all()
    assert (paintings <= ARTIST.upper_bound(np.float64) + 1e-12).all()


def test_all_modes_one_mode_and_dropped_modes() -> None:
    rng = np.random.default_rng(4)
    every = LAW.quantile(rng.random(10_000))
    assert mode_quality(every, LAW) == pytest.approx(
        {"modes_captured": 4, "high_quality": 1.0, "mode_kl": 0.0}, abs=2e-3
    )
    one = rng.uniform(1.61, 1.64, 10_000)  # all on the third mode
    assert mode_quality(one, LAW) == pytest.approx(
        {"modes_captured": 1, "high_quality": 1.0, "mode_kl": math.log(4)}
    )
    three = every[(every < 1.8)]  # the fourth mode dropped
    assert mode_quality(three, LAW)["modes_captured"] == 3
    between = rng.uniform(1.2, 1.3, 10_000)  # between two modes: no painting is on one
    assert (
        mode_quality(between, LAW)["high_quality"] == 0.0
        and mode_quality(between, LAW)["modes_captured"] == 0
    )
    grazed = np.concatenate([every[every < 1.8], rng.uniform(1.86, 1.89, 200)])  # 200 < 10,000/16
    assert mode_quality(grazed, LAW)["modes_captured"] == 3


def test_the_verdict_says_dropped_modes_before_converged() -> None:
    rng = np.random.default_rng(5)
    every = LAW.quantile(rng.random(8_000))
    kept = quality(a_from(every), ARTIST)
    assert verdict(kept, 0.5, law=LAW).label == "converged"
    dropped = quality(a_from(every[every < 1.8]), ARTIST)
    result = verdict(dropped, 0.5, law=LAW)
    assert result.label == "dropped modes" and "3 of the artist's 4 modes" in result.reason
    assert "modes_captured" not in quality(a_from(rng.uniform(1, 2, 500))).to_dict()  # the tutorial's artist


def test_a_run_of_the_modes_artist_from_the_command_line(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    code, _, stderr = run_cli("train", "--artist", "parabola-modes", "--modes", "3", "--steps", "300",
                              "--eval-every", "100", "--name", "m", *runs)  # fmt: skip
    assert code == 0, stderr
    config = json.loads((tmp_path / "m" / "config.json").read_text())["config"]
    assert (config["artist"], config["modes"]) == ("parabola-modes", 3)
    assert TrainConfig.from_dict(config).artist == "parabola-modes"
    code, stdout, stderr = run_cli("evaluate", "--run", "m", "--json", "-n", "2000", *runs)
    result = json.loads(stdout)
    assert code == 0 and result["ideal"]["modes_captured"] == 3.0
    assert 0 <= result["generator"]["modes_captured"] <= 3 and result["artist"]["modes_captured"] == 3.0
    assert "modes_captured" in (tmp_path / "m" / "metrics.csv").read_text().splitlines()[0]
    code, _, stderr = run_cli("train", "--modes", "3", *runs)
    assert code == 2 and "--artist parabola-modes" in stderr and stderr.count("\n") == 1


def test_a_gpu_run_draws_through_the_same_quantile() -> None:
    """The reference trainer on a GPU draws ``u`` on the device and maps it with the law's
    quantile written in torch: the same numbers as numpy's, here on CPU tensors."""
    import torch

    from gancurve.core.engines.reference import _quantile_on_device

    u = np.random.default_rng(6).random(5000)
    on_device = _quantile_on_device(LAW, torch.from_numpy(u)).numpy()
    assert np.allclose(on_device, LAW.quantile(u), atol=1e-15, rtol=0)


def test_a_sweep_of_the_modes_artist_summarises_the_modes(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    code, stdout, stderr = run_cli("sweep", "--seeds", "2", "--steps", "100", "--eval-every", "100",
                                   "--artist", "parabola-modes", "--name", "s", "--json", *runs)  # fmt: skip
    assert code == 0, stderr
    aggregate = json.loads(stdout)["aggregate"]
    assert 0 <= aggregate["modes_captured_mean"] <= 4 and "high_quality_mean" in aggregate
    header = (tmp_path / "s" / "summary.csv").read_text().splitlines()[0].split(",")
    assert header[-4:] == ["modes_captured", "high_quality", "mode_kl", "reason"]
    code, stdout, _ = run_cli("sweep", "--seeds", "2", "--steps", "100", "--name", "p", "--json", *runs)
    assert "modes_captured_mean" not in json.loads(stdout)["aggregate"]
    assert "modes_captured" not in (tmp_path / "p" / "summary.csv").read_text().splitlines()[0]
