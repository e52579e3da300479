"""The artist: the real paintings the generator must learn (numpy only)."""

from __future__ import annotations

import numpy as np

from gancurve.core.artist import Artist


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
