"""Learning-rate schedules: the factor each step's learning rate is multiplied by.

Plain arithmetic on numbers, so that the reference trainer calls it as Python, the compiled CPU
step compiles it (numba), and the torch engine writes the same formula on tensors.
"""

from __future__ import annotations

import math

#: ``--lr-schedule`` choices, and their codes in the compiled step's hyper table.
SCHEDULES = ("constant", "linear-decay", "cosine")
SCHEDULE_CODES = {name: float(index) for index, name in enumerate(SCHEDULES)}
#: The schedules that decay from ``decay_start`` to 0 at ``decay_end``.
DECAYING = ("linear-decay", "cosine")
#: Where a decay starts when neither the user nor a recipe says, as a share of the run.
DEFAULT_DECAY_START = 0.5
COSINE = SCHEDULE_CODES["cosine"]  # (a number: numba compiles it as a constant)


def decay_steps(schedule: str, share: float | None, steps: int) -> tuple[int, int]:
    """The config's ``decay_start``/``decay_end`` for a run of ``steps`` steps: fixed from the run's
    length when it starts, so a resumed run keeps its schedule unless asked. (0, 0) for constant."""
    if schedule not in DECAYING:
        return 0, 0
    return round((DEFAULT_DECAY_START if share is None else share) * steps), steps


def linear_decay_factor(step: float, decay_start: float, decay_end: float) -> float:
    """The learning rate's factor at Adam step ``step`` (1 for the first step).

    1 up to ``decay_start``, then falling linearly to 0 at ``decay_end``, 0 after. A schedule with
    ``decay_end <= decay_start`` (the constant one: both 0) is 1 everywhere.
    """
    if decay_end <= decay_start or step <= decay_start:
        return 1.0
    if step >= decay_end:
        return 0.0
    return (decay_end - step) / (decay_end - decay_start)


def decay_factor(step: float, code: float, decay_start: float, decay_end: float) -> float:
    """The decay's factor at Adam step ``step`` for the schedule of ``code`` (:data:`SCHEDULE_CODES`):
    1 up to ``decay_start``, then to 0 at ``decay_end`` — linearly, or along half a cosine,
    ``(1 + cos(π·(step − start)/(end − start)))/2`` (Loshchilov & Hutter's SGDR without restarts) —
    and 0 after; 1 everywhere when ``decay_end <= decay_start`` (the constant schedule: both 0)."""
    if decay_end <= decay_start or step <= decay_start:
        return 1.0
    if step >= decay_end:
        return 0.0
    if code == COSINE:
        return 0.5 * (1.0 + math.cos(math.pi * (step - decay_start) / (decay_end - decay_start)))
    return (decay_end - step) / (decay_end - decay_start)


def warmup_factor(step: float, warmup: float) -> float:
    """The warm-up's factor at Adam step ``step``: ``step/warmup`` (rising linearly from 0) up to
    ``warmup``, 1 from there (and always, for ``warmup`` 0)."""
    if step >= warmup:
        return 1.0
    return step / warmup
