"""Training a sweep: one engine for every member, one run directory kept per member.

The loop is the single run's (:class:`~gancurve.training.session.TrainingSession`), with a
model axis: the engine advances every member to the next step the cadence cares about, then
each member's session logs, evaluates, snapshots and checkpoints its own run directory. A
member that diverges is recorded and frozen; the others go on. A grid's recipes are *parts* of
one session: one engine trains them all, and each part keeps its own sweep directory
(:mod:`gancurve.sweep.opening` opens them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from gancurve.core.config import EVALUATE_SAMPLES, EVALUATE_SEED
from gancurve.core.engines.batched import BatchedEngine, Member
from gancurve.core.metrics import collapsing
from gancurve.evaluation import evaluate_weights
from gancurve.sweep.grid import GridDir, RecipeOutcome, compare_recipes
from gancurve.sweep.store import SweepDir
from gancurve.sweep.summary import aggregate, member_row
from gancurve.training.guard import DivergedError
from gancurve.training.session import Outcome, Reporter, TrainingSession
from gancurve.training.signals import StopFlag, StoppedError

#: Model-steps one engine call may take at most: a stop request waits for the call (~0.6 s).
CALL_MODEL_STEPS = 16_384


@dataclass(frozen=True)
class SweepPart:
    """The members of one sweep directory within a session: a sweep has one part, a grid one
    per recipe."""

    sweep: SweepDir
    seeds: tuple[int, ...]
    first: int  # the engine's index of its first member
    label: str = ""  # the recipe, in a grid

    @property
    def members(self) -> range:
        """The engine's indices of its members."""
        return range(self.first, self.first + len(self.seeds))


@dataclass
class Diverged:
    """A member that blew up: where, and what the guard said."""

    step: int
    message: str


@dataclass
class SweepOutcome:
    """How a sweep session ended."""

    sweep: SweepDir | GridDir
    step: int
    rows: list[dict[str, Any]]  # every member's (a grid's: recipe after recipe)
    aggregate: dict[str, Any]  # the whole sweep's (a grid's: its first recipe's)
    interrupted_by: int | None = None
    warnings: list[str] = field(default_factory=list)
    device: str = "cpu"
    recipes: list[RecipeOutcome] | None = None  # a grid's: each recipe against the first


class QuietReporter:
    """A member's reporter: a sweep shows one bar, so members only keep their warnings."""

    def start(self, total: int, done: int) -> None:
        """Nothing to draw."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Nothing to draw."""

    def warn(self, message: str) -> None:
        """Kept in the member's outcome by its session; nothing to print."""


class SweepSession:
    """Every member of a sweep, trained together by one engine."""

    def __init__(
        self, parts: list[SweepPart], sessions: list[TrainingSession], grid: GridDir | None = None
    ) -> None:
        self.parts, self.sessions, self.grid = parts, sessions, grid
        self.seeds = tuple(seed for part in parts for seed in part.seeds)  # member by member
        self.cadence = sessions[0].cadence
        first = sessions[0].trainer
        assert isinstance(first, Member)
        self.engine: BatchedEngine = first.engine
        self.diverged: dict[int, Diverged] = {}
        self.latest_quality: dict[int, dict[str, float]] = {}  # each member's latest evaluated row
        self._quiet: Reporter = QuietReporter()

    @property
    def step(self) -> int:
        """The step every live member has reached (the lowest, while some catch up)."""
        live = self.engine.steps[self._live()]
        return int(live.min()) if live.size else int(self.engine.steps.max())

    def _live(self) -> np.ndarray:
        mask = np.ones(len(self.sessions), np.bool_)
        mask[list(self.diverged)] = False
        return mask

    def _nothing_saved(self) -> bool:
        """Whether no member has a checkpoint yet (a fresh sweep that took no step)."""
        return all(session.saved_step is None for session in self.sessions)

    def train(self, reporter: SweepReporter, stop: StopFlag) -> SweepOutcome:
        """Train every member to ``cadence.steps`` or a stop request; write the summary."""
        outcomes = [session.begin(self._quiet) for session in self.sessions]
        reporter.start(self.cadence.steps, self.step, len(self.sessions))
        cap = max(1, CALL_MODEL_STEPS // len(self.sessions))
        with np.errstate(all="ignore"):
            while not stop:
                live = self._live()
                steps = self.engine.steps
                if not live.any() or steps[live].min() >= self.cadence.steps:
                    break
                # Members behind the others (a resume after a partial save) catch up first.
                low = int(steps[live].min())
                group = live & (steps == low)
                ahead = steps[live & ~group]
                target = min(self.cadence.next_event(low), low + cap, int(ahead.min(initial=2**62)))
                self.engine.set_active(group)
                self.engine.advance(target - low)
                for member in np.flatnonzero(group):
                    self._after_step(int(member), target, outcomes[int(member)])
                reporter.advance(self.step, self.live_numbers())
            if stop.signal is not None and not self.engine.steps.any() and self._nothing_saved():
                # A signal between the command's own check and the first step (as in train).
                raise StoppedError("Stopped before training started; no sweep was created.", stop.signal)
            self._save_all()
        rows = self.summary_rows()
        by_part = [[rows[m] for m in part.members] for part in self.parts]
        for part, part_rows in zip(self.parts, by_part, strict=True):
            part.sweep.write_summary(part_rows, aggregate(part_rows))
        recipes = None
        if self.grid is not None:
            labels, slugs = [part.label for part in self.parts], [part.sweep.name for part in self.parts]
            recipes = compare_recipes(labels, slugs, by_part)
            self.grid.write_summary(recipes)
        warnings = [f"{self._member_name(m)}: {d.message}" for m, d in sorted(self.diverged.items())]
        if self.engine.notice:
            warnings.insert(0, self.engine.notice)
        place = self.grid if self.grid is not None else self.parts[0].sweep
        return SweepOutcome(
            place,
            self.step,
            rows,
            aggregate(by_part[0]),
            stop.signal,
            warnings,
            self.sessions[0].device,
            recipes,
        )

    def _member_name(self, member: int) -> str:
        """A member's run as the user finds it: ``seed-007``, or in a grid ``loss-hinge/seed-007``."""
        run = self.sessions[member].run.name
        if self.grid is None:
            return run
        part = next(part for part in self.parts if member in part.members)
        return f"{part.sweep.name}/{run}"

    def _after_step(self, member: int, step: int, outcome: Outcome) -> None:
        session = self.sessions[member]
        try:
            session.after_step(step, self._quiet, outcome)
        except DivergedError as error:
            self._diverge(member, step, str(error))
            return
        if "w1" in session.last_row:
            self.latest_quality[member] = session.last_row

    def _diverge(self, member: int, step: int, message: str) -> None:
        self.diverged[member] = Diverged(step, message)
        self.engine.freeze(member)

    def _save_all(self) -> None:
        for member, session in enumerate(self.sessions):
            if member in self.diverged:
                continue
            try:
                session.save()
            except DivergedError as error:
                self._diverge(member, session.trainer.step_count, str(error))

    def live_numbers(self) -> dict[str, float]:
        """What the progress bar shows: median W1 of the live members, collapses, divergences."""
        live = {m: row for m, row in self.latest_quality.items() if m not in self.diverged}
        w1 = [row["w1"] for row in live.values() if "w1" in row]
        laws = {m: self.sessions[m].trainer.artist.law for m in live}
        count = sum(
            1
            for m, row in live.items()
            if "spread" in row and collapsing(row["spread"], row["coverage"], laws[m])
        )
        return {
            "w1_median": float(np.median(w1)) if w1 else math.nan,
            "collapsing": count,
            "diverged": len(self.diverged),
        }

    def summary_rows(self) -> list[dict[str, Any]]:
        """Every member scored as ``gancurve evaluate`` scores a run (the same samples and seed)."""
        rows = []
        for member, (seed, session) in enumerate(zip(self.seeds, self.sessions, strict=True)):
            if member in self.diverged:
                problem = self.diverged[member]
                rows.append(
                    member_row(seed, session.run.name, problem.step, "diverged", problem.message, None)
                )
                continue
            trainer = session.trainer
            weights = trainer.state().weights_to_use()
            result = evaluate_weights(
                weights, session.config, session.run.name, trainer.step_count, EVALUATE_SAMPLES, EVALUATE_SEED
            )
            label, reason = result.verdict.label, result.verdict.reason
            rows.append(member_row(seed, session.run.name, result.step, label, reason, result.generator))
        return rows


class SweepReporter(Protocol):
    """What a sweep's progress display needs (the CLI draws it; tests may record it)."""

    def start(self, total: int, done: int, members: int) -> None:
        """The sweep begins at ``done`` of ``total`` steps, with ``members`` members."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Every live member has reached ``step``; ``row`` has the live numbers."""


class SilentSweepReporter:
    """A sweep reporter that shows nothing (library use, tests)."""

    def start(self, total: int, done: int, members: int) -> None:
        """Nothing to show."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Nothing to show."""
