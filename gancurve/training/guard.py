"""What counts as a diverged run, and what the user is told about it."""

from __future__ import annotations

import math

from gancurve.core.metrics import BLOWN_UP_MIN_W1
from gancurve.errors import GancurveError


class DivergedError(GancurveError):
    """A loss or weight became NaN or infinite, or G blew up; the last good checkpoint is kept."""


def divergence_in(row: dict[str, float]) -> str | None:
    """Why a logged row shows a diverged run, or None.

    A loss that is not finite is the plain case. A run can also blow up while every number stays
    finite: D saturates, G's gradient vanishes, and G's curves sit far outside anything the artist
    draws for good (see :data:`~gancurve.core.metrics.BLOWN_UP_MIN_W1`).
    """
    bad = [name for name in ("d_loss", "g_loss") if not math.isfinite(row[name])]
    if bad:
        return f"{' and '.join(bad)} not finite"
    w1 = row.get("w1")
    if w1 is not None and not w1 <= BLOWN_UP_MIN_W1:
        return f"G's paintings blew up: W1 {w1:.3g}, where the artist's a spans [1, 2]"
    return None


def divergence_message(where: str, saved_step: int | None, hint: str) -> str:
    """What happened, what is kept, and what to try."""
    kept = (
        f"the last good checkpoint (step {saved_step}) is kept"
        if saved_step is not None
        else "nothing had been saved yet"
    )
    return f"Training diverged {where}; {kept}. Try smaller learning rates, e.g. {hint}."
