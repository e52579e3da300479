"""What each CLI command does once its options are parsed (printing included)."""

from __future__ import annotations

from gancurve.console import err


def say_which_generator(ema: float) -> None:
    """Say on stderr when a reader used G's moving average (``ema``: its decay; 0 when G itself
    was used), and how to choose G itself; stdout stays the command's output."""
    if ema > 0:
        err.print(
            f"Used G's moving average (EMA {ema:g}), the run's painter; --raw uses G itself.",
            style="dim",
            markup=False,
            soft_wrap=True,
        )
