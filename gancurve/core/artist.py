"""The artist: the family of real paintings G must learn to imitate.

The tutorial's artist draws ``y = a·x² + (a − 1)`` with ``a ~ U(1, 2)`` on an even grid
of [-1, 1]. Rewritten as ``y = a·(x² + 1) − 1`` the family is one line in curve space,
so any curve can be projected onto it exactly (least squares) — that projection is what
makes quality measurable (see :mod:`gancurve.core.metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ParabolaArtist:
    """The tutorial's parabola family on ``points`` evenly spaced x positions."""

    points: int = 15
    a_low: float = 1.0
    a_high: float = 2.0

    def grid(self, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """The x positions of a painting, shape ``(points,)``."""
        return torch.linspace(-1.0, 1.0, self.points, device=device, dtype=dtype)

    def basis(self, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """The direction ``x² + 1`` along which ``a`` moves a painting."""
        return self.grid(device, dtype) ** 2 + 1.0

    def paint(self, a: torch.Tensor) -> torch.Tensor:
        """Paintings for given parameters ``a`` of shape ``(n,)``; returns ``(n, points)``."""
        basis = self.basis(a.device, a.dtype)
        return a[:, None] * basis[None, :] - 1.0

    def sample_a(
        self, n: int, generator: torch.Generator, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """Draw ``n`` parameters ``a ~ U(a_low, a_high)`` on the generator's device."""
        u = torch.rand(n, generator=generator, device=generator.device, dtype=dtype)
        return self.a_low + (self.a_high - self.a_low) * u

    def sample(self, n: int, generator: torch.Generator, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Draw ``n`` real paintings, shape ``(n, points)``, on the generator's device."""
        return self.paint(self.sample_a(n, generator, dtype))

    def lower_bound(
        self, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """The lowest real painting, ``x²`` (``a = 1``)."""
        return self.paint(torch.tensor([self.a_low], device=device, dtype=dtype))[0]

    def upper_bound(
        self, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """The highest real painting, ``2x² + 1`` (``a = 2``)."""
        return self.paint(torch.tensor([self.a_high], device=device, dtype=dtype))[0]

    def fit(self, paintings: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Project paintings onto the family.

        Returns ``(a_hat, residual)``, each of shape ``(n,)``: the least-squares
        ``a_hat = ⟨y + 1, x² + 1⟩ / ⟨x² + 1, x² + 1⟩`` and the RMS distance of each
        painting from ``a_hat·(x² + 1) − 1``. A real painting gives its own ``a`` and 0.
        """
        basis = self.basis(paintings.device, paintings.dtype)
        a_hat = (paintings + 1.0) @ basis / (basis @ basis)
        shape_error = paintings - self.paint(a_hat)
        residual = shape_error.pow(2).mean(dim=1).sqrt()
        return a_hat, residual
