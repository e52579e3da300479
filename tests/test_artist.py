"""The artist: the real paintings the generator must learn."""

from __future__ import annotations

import torch

from gancurve.core.artist import ParabolaArtist


def test_sample_shape_and_grid() -> None:
    artist = ParabolaArtist(points=15)
    paintings = artist.sample(64, torch.Generator().manual_seed(0))
    assert paintings.shape == (64, 15)
    assert torch.equal(artist.grid(), torch.linspace(-1, 1, 15))


def test_every_real_painting_lies_between_the_bounds() -> None:
    artist = ParabolaArtist()
    paintings = artist.sample(10_000, torch.Generator().manual_seed(1), dtype=torch.float64)
    assert (paintings >= artist.lower_bound(dtype=torch.float64) - 1e-12).all()
    assert (paintings <= artist.upper_bound(dtype=torch.float64) + 1e-12).all()


def test_bounds_are_the_tutorials() -> None:
    artist = ParabolaArtist()
    x = artist.grid(dtype=torch.float64)
    assert torch.allclose(artist.lower_bound(dtype=torch.float64), x**2)
    assert torch.allclose(artist.upper_bound(dtype=torch.float64), 2 * x**2 + 1)


def test_paintings_follow_the_tutorial_formula() -> None:
    artist = ParabolaArtist()
    a = torch.tensor([1.0, 1.25, 2.0], dtype=torch.float64)
    x = artist.grid(dtype=torch.float64)
    expected = a[:, None] * x[None, :] ** 2 + (a[:, None] - 1)
    assert torch.allclose(artist.paint(a), expected)


def test_fit_recovers_a_exactly_from_real_paintings() -> None:
    artist = ParabolaArtist()
    rng = torch.Generator().manual_seed(3)
    a = artist.sample_a(500, rng, dtype=torch.float64)
    a_hat, residual = artist.fit(artist.paint(a))
    assert torch.allclose(a_hat, a, atol=1e-12)
    assert residual.max() < 1e-12


def test_fit_sees_paintings_off_the_family() -> None:
    artist = ParabolaArtist()
    a = torch.full((10,), 1.5, dtype=torch.float64)
    wiggle = 0.3 * torch.sin(6 * artist.grid(dtype=torch.float64))  # orthogonal-ish to x²+1
    _, residual = artist.fit(artist.paint(a) + wiggle)
    assert (residual > 0.1).all()


def test_sampling_is_reproducible_and_seed_dependent() -> None:
    artist = ParabolaArtist()
    first = artist.sample(8, torch.Generator().manual_seed(5))
    again = artist.sample(8, torch.Generator().manual_seed(5))
    other = artist.sample(8, torch.Generator().manual_seed(6))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
