"""How long to train and how often to write things down: the schedule, not the math."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

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


#: The cadence options a user can give on the command line (``fixed_ideas`` is not one).
CADENCE_OPTIONS = ("steps", "log_every", "snapshot_every", "eval_every", "checkpoint_every")


@dataclass(frozen=True)
class CadenceOptions:
    """The cadence as the user gave it: None where an option was not given.

    A fresh run fills the gaps from ``Cadence()``; a resumed one from the cadence it saved, so
    ``--resume`` never changes how long to train or how often to write unless asked.
    """

    steps: int | None = None
    log_every: int | None = None
    snapshot_every: int | None = None
    eval_every: int | None = None
    checkpoint_every: int | None = None

    def resolve(self, saved: Cadence | None = None) -> Cadence:
        """The cadence to train with: what was given, the rest from ``saved`` (or the defaults)."""
        given = {name: value for name, value in asdict(self).items() if value is not None}
        return replace(saved if saved is not None else Cadence(), **given)


def resolve_cadence(requested: Cadence | CadenceOptions, saved: Cadence | None = None) -> Cadence:
    """A request's cadence: a whole :class:`Cadence` (library use) is taken as it is; options
    the user gave are filled from ``saved`` (a resumed run's) or the defaults."""
    return requested if isinstance(requested, Cadence) else requested.resolve(saved)


def saved_cadence(facts: object) -> Cadence | None:
    """The cadence a run's config.json (or a sweep's sweep.json) recorded; None if it has none
    usable (an older or damaged file: the defaults apply, as they did when it was written)."""
    recorded = facts.get("cadence") if isinstance(facts, dict) else None
    if not isinstance(recorded, dict):
        return None
    known = {name: recorded[name] for name in asdict(Cadence()) if name in recorded}
    if not all(type(value) is int for value in known.values()):
        return None
    try:
        return Cadence(**known)
    except UsageError:  # a value below 1: not a cadence this version wrote
        return None
