"""D's view along the artist's family, next to the optimal D for the current G (numpy).

The target distribution is known exactly, so what D *should* believe can be computed: for the
sigmoid objectives (and least squares, whose optimal D has the same form), the optimal
discriminator for a fixed G is ``D*(x) = p_data(x) / (p_data(x) + p_G(x))`` (Goodfellow et al.
2014; Mao et al. 2017). On the family's line a painting is its ``a``, so ``D*(a)`` uses the artist's
exact density of ``a`` and a density estimate of G's fitted ``a``: a Gaussian kernel density
estimate with Silverman's bandwidth ``0.9·min(σ, IQR/1.34)·n^(−1/5)`` (smooth, no bins to choose;
it blurs sharp edges of G's density by about one bandwidth, ~0.05 for 2,000 paintings of a
converged G — so D* leans towards 1 just inside the artist's edges, where G is still thin).

``gap`` is how far D is from D*: the mean of ``|D(a) − D*(a)|`` over the paintings that matter,
the mixture ``(p_data + p_G)/2`` of a. ``push`` is the direction G's loss moves a painting along
the family: ``−d/da g(l(a))`` for G's loss term ``g`` and D's logit ``l`` (through ``∇ₓl · basis``),
so a learner sees why G's paintings move where they move.

A conditional D (``--condition``) is drawn along the family with each painting's own condition
(its label, or its ``a``): what D believes of the pair the artist would paint. With a label the
optimal D is the same formula given the label, ``D*(a, ℓ) = p_data(a | ℓ) / (p_data(a | ℓ) +
p_G(a | ℓ))``, taken at each painting's own label ``ℓ(a)``: ``p_data(a | ℓ)`` is twice the artist's
density on its half (the label splits the law at its median), ``p_G(a | ℓ)`` the kernel estimate of
the fitted ``a`` of G's paintings asked for ``ℓ``. A requested ``a`` has no such picture (the
artist's pairs lie on the line ``c = a``, a density with no width), so there is no D* for it, nor a
``d_star_gap``. Nor for a law with a point (``dirac``): ``D* = p_data / (p_data + p_G)`` is 1 at
the point and 0 beside it, a spike no finite D reaches. On a grid the point's density is its whole
mass in the one cell nearest to it (``1 / spacing``: what the grid can show of it).

D's slope at the real painting, ``‖∇ₓ l(x*)‖`` at ``x*`` the painting of the law's median (the
Dirac-GAN's one real painting; what R1 penalises), and along the family, ``dl/da`` there (signed:
the Dirac-GAN's ψ), come from D's weights exactly: D is piecewise linear (:func:`real_slopes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gancurve.core.artist import Artist
from gancurve.core.condition import Condition
from gancurve.core.networks import Weights, logits
from gancurve.core.numeric import sigmoid

#: The a values D is drawn along: the family's line well beyond the artist's [1, 2].
A_GRID = np.linspace(0.5, 2.5, 401)
#: The coarser grid of the critic frames a training run records with each snapshot (what ``animate``
#: draws under the curves), and how many of G's paintings its density estimate takes: enough for a
#: picture (the bandwidth is ~0.09 in a), cheap enough to take every snapshot (~0.3 ms).
FRAME_A = np.linspace(0.5, 2.5, 81)
FRAME_PAINTINGS = 256
#: The rows of a critic frame: D, the optimal D (NaN where there is none), G's push.
FRAME_ROWS = ("d", "d_star", "push")
#: The objectives whose optimal D is p_data / (p_data + p_G) (as a probability, or for least
#: squares as D's raw output with targets 1 and 0).
HAS_OPTIMAL_D = ("minimax", "non-saturating", "least-squares")


@dataclass(frozen=True)
class CriticView:
    """D along the family (``a``), the optimal D for the current G, and G's push."""

    a: np.ndarray
    d: np.ndarray  # D's probability (sigmoid objectives), else D's raw output
    d_star: np.ndarray | None  # the optimal D (None where the objective has no such closed form)
    p_data: np.ndarray  # the artist's density of a
    p_g: np.ndarray  # the density estimate of G's fitted a
    push: np.ndarray  # −d/da of G's loss term: where G's paintings are pushed
    gap: float | None  # mean |D − D*| under (p_data + p_G)/2
    condition: str = "none"  # a conditional D: each painting was shown with its own label or a
    point: float | None = None  # the artist's one a, when its law is a point (p_data is a spike)


def kde(sample: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A Gaussian kernel density estimate of ``sample`` on the evenly spaced grid ``at``
    (Silverman's bandwidth). The sample is binned on the grid first and the bins are smoothed
    with the kernel: far cheaper than a kernel per sample, and within about (spacing/bandwidth)²
    of it (~1% for 2,000 paintings on a 0.005 grid)."""
    everything = np.asarray(sample, dtype=np.float64)
    # A G that blew up paints a = ±inf or NaN: those lie outside the grid (they count in n, in no
    # bin), and the bandwidth is the finite ones'.
    sample = np.sort(everything[np.isfinite(everything)])
    if sample.size == 0:
        return np.zeros(at.size)
    # The quartiles as np.percentile's default (linear) interpolates them, at index q·(n − 1) of
    # the sorted sample (to the last bit or so): np.percentile's overhead was a third of the time
    # of the critic frames `train` records.
    last = sample.size - 1
    upper, lower = np.interp([0.75 * last, 0.25 * last], np.arange(sample.size), sample)
    with np.errstate(over="ignore"):  # a spread past 1e154 overflows its square: inf, cut below
        spread = min(float(sample.std()), float(upper - lower) / 1.34)
    bandwidth = 0.9 * max(spread, 1e-6) * sample.size ** (-0.2)
    spacing = float(at[1] - at[0])
    edges = np.concatenate([at - spacing / 2, [at[-1] + spacing / 2]])
    counts, _ = np.histogram(sample, bins=edges)
    # The kernel never needs to reach further than across the grid: a G whose a spread over 1e12
    # (a learning rate of 1,000) would otherwise ask for a kernel of terabytes.
    widths = 4 * bandwidth / spacing  # (inf when the spread overflowed)
    reach = int(np.ceil(widths)) if widths < at.size else at.size
    offsets = np.arange(-reach, reach + 1) * spacing
    kernel = np.exp(-0.5 * (offsets / bandwidth) ** 2) / (bandwidth * math.sqrt(2 * math.pi))
    density: np.ndarray = np.convolve(counts, kernel, mode="same")[: at.size] / everything.size
    if reach >= at.size:  # np.convolve "same" centres on the longer input: take the middle
        full = np.convolve(counts, kernel, mode="full") / everything.size
        density = full[reach : reach + at.size]
    return density


def artist_density(artist: Artist, at: np.ndarray) -> np.ndarray:
    """The artist's exact density of ``a`` at ``at``; a point's, on the evenly spaced ``at``, is
    its mass in the cell nearest to it (see the module)."""
    density = np.zeros_like(at, dtype=np.float64)
    for low, high in artist.law.intervals:
        if low == high:
            density[np.argmin(np.abs(at - low))] += 1.0 / (artist.law.modes * float(at[1] - at[0]))
        else:
            density += ((at >= low) & (at <= high)) / (artist.law.modes * (high - low))
    return density


def logit_slope(
    discriminator: Weights, artist: Artist, a: np.ndarray, condition: Condition | None = None
) -> np.ndarray:
    """``dl/da`` along the family: ``∇ₓ l · basis`` (D is piecewise linear: exact, no differencing);
    with a condition, each painting carries its own and the slope is along the painting alone."""
    result: np.ndarray = _painting_gradient(discriminator, artist, a, condition) @ artist.basis(np.float64)
    return result


def _painting_gradient(
    discriminator: Weights, artist: Artist, a: np.ndarray, condition: Condition | None
) -> np.ndarray:
    """``∇ₓ l`` of D's logit at the family's paintings of ``a``, along the painting (float64, (n, points))."""
    inputs = _d_inputs(artist, a.astype(np.float64), condition)
    w1, b1 = discriminator["net.0.weight"].astype(np.float64), discriminator["net.0.bias"].astype(np.float64)
    v2 = discriminator["net.2.weight"][0].astype(np.float64)
    active = (inputs @ w1.T + b1) > 0
    gradient: np.ndarray = (active * v2) @ w1[:, : artist.points]
    return gradient


def real_slopes(
    discriminator: Weights, artist: Artist, condition: Condition | None = None
) -> tuple[float, float]:
    """How steep D is at the real painting ``x*`` of the law's median (``dirac``'s one painting):
    ``‖∇ₓ l(x*)‖`` (what R1 penalises; 0 at the Dirac-GAN's equilibrium) and ``dl/da`` there,
    along the family (signed). With a condition, ``x*`` is shown with its own and the slope is
    along the painting alone. What every run logs as ``d_slope_real`` and ``d_slope_a``."""
    median = artist.law.quantile(np.array([0.5]))
    gradient = _painting_gradient(discriminator, artist, median, condition)[0]
    return float(np.sqrt(gradient @ gradient)), float(gradient @ artist.basis(np.float64))


def _d_inputs(artist: Artist, a: np.ndarray, condition: Condition | None) -> np.ndarray:
    """D's inputs for the family's paintings of ``a``: each with its own condition, if any."""
    paintings = artist.paint(a)
    return paintings if condition is None else condition.joined(paintings, a)


def g_loss_slope(loss: str, logit: np.ndarray) -> np.ndarray:
    """``dg/dl`` of G's loss term (the compiled step's ``_g_slope``, in numpy)."""
    if loss == "minimax":
        return -sigmoid(logit)
    if loss == "non-saturating":
        return sigmoid(logit) - 1.0
    if loss == "least-squares":
        return logit - 1.0
    return -np.ones_like(logit)


def critic_view(
    discriminator: Weights,
    artist: Artist,
    g_a_hat: np.ndarray,
    loss: str,
    condition: Condition | None = None,
    at: np.ndarray = A_GRID,
    g_labels: np.ndarray | None = None,
) -> CriticView:
    """D along the family (the evenly spaced ``at``) next to D* for a G whose fitted ``a`` are
    ``g_a_hat`` (see the module). A conditional D: each painting with its own condition; with a
    label condition, ``g_labels`` (the label each of G's paintings was asked for) gives D*."""
    a, logit, d = _d_along(discriminator, artist, loss, condition, at)
    p_data, p_g = artist_density(artist, a), kde(g_a_hat, a)
    push = -g_loss_slope(loss, logit) * logit_slope(discriminator, artist, a, condition)
    name = condition.name if condition is not None else "none"
    d_star, gap = None, None
    finite = loss in HAS_OPTIMAL_D and not artist.law.has_atoms  # a point's D* is a spike: none
    if finite and name == "none":
        d_star, gap = _optimal(d, p_data, p_g)
    elif finite and name == "label" and g_labels is not None:
        assert condition is not None
        given = _given_own_label(condition, a, p_data, g_a_hat, g_labels)
        if given is not None:
            d_star, gap = _optimal(d, *given)
    point = artist.law.low if artist.law.is_point else None
    return CriticView(a, d, d_star, p_data, p_g, push, gap, name, point)


def _given_own_label(
    condition: Condition, a: np.ndarray, p_data: np.ndarray, g_a_hat: np.ndarray, g_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """``p_data(a | ℓ(a))`` and ``p_G(a | ℓ(a))`` at each painting's own label (see the module);
    None when a label has fewer than two of G's paintings to estimate its density from."""
    groups = [g_a_hat[g_labels == label] for label in (0.0, 1.0)]
    if any(group.size < 2 for group in groups):
        return None
    own = condition.values(a)[:, 0] > 0.5  # the label of the painting of each a
    p_g_given = np.where(own, kde(groups[1], a), kde(groups[0], a))
    return 2.0 * p_data, p_g_given  # each label holds half the artist's paintings


def critic_frame(
    discriminator: Weights,
    artist: Artist,
    g_a_hat: np.ndarray,
    loss: str,
    condition: Condition | None = None,
    g_labels: np.ndarray | None = None,
) -> tuple[np.ndarray, float | None]:
    """What a training run records as it goes: the critic frame — :data:`FRAME_ROWS` on
    :data:`FRAME_A`, shape ``(3, len(FRAME_A))`` float32 — and the gap to the optimal D on it
    (``d_star_gap``; None where there is no D*)."""
    view = critic_view(discriminator, artist, g_a_hat, loss, condition, FRAME_A, g_labels)
    d_star = view.d_star if view.d_star is not None else np.full_like(view.d, np.nan)
    return np.stack([view.d, d_star, view.push]).astype(np.float32), view.gap


def _d_along(
    discriminator: Weights,
    artist: Artist,
    loss: str,
    condition: Condition | None = None,
    at: np.ndarray = A_GRID,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The a grid, D's logits along it, and D as the objective reads it (a probability or raw)."""
    a = at
    logit = logits(discriminator, _d_inputs(artist, a.astype(np.float32), condition)).astype(np.float64)
    return a, logit, sigmoid(logit) if loss in ("minimax", "non-saturating") else logit


def _optimal(d: np.ndarray, p_data: np.ndarray, p_g: np.ndarray) -> tuple[np.ndarray, float]:
    """D* on the grid (NaN where neither density is), and the mean |D − D*| under their mixture."""
    total = p_data + p_g
    usable = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        d_star = np.where(usable, p_data / total, np.nan)
    weight = total / 2
    return d_star, float(np.sum(np.abs(d - d_star)[usable] * weight[usable]) / np.sum(weight[usable]))
