"""Conditions: what G and D are told about each painting besides its points (numpy).

The tutorial's next lesson (406_conditional_GAN) gives both players a label: 1 for a painting of
the upper half (``a > 1.5``), 0 for the lower half. G gets its ideas and a label and must paint a
curve of that half; D gets a painting and its label and judges the pair. ``--condition a`` goes
one step further: G is asked for a specific ``a`` and D sees the painting with its ``a``.

A condition is extra input columns: G's input is ``ideas ⊕ c``, D's ``painting ⊕ c``. During
training the artist's painting and G's painting of the same row share ``c`` — the artist's ``a``
decides it — so D always compares a real and a fake pair of the same condition (and WGAN-GP's
mixed points keep it). Evaluations ask G for an even spread of conditions: row ``j`` of ``n``
asks for ``a_j = Q((j + ½)/n)`` (the law's quantiles), so their labels or ``a`` follow the
artist's law exactly and the rows of each label are a sample of that label's half.

The label splits ``a`` at the law's median (1.5 for U(1, 2), the lesson's threshold); the law of
each half is exact too (:meth:`Condition.halves`), so per-label W1 is exact like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gancurve.core.artist import ParameterLaw, make_artist
from gancurve.core.config import CONDITION_WIDTHS, TrainConfig


@dataclass(frozen=True)
class Condition:
    """The condition ``name`` (``none``, ``label`` or ``a``) of an artist whose law is ``law``."""

    name: str
    law: ParameterLaw

    @property
    def width(self) -> int:
        """Input columns the condition adds to G and to D (0: none)."""
        return CONDITION_WIDTHS[self.name]

    @property
    def threshold(self) -> float:
        """The label's split: the median of ``a`` (a painting above it has label 1)."""
        return float(self.law.quantile(np.array([0.5]))[0])

    def values(self, a: np.ndarray) -> np.ndarray:
        """The condition columns ``(…, width)`` of paintings with parameters ``a``, in ``a``'s dtype."""
        a = np.asarray(a)
        columns: np.ndarray
        if self.name == "label":
            columns = (a > a.dtype.type(self.threshold)).astype(a.dtype)[..., None]
        elif self.name == "a":
            columns = a[..., None].copy()
        else:
            columns = np.zeros((*a.shape, 0), a.dtype)
        return columns

    def requested_a(self, n: int) -> np.ndarray:
        """The ``a`` an evaluation's ``n`` rows ask for: the law's quantiles ``Q((j + ½)/n)`` (float64)."""
        return self.law.quantile((np.arange(n, dtype=np.float64) + 0.5) / n)

    def joined(self, rows: np.ndarray, a: np.ndarray) -> np.ndarray:
        """A network's inputs: ``rows (n, k)`` — G's ideas or D's paintings — with the condition
        of ``a (n,)`` appended, in the rows' dtype (the rows themselves without a condition)."""
        if not self.width:
            return rows
        return np.concatenate([rows, self.values(a.astype(rows.dtype))], axis=1)

    def halves(self) -> tuple[ParameterLaw, ParameterLaw]:
        """The law of ``a`` given label 0 and given label 1 (each half of the probability)."""
        intervals = self.law.intervals
        if len(intervals) == 1:
            (low, high), middle = intervals[0], self.threshold
            return ParameterLaw(((low, middle),)), ParameterLaw(((middle, high),))
        if len(intervals) % 2:
            raise ValueError("a label needs an even number of modes (the median falls inside one)")
        half = len(intervals) // 2
        return ParameterLaw(intervals[:half]), ParameterLaw(intervals[half:])


def make_condition(config: TrainConfig) -> Condition:
    """The condition a run trains with (``config.condition``), over its artist's law."""
    return Condition(config.condition, make_artist(config).law)
