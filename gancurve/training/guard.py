"""What counts as a diverged run, and what the user is told about it."""

from __future__ import annotations

from gancurve.errors import GancurveError


class DivergedError(GancurveError):
    """A loss or weight became NaN or infinite; the last good checkpoint is kept."""


def divergence_message(where: str, saved_step: int | None, hint: str) -> str:
    """What happened, what is kept, and what to try."""
    kept = (
        f"the last good checkpoint (step {saved_step}) is kept"
        if saved_step is not None
        else "nothing had been saved yet"
    )
    return f"Training diverged {where}; {kept}. Try smaller learning rates, e.g. {hint}."
