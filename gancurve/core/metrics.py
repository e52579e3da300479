"""Exact quality measures: the target distribution is known, so we can score G directly.

Every real painting is ``a·(x² + 1) − 1`` with ``a`` from the artist's law (the tutorial's: U(1, 2)).
We project each generated painting onto that family (``a_hat``, ``residual``) and compare the
``a_hat`` sample with the law exactly — through quantiles, with no histogram or smoothing. For an
artist with several modes (``parabola-modes``) the mode-collapse metrics of the literature's toy
benchmarks (VEEGAN, PacGAN) come too: a painting is *high quality* when its ``a`` lies within
3 standard deviations of its nearest mode's centre, and a mode is *captured* when at least a
quarter of its fair share of the paintings (``n / 4K``) land on it that way — at n = 10,000 and
K = 8 that is 312 paintings against 1,250 expected, far beyond the sampling noise (±35), while a
mode G only grazes stays uncaptured.

A conditional G (``--condition``) is scored on what it was asked: the rows of an evaluation ask
for evenly spread conditions (:meth:`~gancurve.core.condition.Condition.requested_a`), so with
labels each label's rows are compared with the exact law of its half (``w1_label_0``,
``w1_label_1``), and with a requested ``a`` each painting's fitted ``â`` with the ``a`` it was
asked for (``a_error`` the mean of ``|â − a|``, ``a_error_p90`` its 90th percentile).

A point law (``dirac``: every real painting is the curve of ``a = 1.5``) has no width to be inside
of or to cover, so it is judged by distance: W1 to a point mass is exactly the mean distance
``E|â − 1.5|`` (the only coupling moves every ``â`` to the point), ``spread`` should be 0,
``a_offset`` is the signed mean ``E[â] − 1.5`` (which side G paints), and the band, the coverage
and the converged distance take one stated tolerance, :data:`POINT_TOLERANCE` in ``a``. A point
never counts as collapsed: its spread target is 0. (D's slope at the real painting, the
Dirac-GAN's other coordinate, is D's: :func:`gancurve.core.critic.real_slopes`.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from gancurve.core.artist import Artist, ParameterLaw
from gancurve.core.condition import Condition
from gancurve.core.objectives import OBJECTIVES, Objective

#: D's score ``log D(x) + log(1 − D(G(z)))`` when D outputs 0.5 everywhere: 2·log(1/2).
EQUILIBRIUM_D_SCORE = 2.0 * math.log(0.5)


#: The standard deviation of U(1, 2): what ``spread`` should be.
TARGET_SPREAD = 1.0 / math.sqrt(12.0)
#: Points this close outside a bound still count as inside (float32 rounding of a = 1 or 2).
BOUNDS_TOLERANCE = 1e-5
#: ``coverage`` splits [1, 2] into this many equal bins ...
COVERAGE_BINS = 20
#: ... and counts a bin as covered when it holds at least this share of the samples.
COVERAGE_MIN_SHARE = 0.01
#: A painting is high quality within this many standard deviations of its nearest mode ...
HIGH_QUALITY_SIGMAS = 3.0
#: ... and a mode is captured with at least 1/4 of its fair share (n/K) of them.
CAPTURED_SHARE_OF_FAIR = 4
#: A point law's tolerance in ``a`` (docs/metrics.md): its band is the paintings of ``a`` within
#: it (``in_bounds``, reported, not judged: a painting at the point with a little shape error
#: leaves so narrow a band, and the residual judges the shape), the point is covered when 1% of
#: the fitted ``a`` lie within it, and a G converges with a mean distance (W1) within it. Half the
#: wide laws' W1 threshold: the painting of ``1.5 ± 0.05`` lies 0.05–0.1 from the real one in y,
#: about a line's width in the pictures.
POINT_TOLERANCE = 0.05


@dataclass(frozen=True)
class Quality:
    """How close a batch of paintings is to the artist's distribution (ideal in comments)."""

    w1: float  # 1-Wasserstein distance of a_hat to U(1, 2) (0)
    ks: float  # Kolmogorov–Smirnov statistic of a_hat against U(1, 2) (0)
    residual: float  # mean RMS distance of each painting from the family (0)
    in_bounds: float  # share of points between x² and 2x² + 1 (1)
    spread: float  # standard deviation of a_hat (the law's: 1/√12 ≈ 0.289 for U(1, 2))
    coverage: float  # share of the law's 20 equally likely bins that a_hat covers (1)
    # An artist with modes only (None otherwise, and left out of to_dict):
    modes_captured: float | None = None  # modes with at least n/4K high-quality paintings (K)
    high_quality: float | None = None  # share of paintings within 3σ of their nearest mode (1)
    mode_kl: float | None = None  # KL(G's share over the modes ‖ uniform), on the high-quality ones (0)
    # A conditional G only (None otherwise, and left out of to_dict):
    w1_label_0: float | None = None  # W1 of the label-0 rows' a_hat to the lower half's law (0)
    w1_label_1: float | None = None  # W1 of the label-1 rows' a_hat to the upper half's law (0)
    a_error: float | None = None  # mean |a_hat − requested a| (0)
    a_error_p90: float | None = None  # its 90th percentile (0)
    # A point law only (None otherwise, and left out of to_dict):
    a_offset: float | None = None  # mean a_hat − the point: which side of it G paints (0)

    def to_dict(self) -> dict[str, float]:
        """The metrics by name (the modes' only for an artist with modes, the condition's only for
        a conditional G, the offset only for a point)."""
        return {name: value for name, value in asdict(self).items() if value is not None}


def coverage_of(a_hat: np.ndarray, law: ParameterLaw) -> float:
    """Share of the law's equally likely bins (20 equal bins of [1, 2] for U(1, 2)) holding at
    least 1% of the samples each. A point's bins are all the point itself, within
    :data:`POINT_TOLERANCE`: it is covered (1) or not (0)."""
    if law.is_point:
        near = np.abs(a_hat - law.low) <= POINT_TOLERANCE
        return float(np.count_nonzero(near) >= COVERAGE_MIN_SHARE * a_hat.size)
    if law.modes == 1:
        counts, _ = np.histogram(a_hat, bins=COVERAGE_BINS, range=(law.low, law.high))
    else:  # bins of equal probability: each mode's share split evenly, the gaps left out
        edges = law.quantile(np.linspace(0.0, 1.0, COVERAGE_BINS + 1)[:-1])
        widths = np.array([high - low for low, high in law.intervals]) / (COVERAGE_BINS / law.modes)
        ends = (
            edges + widths[np.minimum((np.arange(COVERAGE_BINS) * law.modes) // COVERAGE_BINS, law.modes - 1)]
        )
        inside = (a_hat[:, None] >= edges[None, :]) & (a_hat[:, None] <= ends[None, :])
        counts = inside.sum(axis=0)
    return float((counts >= COVERAGE_MIN_SHARE * a_hat.size).mean())


#: A conditional G's rows and what they asked for: the condition, and the ``a`` of each row's request.
Asked = tuple[Condition, np.ndarray]


def quality(paintings: np.ndarray, artist: Artist | None = None, asked: Asked | None = None) -> Quality:
    """Score paintings of shape ``(n, points)`` against the artist's distribution (and, for a
    conditional G, each row against what it ``asked`` for)."""
    artist = artist or Artist(paintings.shape[1])
    y = np.asarray(paintings, dtype=np.float64)
    a, residual = artist.fit(y)
    lower, upper = band(artist)
    with np.errstate(invalid="ignore"):  # NaN paintings are simply not inside
        inside = (y >= lower) & (y <= upper)
    law = artist.law
    finite = np.all(np.isfinite(a))
    modes = mode_quality(a, law) if law.modes > 1 and finite else {}
    if asked is not None and asked[0].width:
        modes.update(condition_quality(a, *asked))
    if law.is_point:
        modes["a_offset"] = float(a.mean() - law.low)
    return Quality(
        w1=law.w1(a) if finite else math.nan,
        ks=law.ks(a) if finite else math.nan,
        residual=float(residual.mean()),
        in_bounds=float(inside.mean()),
        spread=float(a.std()),
        coverage=coverage_of(a, law),
        **modes,
    )


def band(artist: Artist) -> tuple[np.ndarray, np.ndarray]:
    """What ``in_bounds`` counts as inside, point by point (float64): the artist's bounds, give
    or take float32's rounding (:data:`BOUNDS_TOLERANCE`); for a point law, whose bounds are one
    curve, the paintings of ``a`` within :data:`POINT_TOLERANCE` of it."""
    if artist.law.is_point:
        ends = artist.paint(np.array([artist.a_low - POINT_TOLERANCE, artist.a_high + POINT_TOLERANCE]))
        return ends.min(axis=0), ends.max(axis=0)
    lower, upper = artist.lower_bound(np.float64), artist.upper_bound(np.float64)
    return lower - BOUNDS_TOLERANCE, upper + BOUNDS_TOLERANCE


def mode_quality(a_hat: np.ndarray, law: ParameterLaw) -> dict[str, float]:
    """Modes captured, the share of high-quality paintings and the reverse KL over the modes
    (see the module's docstring) for a law with several modes."""
    centres = np.array([(low + high) / 2 for low, high in law.intervals])
    sigmas = np.array([(high - low) / math.sqrt(12.0) for low, high in law.intervals])
    nearest = np.argmin(np.abs(a_hat[:, None] - centres[None, :]), axis=1)
    good = np.abs(a_hat - centres[nearest]) <= HIGH_QUALITY_SIGMAS * sigmas[nearest]
    counts = np.bincount(nearest[good], minlength=law.modes)
    captured = int(np.sum(counts >= a_hat.size / (CAPTURED_SHARE_OF_FAIR * law.modes)))
    shares = counts / max(int(counts.sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = float(np.sum(np.where(shares > 0, shares * np.log(shares * law.modes), 0.0)))
    return {"modes_captured": float(captured), "high_quality": float(good.mean()), "mode_kl": kl}


def condition_quality(a_hat: np.ndarray, condition: Condition, requested_a: np.ndarray) -> dict[str, float]:
    """How well G's rows follow their condition (see the module's docstring); NaN where G's
    paintings are not finite."""
    if not np.all(np.isfinite(a_hat)):
        names = ("w1_label_0", "w1_label_1") if condition.name == "label" else ("a_error", "a_error_p90")
        return dict.fromkeys(names, math.nan)
    if condition.name == "label":
        labels = condition.values(np.asarray(requested_a, dtype=np.float64))[:, 0]
        return {
            f"w1_label_{label}": half.w1(a_hat[labels == label]) if np.any(labels == label) else math.nan
            for label, half in enumerate(condition.halves())
        }
    error = np.abs(a_hat - requested_a)
    return {"a_error": float(error.mean()), "a_error_p90": float(np.percentile(error, 90))}


#: The verdict's thresholds; docs/metrics.md explains each.
CONVERGED_MAX_W1 = 0.1
CONVERGED_MAX_RESIDUAL = 0.1
CONVERGED_MIN_IN_BOUNDS = 0.85
#: A conditional G converges when each label's W1, or its mean |â − a|, is this small too (a G
#: that ignores its label scores 0.25 on U(1, 2)'s halves; one that ignores a requested a, 1/3).
CONVERGED_MAX_CONDITION_ERROR = 0.1
#: (D's view of the game, within the objective's own tolerance of its equilibrium: see
#: ``Objective.view_tolerance``; 0.05 for the tutorial's D accuracy.)
COLLAPSED_MIN_COVERAGE = 0.5
DIVERGED_MIN_IN_BOUNDS = 0.5
#: A W1 beyond this means G blew up: the artist's a spans [1, 2] and a fresh G sits near W1 = 1.
#: Measured (seeds 1 and 2, 10,000 steps, both learning rates equal): at 0.1 and 0.3 (and, for
#: seed 2, at 1, 3 and 10) W1 passed it within 100 steps and stayed there — 25 to 44,000 — while
#: every loss stayed finite; no run that passed it came back.
BLOWN_UP_MIN_W1 = 10.0


@dataclass(frozen=True)
class Verdict:
    """One word for how training went, and the numbers behind it."""

    label: str  # converged / still learning / ignores condition / dropped modes / collapsed / diverged
    reason: str


def converged_max_w1(law: ParameterLaw | None = None) -> float:
    """The W1 a converged G stays within: ``CONVERGED_MAX_W1``, or for a point law (whose W1 is
    the mean distance to it) ``POINT_TOLERANCE``."""
    return POINT_TOLERANCE if law is not None and law.is_point else CONVERGED_MAX_W1


def collapsing(spread: float, coverage: float, law: ParameterLaw | None = None) -> bool:
    """Whether G's paintings hardly vary: a spread under a third of the law's (the tutorial's
    U(1, 2) if None), or — for a law of one interval — under half of its bins covered (with modes
    the gaps are empty by design: dropped modes are judged by the modes' metrics instead). A point
    law never: the artist itself paints one curve (its spread target is 0)."""
    if law is not None and law.is_point:
        return False
    target = law.std if law is not None else TARGET_SPREAD
    one_interval = law is None or law.modes == 1
    return spread < target / 3 or (one_interval and coverage < COLLAPSED_MIN_COVERAGE)


def blown_up(
    w1: float, residual: float, in_bounds: float, spread: float, view: float, law: ParameterLaw | None = None
) -> bool:
    """The verdict's first rule, "diverged": a number not finite, most points out of bounds, or a
    W1 past ``BLOWN_UP_MIN_W1`` (a sweep's live counts use it too). For a point law the bounds
    do not decide it: its band is :data:`POINT_TOLERANCE` wide, and a G a little further off has
    not blown up (its W1 says how far it is)."""
    values = (w1, residual, in_bounds, spread, view)
    bounds_decide = law is None or not law.is_point
    return (
        not all(math.isfinite(v) for v in values)
        or (bounds_decide and in_bounds < DIVERGED_MIN_IN_BOUNDS)
        or w1 > BLOWN_UP_MIN_W1
    )


def _diverged_reason(q: Quality, view: float) -> str:
    """Why the first rule holds: what is not finite, how far G is, or how few points are inside."""
    values = (q.w1, q.residual, q.in_bounds, q.spread, view)
    if not all(math.isfinite(v) for v in values):
        return "G's paintings (or D's view of them) are not finite numbers"
    if q.w1 > BLOWN_UP_MIN_W1:
        return f"W1 {q.w1:.3g} > {BLOWN_UP_MIN_W1:g}: G's curves sit far from anything the artist paints"
    return f"only {q.in_bounds:.0%} of points lie between the bounds"


def verdict(
    q: Quality, view: float, objective: Objective = OBJECTIVES["minimax"], law: ParameterLaw | None = None
) -> Verdict:
    """Judge a generator by its quality and D's view (its accuracy, for the tutorial's loss), in
    this order of severity. ``law``: the artist's law of ``a`` (the tutorial's U(1, 2) if None);
    with several modes, G may drop some — judged by the modes' metrics rather than coverage."""
    modes = law.modes if law is not None else 1
    if blown_up(q.w1, q.residual, q.in_bounds, q.spread, view, law):
        return Verdict("diverged", _diverged_reason(q, view))
    if collapsing(q.spread, q.coverage, law):
        target = law.std if law is not None else TARGET_SPREAD
        return Verdict(
            "collapsed",
            f"G's curves hardly vary: spread {q.spread:.3f} (target {target:.3f}), coverage {q.coverage:.2f}",
        )
    if q.modes_captured is not None and q.modes_captured < modes:
        return Verdict(
            "dropped modes",
            f"G paints {q.modes_captured:.0f} of the artist's {modes} modes "
            f"({q.high_quality or 0.0:.0%} of its paintings on a mode)",
        )
    condition_error = _condition_error(q)
    if (
        q.w1 <= CONVERGED_MAX_W1
        and condition_error is not None
        and condition_error > CONVERGED_MAX_CONDITION_ERROR
    ):
        return Verdict(
            "ignores condition",
            f"G paints the artist's curves (W1 {q.w1:.3f}) but not the ones it is asked for "
            f"({_condition_summary(q)})",
        )
    gap = abs(view - objective.view_at_equilibrium)
    point = law is not None and law.is_point
    max_w1 = converged_max_w1(law)
    distance = f"mean |â − {law.low:g}| (W1)" if point and law is not None else "W1"
    if (
        (condition_error is None or condition_error <= CONVERGED_MAX_CONDITION_ERROR)
        and q.w1 <= max_w1
        and q.residual <= CONVERGED_MAX_RESIDUAL
        and (point or q.in_bounds >= CONVERGED_MIN_IN_BOUNDS)  # (a point: W1 and the residual say it)
        and gap <= objective.view_tolerance
    ):
        follows = "" if condition_error is None else f"; it paints what it is asked ({_condition_summary(q)})"
        return Verdict(
            "converged",
            f"{distance} {q.w1:.3f} ≤ {max_w1} and D can only guess ({objective.view} {view:.2f}){follows}",
        )
    inside = "" if point else f", in bounds {q.in_bounds:.2f}"
    return Verdict(
        "still learning",
        f"{distance} {q.w1:.3f}, residual {q.residual:.3f}{inside}, {objective.view} {view:.2f}",
    )


def _condition_error(q: Quality) -> float | None:
    """A conditional G's worst error against its condition (None: not conditional; NaN stays NaN)."""
    if q.a_error is not None:
        return q.a_error
    if q.w1_label_0 is not None and q.w1_label_1 is not None:
        return max(q.w1_label_0, q.w1_label_1)
    return None


def _condition_summary(q: Quality) -> str:
    if q.a_error is not None:
        return f"mean |â − a| {q.a_error:.3f}, 90% within {q.a_error_p90 or 0.0:.3f}"
    return f"W1 per label {q.w1_label_0 or 0.0:.3f} and {q.w1_label_1 or 0.0:.3f}"
