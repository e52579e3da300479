"""The artist: the real paintings the generator must learn (numpy only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gancurve.core.artist import Artist, make_artist


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_sample_shape_and_grid() -> None:
    artist = Artist(points=15)
    paintings = artist.sample(64, rng(0))
    assert paintings.shape == (64, 15) and paintings.dtype == np.float32
    assert np.array_equal(artist.grid(np.float64), np.linspace(-1, 1, 15))


def test_every_real_painting_lies_between_the_bounds() -> None:
    artist = Artist()
    paintings = artist.sample(10_000, rng(1), dtype=np.float64)
    assert (paintings >= artist.lower_bound(np.float64) - 1e-12).all()
    assert (paintings <= artist.upper_bound(np.float64) + 1e-12).all()


def test_bounds_are_the_tutorials() -> None:
    artist = Artist()
    x = artist.grid(np.float64)
    assert np.allclose(artist.lower_bound(np.float64), x**2)
    assert np.allclose(artist.upper_bound(np.float64), 2 * x**2 + 1)


def test_paintings_follow_the_tutorial_formula() -> None:
    artist = Artist()
    a = np.array([1.0, 1.25, 2.0])
    x = artist.grid(np.float64)
    expected = a[:, None] * x[None, :] ** 2 + (a[:, None] - 1)
    assert np.allclose(artist.paint(a), expected)


def test_fit_recovers_a_exactly_from_real_paintings() -> None:
    artist = Artist()
    a = artist.sample_a(500, rng(3), dtype=np.float64)
    a_hat, residual = artist.fit(artist.paint(a))
    assert np.allclose(a_hat, a, atol=1e-12)
    assert residual.max() < 1e-12
    assert np.array_equal(artist.fitted_a(artist.paint(a)), a_hat)  # the fit without its residual


def test_the_grid_and_basis_are_the_callers_own() -> None:
    """They come from a cache: changing an array one call returned changes no later one."""
    artist = Artist()
    artist.grid(np.float64)[:] = 0.0
    artist.basis(np.float32)[:] = 0.0
    assert np.array_equal(artist.grid(np.float64), np.linspace(-1, 1, 15))
    assert np.array_equal(artist.basis(np.float32), np.linspace(-1, 1, 15).astype(np.float32) ** 2 + 1)
    assert artist.basis(np.float32).dtype == np.float32 and artist.basis(np.float64).dtype == np.float64


def test_fit_sees_paintings_off_the_family() -> None:
    artist = Artist()
    a = np.full(10, 1.5)
    wiggle = 0.3 * np.sin(6 * artist.grid(np.float64))  # orthogonal-ish to x²+1
    _, residual = artist.fit(artist.paint(a) + wiggle)
    assert (residual > 0.1).all()


def test_sampling_is_reproducible_and_seed_dependent() -> None:
    artist = Artist()
    first, again, other = artist.sample(8, rng(5)), artist.sample(8, rng(5)), artist.sample(8, rng(6))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_the_bump_family_paints_fits_and_bounds_its_own_curves() -> None:
    """The second family: y = a·exp(−2x²), fitted exactly the same way (least squares on its basis)."""
    from gancurve.core.artist import make_artist
    from gancurve.core.config import TrainConfig

    artist = make_artist(TrainConfig(artist="bump"))
    x = artist.grid(np.float64)
    a = artist.sample_a(2000, rng(7), np.float64)
    paintings = artist.paint(a)
    assert np.allclose(paintings, a[:, None] * np.exp(-2 * x * x)[None, :], rtol=0, atol=1e-15)
    a_hat, residual = artist.fit(paintings)
    assert np.allclose(a_hat, a, atol=1e-12) and residual.max() < 1e-12
    assert np.allclose(artist.lower_bound(np.float64), np.exp(-2 * x * x))
    assert np.allclose(artist.upper_bound(np.float64), 2 * np.exp(-2 * x * x))
    assert (paintings >= artist.lower_bound(np.float64) - 1e-12).all()
    assert (paintings <= artist.upper_bound(np.float64) + 1e-12).all()


def test_the_tutorials_artist_paints_bit_for_bit_as_before() -> None:
    """a·basis + offset with offset −1 is a·(x² + 1) − 1 to the last bit (float32 and float64)."""
    artist = Artist()
    for dtype in (np.float32, np.float64):
        a = artist.sample_a(500, rng(8), dtype)
        assert np.array_equal(artist.paint(a), a[:, None] * artist.basis(dtype)[None, :] - dtype(1.0))


def test_the_dirac_artist_paints_one_curve_and_scores_a_point() -> None:
    """--artist dirac: every real painting is the parabola of a = 1.5; W1 to it is the mean |â − 1.5|,
    KS the larger share on one side of it; the band is its curve ± 0.05 in a."""
    from gancurve.core.config import TrainConfig
    from gancurve.core.metrics import quality, verdict

    artist = make_artist(TrainConfig(artist="dirac"))
    real = artist.sample(1_000, rng(3))
    a_hat, residual = artist.fit(real)
    assert np.allclose(a_hat, 1.5, atol=1e-6) and residual.max() < 1e-6
    x = artist.grid(np.float64)
    assert np.allclose(artist.lower_bound(np.float64), 1.45 * (x**2 + 1) - 1)
    assert np.allclose(artist.upper_bound(np.float64), 1.55 * (x**2 + 1) - 1)
    perfect = quality(real, artist)
    assert perfect.w1 < 1e-6 and perfect.ks == 0.0 and perfect.in_bounds == 1.0 and perfect.coverage == 1.0
    assert perfect.point_distance is not None and perfect.point_distance < 1e-6
    assert verdict(perfect, 0.5, law=artist.law).label == "converged"  # one curve is the goal here
    off = artist.paint(np.array([1.4, 1.7, 1.7, 1.7]))
    scored = quality(off, artist)
    assert scored.w1 == pytest.approx((0.1 + 0.2 * 3) / 4, abs=1e-6)
    assert scored.point_distance == pytest.approx(scored.w1, abs=1e-9)
    assert scored.point_offset == pytest.approx((-0.1 + 0.6) / 4, abs=1e-6)  # signed
    assert scored.ks == 0.75 and scored.in_bounds < 0.5 and scored.coverage == 0.0
    assert verdict(scored, 0.5, law=artist.law).label == "still learning"  # far from the point, not diverged
    assert "point_offset" not in quality(Artist().sample(100, rng(4))).to_dict()  # only for a point
    with pytest.raises(ValueError, match="dirac"):
        TrainConfig(artist="dirac", condition="label")


def test_d_slope_at_the_real_painting_is_the_gradient_norm() -> None:
    """‖∇ₓ l‖ at the real painting, against finite differences of D's logit (D is piecewise linear)."""
    from gancurve.core.config import TrainConfig
    from gancurve.core.critic import d_slope_at
    from gancurve.core.networks import initial_weights, logits

    config = TrainConfig(artist="dirac", seed=4)
    artist, discriminator = make_artist(config), initial_weights(config)["discriminator"]
    weights = {name: value.astype(np.float64) for name, value in discriminator.items()}
    x = artist.paint(np.array([1.5]))
    steps = np.eye(config.points) * 1e-7
    slope = (logits(weights, x + steps) - logits(weights, x)).ravel() / 1e-7
    assert d_slope_at(discriminator, artist, 1.5) == pytest.approx(float(np.linalg.norm(slope)), rel=1e-4)


def test_a_dirac_run_logs_where_g_sits_and_how_steep_d_is(tmp_path: Path) -> None:
    """metrics.csv of a dirac run: at every evaluation G's fitted a against the point (signed and
    as a distance) and ‖∇ₓ D‖ at the real painting — the two axes of Mescheder et al.'s phase portrait."""
    import csv

    from helpers import run_cli

    code, _, stderr = run_cli("train", "--artist", "dirac", "--steps", "200", "--eval-every", "50",
                              "--log-every", "50", "--runs-dir", str(tmp_path), "--name", "d")  # fmt: skip
    assert code == 0, stderr
    rows = list(csv.DictReader((tmp_path / "d" / "metrics.csv").open()))
    evaluated = [row for row in rows if row["w1"]]
    assert len(evaluated) == 4
    for row in evaluated:
        assert float(row["point_distance"]) == pytest.approx(float(row["w1"]), abs=1e-9)
        assert abs(float(row["point_offset"])) <= float(row["point_distance"]) + 1e-12
        assert float(row["d_slope"]) > 0
    assert len({row["d_slope"] for row in evaluated}) == 4  # it moves as D learns
    assert run_cli("plot", "--run", str(tmp_path / "d"))[0] == 0
    assert run_cli("evaluate", "--run", str(tmp_path / "d"))[0] == 0
