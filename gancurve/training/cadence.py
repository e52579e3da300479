"""How long to train and how often to write things down: the schedule, not the math."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from gancurve.errors import UsageError


@dataclass(frozen=True)
class Cadence:
    """How long to train and how often to write things down; none of it changes the math."""

    steps: int = 10_000  # total steps of the run (a resumed run continues up to this)
    log_every: int = 50  # a metrics.csv row every this many steps
    snapshot_every: int = 50  # G's paintings for the fixed ideas every this many steps
    eval_every: int = 500  # exact quality metrics on EVAL_SAMPLES ideas every this many steps
    checkpoint_every: int = 1000  # write checkpoint, metrics and snapshots every this many steps
    fixed_ideas: int = 16  # how many fixed ideas each snapshot paints

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be at least 1, got {value}.")

    def next_event(self, step: int) -> int:
        """The first step after ``step`` at which the loop writes something, or the run's last step.

        Engines run the steps in between in one call.
        """
        intervals = (self.log_every, self.snapshot_every, self.eval_every, self.checkpoint_every)
        return min(self.steps, *(step - step % every + every for every in intervals))
