"""The artist: the family of real paintings G must learn to imitate.

The tutorial's artist draws ``y = a·x² + (a − 1)`` with ``a ~ U(1, 2)`` on an even grid
of [-1, 1]. Rewritten as ``y = a·(x² + 1) − 1`` the family is one line in curve space,
so any curve can be projected onto it exactly (least squares) — that projection is what
makes quality measurable (see :mod:`gancurve.core.metrics`). numpy only: every command that
reads a run uses it, and none of them needs torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

FloatType = type[np.floating[Any]]


@dataclass(frozen=True)
class ParabolaArtist:
    """The tutorial's parabola family on ``points`` evenly spaced x positions."""

    points: int = 15
    a_low: float = 1.0
    a_high: float = 2.0

    def grid(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The x positions of a painting, shape ``(points,)``."""
        grid: np.ndarray = np.linspace(-1.0, 1.0, self.points).astype(dtype)
        return grid

    def basis(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The direction ``x² + 1`` along which ``a`` moves a painting."""
        x = self.grid(dtype)
        basis: np.ndarray = x * x + dtype(1.0)
        return basis

    def paint(self, a: np.ndarray) -> np.ndarray:
        """Paintings for given parameters ``a`` of shape ``(n,)``; returns ``(n, points)``."""
        basis = self.basis(a.dtype.type)
        paintings: np.ndarray = a[:, None] * basis[None, :] - a.dtype.type(1.0)
        return paintings

    def sample_a(self, n: int, rng: np.random.Generator, dtype: FloatType = np.float32) -> np.ndarray:
        """Draw ``n`` parameters ``a ~ U(a_low, a_high)``."""
        u = rng.random(n, dtype=dtype)
        a: np.ndarray = dtype(self.a_low) + dtype(self.a_high - self.a_low) * u
        return a

    def sample(self, n: int, rng: np.random.Generator, dtype: FloatType = np.float32) -> np.ndarray:
        """Draw ``n`` real paintings, shape ``(n, points)``."""
        return self.paint(self.sample_a(n, rng, dtype))

    def lower_bound(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The lowest real painting, ``x²`` (``a = 1``)."""
        bound: np.ndarray = self.paint(np.array([self.a_low], dtype=dtype))[0]
        return bound

    def upper_bound(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The highest real painting, ``2x² + 1`` (``a = 2``)."""
        bound: np.ndarray = self.paint(np.array([self.a_high], dtype=dtype))[0]
        return bound

    def fit(self, paintings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project paintings onto the family, in float64.

        Returns ``(a_hat, residual)``, each of shape ``(n,)``: the least-squares
        ``a_hat = ⟨y + 1, x² + 1⟩ / ⟨x² + 1, x² + 1⟩`` and the RMS distance of each
        painting from ``a_hat·(x² + 1) − 1``. A real painting gives its own ``a`` and 0.
        """
        y = np.asarray(paintings, dtype=np.float64)
        basis = self.basis(np.float64)
        a_hat = (y + 1.0) @ basis / (basis @ basis)
        shape_error = y - self.paint(a_hat)
        residual = np.sqrt(np.mean(shape_error * shape_error, axis=1))
        return a_hat, residual
