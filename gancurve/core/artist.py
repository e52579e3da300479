"""The artist: the family of real paintings G must learn to imitate, and the law of its parameter.

The tutorial's artist draws ``y = a·x² + (a − 1)`` with ``a ~ U(1, 2)`` on an even grid of
[-1, 1]. Rewritten as ``y = a·(x² + 1) − 1`` the family is one line in curve space, so any curve
can be projected onto it exactly (least squares) — that projection is what makes quality
measurable (see :mod:`gancurve.core.metrics`). An artist is such a line (a :class:`Family`: its
``basis`` and ``offset``, painting = a·basis + offset) and the law of ``a`` (:class:`ParameterLaw`), which
gives the exact W1 and KS of a sample. ``make_artist(config)`` builds a run's artist; every engine,
reader and picture takes it from there. numpy only: no reader needs torch.

Families (``--artist``):

- ``parabola`` (the default): the tutorial's, ``a ~ U(1, 2)``;
- ``parabola-modes``: the same curves with ``a`` drawn from ``--modes K`` narrow modes evenly spaced
  in [1, 2] (mode k is uniform on a width of ``MODE_WIDTH / K`` around ``1 + (k + ½)/K``, all modes
  equally likely): the testbed for mode collapse (the modes' metrics are in ``core.metrics``);
- ``bump``: Gaussian bumps ``y = a·exp(−2x²)``, ``a ~ U(1, 2)`` — another family, fitted exactly
  the same way (the worked example of docs/design.md "adding an artist");
- ``dirac``: the parabolas with ``a = 1.5`` always — one curve, a point mass (the Dirac-GAN of
  Mescheder et al. 2018, "Which training methods for GANs do actually converge?", as curves).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gancurve.core.config import ARTISTS, TrainConfig

FloatType = type[np.floating[Any]]
assert ARTISTS == ("parabola", "parabola-modes", "bump", "dirac"), "make_artist builds each of them"
#: A mode's width as a share of its cell of [1, 2] (the cells are 1/K wide): narrow, so the gaps
#: between the modes are four times as wide as the modes.
MODE_WIDTH = 0.2
#: The one ``a`` of the ``dirac`` artist: the middle of the tutorial's [1, 2].
DIRAC_A = 1.5


@dataclass(frozen=True)
class ParameterLaw:
    """A law of ``a`` that is uniform on each of a few intervals, every interval equally likely.

    One interval is ``U(low, high)``; several are narrow modes; an interval whose ends are equal is
    a point (its uniform law is the point mass: ``dirac``). Its quantile function is linear on
    each ``[k/K, (k + 1)/K]`` (constant on a point's), which makes W1 and KS to a sample exact (no
    histogram, no grid).
    """

    intervals: tuple[tuple[float, float], ...]

    @property
    def low(self) -> float:
        """The smallest value ``a`` takes."""
        return self.intervals[0][0]

    @property
    def high(self) -> float:
        """The largest value ``a`` takes."""
        return self.intervals[-1][1]

    @property
    def modes(self) -> int:
        """How many intervals (modes) it has."""
        return len(self.intervals)

    @property
    def is_point(self) -> bool:
        """Whether ``a`` takes one value only (one interval, ``low == high``: a point mass)."""
        return self.modes == 1 and self.low == self.high

    @property
    def has_atoms(self) -> bool:
        """Whether some value of ``a`` has a probability of its own (an interval that is a point):
        then the CDF jumps, and there is no density to speak of there."""
        return any(low == high for low, high in self.intervals)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """``Q(u)`` for ``u`` in [0, 1), in ``u``'s dtype (one uniform draw gives one ``a``)."""
        dtype = u.dtype.type
        count = dtype(self.modes)
        scaled = u * count
        k = np.minimum(np.floor(scaled), count - dtype(1.0))
        lows = np.array([low for low, _ in self.intervals], dtype=dtype)
        widths = np.array([high - low for low, high in self.intervals], dtype=dtype)
        index = k.astype(np.intp)
        a: np.ndarray = lows[index] + widths[index] * (scaled - k)
        return a

    def cdf(self, a: np.ndarray) -> np.ndarray:
        """``F(a) = P(A ≤ a)`` (float64); a point's part is a step, 1 from the point on."""
        return self._cdf(a, left=False)

    def _cdf(self, a: np.ndarray, left: bool) -> np.ndarray:
        """``F(a)``, or with ``left`` its left limit ``P(A < a)`` (they differ only at a point)."""
        a = np.asarray(a, dtype=np.float64)
        total = np.zeros_like(a)
        for low, high in self.intervals:
            if low == high:
                total += (a > low) if left else (a >= low)
            else:
                total += np.clip((a - low) / (high - low), 0.0, 1.0)
        result: np.ndarray = total / self.modes
        return result

    def density_outline(self, spike_width: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
        """``(a, density)`` points that draw the density as a step line, for the pictures. A point
        has no density: it is drawn as a spike, its mass as one bar ``spike_width`` wide (what a
        histogram with bins that wide shows of it)."""
        xs, ys = [self.low - 0.5], [0.0]
        for low, high in self.intervals:
            if low == high:
                low, high = low - spike_width / 2, high + spike_width / 2
            height = 1.0 / (self.modes * (high - low))
            xs += [low, low, high, high]
            ys += [0.0, height, height, 0.0]
        xs.append(self.high + 0.5)
        ys.append(0.0)
        return np.array(xs), np.array(ys)

    @property
    def std(self) -> float:
        """The standard deviation of ``a`` (what ``spread`` should be)."""
        means = [(low + high) / 2 for low, high in self.intervals]
        variances = [(high - low) ** 2 / 12 for low, high in self.intervals]
        mean = sum(means) / self.modes
        second = sum(v + m * m for v, m in zip(variances, means, strict=True)) / self.modes
        return math.sqrt(max(second - mean * mean, 0.0))

    def w1(self, sample: np.ndarray) -> float:
        """Exact 1-Wasserstein distance between a sample's empirical law and this law.

        W1 is ``∫₀¹ |Q_n(u) − Q(u)| du`` with the sample's step quantile function ``Q_n``. The
        steps ``((i−1)/n, i/n]`` are split where ``Q`` changes interval (at ``k/K``); on each
        piece the integrand is a linear function's absolute value, integrated in closed form.
        """
        s = np.sort(np.asarray(sample, dtype=np.float64))
        n = s.size
        if n == 0:
            raise ValueError("W1 needs at least one sample")
        knots = np.union1d(np.arange(n + 1) / n, np.arange(self.modes + 1) / self.modes)
        u0, u1 = knots[:-1], knots[1:]
        middle = (u0 + u1) / 2
        value = s[np.minimum((middle * n).astype(np.intp), n - 1)]  # the step Q_n on this piece
        k = np.minimum((middle * self.modes).astype(np.intp), self.modes - 1)
        lows = np.array([low for low, _ in self.intervals])[k]
        widths = np.array([high - low for low, high in self.intervals])[k]
        g0 = value - (lows + widths * (u0 * self.modes - k))  # the signed gap at both ends
        g1 = value - (lows + widths * (u1 * self.modes - k))
        length = u1 - u0
        same_sign = g0 * g1 >= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            # No crossing: |mean gap| × length. Crossing: two triangles, (g0² + g1²)/(2|g0 − g1|) × length.
            cross = (g0**2 + g1**2) / (2 * np.abs(g0 - g1)) * length
        pieces = np.where(same_sign, np.abs(g0 + g1) / 2 * length, cross)
        return float(pieces.sum())

    def ks(self, sample: np.ndarray) -> float:
        """Kolmogorov–Smirnov statistic ``sup |F_n − F|``. Where F is continuous it is checked at
        the sample; a law with a point (``dirac``) has F jump there, so both sides of every sample
        and of every point are checked (for the point mass alone: the larger of the shares of the
        sample below and above it)."""
        s = np.sort(np.asarray(sample, dtype=np.float64))
        n = s.size
        if n == 0:
            raise ValueError("KS needs at least one sample")
        if self.has_atoms:
            return self._ks_with_atoms(s)
        cdf = self.cdf(s)
        above = np.arange(1, n + 1) / n - cdf
        below = cdf - np.arange(n) / n
        return float(max(above.max(), below.max()))

    def _ks_with_atoms(self, s: np.ndarray) -> float:
        """``sup |F_n − F|`` when F jumps: both step functions are constant between the sample's
        values and the points, so the supremum is at one of them, or just left of it."""
        points = np.array([low for low, high in self.intervals if low == high])
        at = np.union1d(s, points)
        right = np.abs(np.searchsorted(s, at, side="right") / s.size - self._cdf(at, left=False))
        left = np.abs(np.searchsorted(s, at, side="left") / s.size - self._cdf(at, left=True))
        return float(max(right.max(), left.max()))


def uniform_law(low: float, high: float) -> ParameterLaw:
    """``U(low, high)``."""
    return ParameterLaw(((low, high),))


def point_law(a: float) -> ParameterLaw:
    """The point mass at ``a`` (every draw is ``a``, exactly: its quantile is constant)."""
    return ParameterLaw(((a, a),))


def modes_law(modes: int, low: float = 1.0, high: float = 2.0, width: float = MODE_WIDTH) -> ParameterLaw:
    """``modes`` equally likely narrow modes evenly spaced in [low, high] (see the module's docstring)."""
    cell = (high - low) / modes
    centres = [low + (k + 0.5) * cell for k in range(modes)]
    half = width * cell / 2
    return ParameterLaw(tuple((centre - half, centre + half) for centre in centres))


@dataclass(frozen=True)
class Family:
    """A one-parameter family of curves, linear in its parameter: painting = a·basis(x) + offset(x)."""

    basis: Callable[[np.ndarray], np.ndarray]  # x → the direction a moves a painting along
    offset: float  # the painting of a = 0 (a constant)
    formula: str  # the painting, for people: "a·(x²+1) − 1"
    lower_label: str  # the lowest real painting, for the legends
    upper_label: str  # the highest one
    y_limits: tuple[float, float]  # the canvas of the pictures: fixed, so motion between frames is real


FAMILIES = {
    # The tutorial's y = a·x² + (a − 1), written as a line in curve space.
    "parabola": Family(lambda x: x * x + x.dtype.type(1.0), -1.0, "a·(x²+1) − 1", "lower bound x²",
                       "upper bound 2x²+1", (0.0, 3.0)),
    # A Gaussian bump of height a: the worked example of docs/design.md "adding an artist".
    "bump": Family(lambda x: np.exp(x.dtype.type(-2.0) * x * x), 0.0, "a·exp(−2x²)", "lower bound exp(−2x²)",
                   "upper bound 2·exp(−2x²)", (0.0, 2.2)),
}  # fmt: skip


@dataclass(frozen=True)
class Artist:
    """Paintings ``a·basis + offset`` of a family on ``points`` evenly spaced x in [-1, 1], ``a``
    from ``law``; ``name`` is the ``--artist`` that made it."""

    points: int = 15
    law: ParameterLaw = field(default_factory=lambda: uniform_law(1.0, 2.0))
    name: str = "parabola"

    @property
    def family(self) -> Family:
        """The family of curves (``parabola-modes`` paints parabolas)."""
        return FAMILIES["bump" if self.name == "bump" else "parabola"]

    @property
    def a_low(self) -> float:
        """The smallest ``a`` the artist draws."""
        return self.law.low

    @property
    def a_high(self) -> float:
        """The largest ``a`` the artist draws."""
        return self.law.high

    def grid(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The x positions of a painting, shape ``(points,)`` (a copy: the caller may change it)."""
        grid: np.ndarray = _grid_and_basis(self.points, self.family, np.dtype(dtype).str)[0].copy()
        return grid

    def basis(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The direction along which ``a`` moves a painting (``x² + 1`` for the parabolas; a copy)."""
        basis: np.ndarray = _grid_and_basis(self.points, self.family, np.dtype(dtype).str)[1].copy()
        return basis

    def offset(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The painting of ``a = 0`` (``−1`` at every point for the parabolas)."""
        return np.full(self.points, self.family.offset, dtype=dtype)

    def paint(self, a: np.ndarray) -> np.ndarray:
        """Paintings for given parameters ``a`` of shape ``(n,)``; returns ``(n, points)``."""
        dtype = a.dtype.type
        paintings: np.ndarray = a[:, None] * self.basis(dtype)[None, :] + self.offset(dtype)[None, :]
        return paintings

    def sample_a(self, n: int, rng: np.random.Generator, dtype: FloatType = np.float32) -> np.ndarray:
        """Draw ``n`` parameters from the law: one uniform draw each, through its quantile."""
        return self.law.quantile(rng.random(n, dtype=dtype))

    def sample(self, n: int, rng: np.random.Generator, dtype: FloatType = np.float32) -> np.ndarray:
        """Draw ``n`` real paintings, shape ``(n, points)``."""
        return self.paint(self.sample_a(n, rng, dtype))

    def lower_bound(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The lowest real painting at each point (``x²`` for the parabolas: ``a = 1``)."""
        ends = self.paint(np.array([self.a_low, self.a_high], dtype=dtype))
        bound: np.ndarray = ends.min(axis=0)
        return bound

    def upper_bound(self, dtype: FloatType = np.float32) -> np.ndarray:
        """The highest real painting at each point (``2x² + 1`` for the parabolas: ``a = 2``)."""
        ends = self.paint(np.array([self.a_low, self.a_high], dtype=dtype))
        bound: np.ndarray = ends.max(axis=0)
        return bound

    def fitted_a(self, paintings: np.ndarray) -> np.ndarray:
        """The least-squares ``a`` of each painting, ``⟨y − offset, basis⟩ / ⟨basis, basis⟩`` (float64)."""
        basis = self.basis(np.float64)
        a_hat: np.ndarray = (
            (np.asarray(paintings, dtype=np.float64) - self.family.offset) @ basis / (basis @ basis)
        )
        return a_hat

    def fit(self, paintings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project paintings onto the family, in float64.

        Returns ``(a_hat, residual)``, each of shape ``(n,)``: the least-squares
        ``a_hat = ⟨y − offset, basis⟩ / ⟨basis, basis⟩`` and the RMS distance of each painting
        from ``a_hat·basis + offset``. A real painting gives its own ``a`` and 0.
        """
        y = np.asarray(paintings, dtype=np.float64)
        a_hat = self.fitted_a(y)
        shape_error = y - self.paint(a_hat)
        residual = np.sqrt(np.mean(shape_error * shape_error, axis=1))
        return a_hat, residual


@functools.lru_cache(maxsize=16)
def _grid_and_basis(points: int, family: Family, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """A family's x positions and basis, made once per size and dtype (every painting, fit and
    critic frame asks for them; ``linspace`` alone cost ~10 µs a call)."""
    grid = np.linspace(-1.0, 1.0, points).astype(dtype)
    return grid, family.basis(grid)


def make_artist(config: TrainConfig) -> Artist:
    """The artist a run trains against (``config.artist``, ``config.modes``)."""
    if config.artist == "parabola-modes":
        return Artist(config.points, modes_law(config.modes), "parabola-modes")
    if config.artist == "dirac":
        return Artist(config.points, point_law(DIRAC_A), "dirac")
    return Artist(config.points, uniform_law(1.0, 2.0), config.artist)


def example_a(law: ParameterLaw) -> tuple[float, ...]:
    """The real paintings drawn faintly behind G's: the middle of a wide law, or every mode's centre."""
    if law.modes == 1:
        return tuple(law.low + share * (law.high - law.low) for share in (0.25, 0.5, 0.75))
    return tuple((low + high) / 2 for low, high in law.intervals)
