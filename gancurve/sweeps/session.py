"""Training a sweep: one engine for every member, one run directory kept per member.

The loop is the single run's (:class:`~gancurve.training.session.TrainingSession`), with a
model axis: the engine advances every member to the next step the cadence cares about, then
each member's session logs, evaluates, snapshots and checkpoints its own run directory. A
member that diverges is recorded and frozen; the others go on. A grid's recipes are *parts* of
one session: one engine trains them all, and each part keeps its own sweep directory
(:mod:`gancurve.sweeps.opening` opens them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from gancurve.core.config import EVALUATE_SAMPLES, EVALUATE_SEED, TrainConfig
from gancurve.core.engines.batched import BatchedEngine, Member
from gancurve.core.metrics import blown_up, collapsing
from gancurve.core.networks import Weights
from gancurve.errors import GancurveError
from gancurve.results.evaluation import EvaluationDraws, evaluation_draws, score_generator
from gancurve.store.grids import GridDir
from gancurve.store.sweeps import SweepDir, discard_summary, resume_command
from gancurve.sweeps.grid import RecipeOutcome, compare_recipes, write_grid_summary
from gancurve.sweeps.summary import aggregate, member_row
from gancurve.training.guard import DivergedError
from gancurve.training.session import Outcome, Reporter, TrainingSession
from gancurve.training.signals import StopFlag, StoppedError

#: Model-steps one engine call may take at most: a stop request waits for the call (~0.6 s).
CALL_MODEL_STEPS = 16_384
#: Members saved or scored between two looks at the stop flag (and two updates of the progress):
#: well under a second of work, so Ctrl-C after training stops within about a second.
PHASE_CHUNK = 32
#: Threads that save or score members at once: a save waits on the disk (fsync) and scoring in
#: numpy's matrix products, both without holding the GIL.
PHASE_THREADS = 8


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
    rows: list[dict[str, Any]]  # every member's (a grid's: recipe after recipe); [] when stopped
    aggregate: dict[str, Any] | None  # the whole sweep's (a grid's: its first recipe's); None when stopped
    interrupted_by: int | None = None  # the signal that stopped it before its summary was written
    warnings: list[str] = field(default_factory=list)
    device: str = "cpu"
    recipes: list[RecipeOutcome] | None = None  # a grid's: each recipe against the first
    stopped_late: bool = False  # a stop request came, but only once the summary was written
    unsaved: int = 0  # members whose latest step is not saved (a stop cut the saving short)


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
        """Train every member to ``cadence.steps`` or a stop request, save them; score them and
        write the summary when every member is trained and saved.

        A stop request during training saves every member all the same (a second one stops the
        saving: the members not saved yet continue from their last checkpoint); one after training
        stops the saving or the scoring within a chunk of members. Either way no summary is
        written, and ``sweep --resume`` at the same ``--steps`` finishes the sweep.
        """
        with ThreadPoolExecutor(PHASE_THREADS) as pool:
            outcomes = self._begin_all(pool)
            start_steps = self.engine.steps.copy()
            reporter.start(self.cadence.steps, self.step, len(self.sessions))
            self._train_loop(reporter, stop, outcomes)
            if stop.signal is not None and not self.engine.steps.any() and self._nothing_saved():
                # A signal between the command's own check and the first step (as in train).
                raise StoppedError("Stopped before training started; no sweep was created.", stop.signal)
            signals_in_training = stop.requests
            saved = self._save_all(reporter, pool, lambda: stop.requests > signals_in_training)
            rows = None
            # Trained: every live member at the end, or none live (every member diverged).
            trained = self.step >= self.cadence.steps or not self._live().any()
            if saved and stop.requests == 0 and trained:
                rows = self._score_all(reporter, pool, lambda: stop.requests > 0)
        by_part = [[rows[m] for m in part.members] for part in self.parts] if rows is not None else None
        recipes = None
        if by_part is not None:
            recipes = write_summaries(self.parts, self.grid, by_part, self.cadence.steps)
        elif not np.array_equal(self.engine.steps, start_steps):
            # The members moved past an earlier summary: none is better than a wrong one.
            for part in self.parts:
                part.sweep.discard_summary()
            if self.grid is not None:
                discard_summary(self.grid.path)
        warnings = [f"{self._member_name(m)}: {d.message}" for m, d in sorted(self.diverged.items())]
        if self.engine.notice:
            warnings.insert(0, self.engine.notice)
        place = self.grid if self.grid is not None else self.parts[0].sweep
        return SweepOutcome(
            place,
            self.step,
            rows or [],
            aggregate(by_part[0]) if by_part is not None else None,
            # A stop that came once the summary was written has nothing left to stop.
            stop.signal if by_part is None else None,
            warnings,
            self.sessions[0].device,
            recipes,
            stopped_late=by_part is not None and stop.signal is not None,
            unsaved=len(self._unsaved()),
        )

    def _train_loop(self, reporter: SweepReporter, stop: StopFlag, outcomes: list[Outcome]) -> None:
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

    def _begin_all(self, pool: ThreadPoolExecutor) -> list[Outcome]:
        """Every member's config.json, written in parallel (each waits on the disk)."""
        return list(pool.map(lambda session: session.begin(self._quiet), self.sessions))

    def _save_all(
        self, reporter: SweepReporter, pool: ThreadPoolExecutor, stopped: Callable[[], bool]
    ) -> bool:
        """Save every member not saved at its step, chunk by chunk; False if ``stopped`` cut it short."""
        todo = self._unsaved()
        reporter.phase("saving", len(todo))
        for done in range(0, len(todo), PHASE_CHUNK):
            if stopped():
                return False
            pending = []
            for member in todo[done : done + PHASE_CHUNK]:
                session = self.sessions[member]
                try:
                    pending.append((session, session.prepare_save()))  # the engine: on this thread
                except DivergedError as error:
                    self._diverge(member, session.trainer.step_count, str(error))
            for future in [pool.submit(session.write_saved, save) for session, save in pending]:
                future.result()  # a write that failed (a full disk) is raised here, as one error
            reporter.phase_advance(min(done + PHASE_CHUNK, len(todo)))
        return True

    def _unsaved(self) -> list[int]:
        """The live members whose latest step is not saved yet."""
        return [
            m
            for m, session in enumerate(self.sessions)
            if m not in self.diverged and session.saved_step != session.trainer.step_count
        ]

    def _score_all(
        self, reporter: SweepReporter, pool: ThreadPoolExecutor, stopped: Callable[[], bool]
    ) -> list[dict[str, Any]] | None:
        """Every member's summary row (:meth:`summary_rows`), chunk by chunk, in parallel; None if
        ``stopped`` cut it short."""
        reporter.phase("scoring", len(self.sessions))
        rows: list[dict[str, Any]] = []
        draws: dict[int, EvaluationDraws] = {}
        for done in range(0, len(self.sessions), PHASE_CHUNK):
            if stopped():
                return None
            chunk = range(done, min(done + PHASE_CHUNK, len(self.sessions)))
            weights = [None if m in self.diverged else self._weights(m) for m in chunk]  # on this thread
            rows.extend(pool.map(self._row, chunk, weights, [self._draws(m, draws) for m in chunk]))
            reporter.phase_advance(chunk.stop)
        return rows

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

    def live_numbers(self) -> dict[str, float]:
        """What the progress bar shows: median W1 of the live members, and how many of them look
        collapsed or diverged by the verdict's own rules (in its order: diverged first)."""
        live = {m: row for m, row in self.latest_quality.items() if m not in self.diverged}
        w1 = [row["w1"] for row in live.values() if "w1" in row]
        collapses = blow_ups = 0
        for member, row in live.items():
            if "spread" not in row:
                continue
            law = self.sessions[member].trainer.artist.law
            if blown_up(row["w1"], row["residual"], row["in_bounds"], row["spread"], row["d_accuracy"], law):
                blow_ups += 1
            elif collapsing(row["spread"], row["coverage"], law):
                collapses += 1
        return {
            "w1_median": float(np.median(w1)) if w1 else math.nan,
            "collapsing": collapses,
            "diverged": len(self.diverged) + blow_ups,  # the guard's, and G's that the verdict calls so
        }

    def summary_rows(self) -> list[dict[str, Any]]:
        """Every member scored as ``gancurve evaluate`` scores a run (the same samples and seed)."""
        draws: dict[int, EvaluationDraws] = {}
        return [
            self._row(m, None if m in self.diverged else self._weights(m), self._draws(m, draws))
            for m in range(len(self.sessions))
        ]

    def _weights(self, member: int) -> dict[str, Weights]:
        """The weights a member paints with (its moving average's, when it keeps one): copies."""
        return self.sessions[member].trainer.state().weights_to_use()

    def _draws(self, member: int, cache: dict[int, EvaluationDraws]) -> EvaluationDraws:
        """The evaluation's draws for a member: one set per part (its members differ only by seed,
        which the draws do not depend on)."""
        part = next(index for index, part in enumerate(self.parts) if member in part.members)
        if part not in cache:
            cache[part] = evaluation_draws(self.sessions[member].config, EVALUATE_SAMPLES, EVALUATE_SEED)
        return cache[part]

    def _row(self, member: int, weights: dict[str, Weights] | None, draws: EvaluationDraws) -> dict[str, Any]:
        """One member's summary row from its ``weights`` (None: it diverged); safe in a thread."""
        seed, session = self.seeds[member], self.sessions[member]
        if member in self.diverged or weights is None:
            problem = self.diverged[member]
            return member_row(seed, session.run.name, problem.step, "diverged", problem.message, None)
        return scored_row(seed, session.run.name, session.trainer.step_count, weights, session.config, draws)


def scored_row(
    seed: int, run: str, step: int, weights: dict[str, Weights], config: TrainConfig, draws: EvaluationDraws
) -> dict[str, Any]:
    """A trained member's summary row, scored from the ``weights`` it paints with as ``gancurve
    evaluate`` scores a run (the same samples and seed); safe in a thread."""
    generator, judged = score_generator(weights, config, draws)
    return member_row(seed, run, step, judged.label, judged.reason, generator)


def write_summaries(
    parts: list[SweepPart], grid: GridDir | None, by_part: list[list[dict[str, Any]]], steps: int
) -> list[RecipeOutcome] | None:
    """Each part's summary from its rows, then the grid's (returned: each recipe against the first;
    None for a sweep); a write that fails says how to finish later (at ``steps``)."""
    try:
        for part, part_rows in zip(parts, by_part, strict=True):
            part.sweep.write_summary(part_rows, aggregate(part_rows))
        if grid is None:
            return None
        labels, slugs = [part.label for part in parts], [part.sweep.name for part in parts]
        recipes = compare_recipes(labels, slugs, by_part)
        write_grid_summary(grid, recipes)
        return recipes
    except GancurveError as error:
        place = grid.path if grid is not None else parts[0].sweep.path
        raise GancurveError(
            f"{error} Every member is trained and saved; once that is fixed, finish the summary "
            f"with: {resume_command(place, steps)}"
        ) from error


class SweepReporter(Protocol):
    """What a sweep's progress display needs (the CLI draws it; tests may record it)."""

    def start(self, total: int, done: int, members: int) -> None:
        """The sweep begins at ``done`` of ``total`` steps, with ``members`` members."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Every live member has reached ``step``; ``row`` has the live numbers."""

    def phase(self, name: str, total: int) -> None:
        """Training is over: ``name`` (saving, scoring) begins, for ``total`` members."""

    def phase_advance(self, done: int) -> None:
        """``done`` members of the current phase are done."""


class SilentSweepReporter:
    """A sweep reporter that shows nothing (library use, tests)."""

    def start(self, total: int, done: int, members: int) -> None:
        """Nothing to show."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Nothing to show."""

    def phase(self, name: str, total: int) -> None:
        """Nothing to show."""

    def phase_advance(self, done: int) -> None:
        """Nothing to show."""
