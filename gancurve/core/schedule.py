"""Learning-rate schedules: the factor each step's learning rate is multiplied by.

Plain arithmetic on numbers, so that the reference trainer calls it as Python, the compiled CPU
step compiles it (numba), and the torch engine writes the same formula on tensors.
"""

from __future__ import annotations

#: ``--lr-schedule`` choices.
SCHEDULES = ("constant", "linear-decay")
#: Where linear-decay starts when neither the user nor a recipe says, as a share of the run.
DEFAULT_DECAY_START = 0.5


def decay_steps(schedule: str, share: float | None, steps: int) -> tuple[int, int]:
    """The config's ``decay_start``/``decay_end`` for a run of ``steps`` steps: fixed from the run's
    length when it starts, so a resumed run keeps its schedule unless asked. (0, 0) for constant."""
    if schedule != "linear-decay":
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
