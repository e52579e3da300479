"""Training a sweep: one engine for every member, one run directory kept per member.

The loop is the single run's (:class:`~gancurve.training.session.TrainingSession`), with a
model axis: the engine advances every member to the next step the cadence cares about, then
each member's session logs, evaluates, snapshots and checkpoints its own run directory. A
member that diverges is recorded and frozen; the others go on.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gancurve import __version__
from gancurve.core.config import EVALUATE_SAMPLES, EVALUATE_SEED, TrainConfig
from gancurve.core.engines.batched import BatchedEngine, Member
from gancurve.core.metrics import COLLAPSED_MAX_SPREAD, COLLAPSED_MIN_COVERAGE
from gancurve.errors import GancurveError, UsageError
from gancurve.evaluation import evaluate_weights
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.lock import run_lock
from gancurve.store.rundir import RunDir
from gancurve.store.runs import create_run
from gancurve.sweep.store import (
    SWEEP_FORMAT_VERSION,
    SweepDir,
    create_sweep,
    discard_sweep,
    find_sweep,
)
from gancurve.sweep.summary import aggregate, member_row
from gancurve.training.cadence import Cadence
from gancurve.training.guard import DivergedError
from gancurve.training.resume import resume_config
from gancurve.training.session import Outcome, Reporter, TrainingSession
from gancurve.training.signals import StopFlag

#: Model-steps one engine call may take at most: a stop request waits for the call (~0.6 s).
CALL_MODEL_STEPS = 16_384


@dataclass(frozen=True)
class SweepRequest:
    """What ``gancurve sweep`` was asked for, before anything touches the disk."""

    runs_dir: Path
    name: str | None
    seeds: tuple[int, ...] | None  # None: a resumed sweep's own seeds
    cadence: Cadence
    hyperparameters: dict[str, Any]  # only the ones the user gave explicitly (never the seed)
    resume: bool = False
    force: bool = False
    device: str = "cpu"  # a resolved device: cpu (the compiled engine) or a torch device


@dataclass
class Diverged:
    """A member that blew up: where, and what the guard said."""

    step: int
    message: str


@dataclass
class SweepOutcome:
    """How a sweep session ended."""

    sweep: SweepDir
    step: int
    rows: list[dict[str, Any]]
    aggregate: dict[str, Any]
    interrupted_by: int | None = None
    warnings: list[str] = field(default_factory=list)
    device: str = "cpu"


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

    def __init__(self, sweep: SweepDir, seeds: tuple[int, ...], sessions: list[TrainingSession]) -> None:
        self.sweep, self.seeds, self.sessions = sweep, seeds, sessions
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
            self._save_all()
        rows = self.summary_rows()
        outcome = aggregate(rows)
        self.sweep.write_summary(rows, outcome)
        warnings = [f"{self.sessions[m].run.name}: {d.message}" for m, d in sorted(self.diverged.items())]
        if self.engine.notice:
            warnings.insert(0, self.engine.notice)
        device = self.sessions[0].device
        return SweepOutcome(self.sweep, self.step, rows, outcome, stop.signal, warnings, device)

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
        rows = [row for m, row in self.latest_quality.items() if m not in self.diverged]
        w1 = [row["w1"] for row in rows if "w1" in row]
        collapsing = sum(
            1
            for row in rows
            if "spread" in row
            and (row["spread"] < COLLAPSED_MAX_SPREAD or row["coverage"] < COLLAPSED_MIN_COVERAGE)
        )
        return {
            "w1_median": float(np.median(w1)) if w1 else math.nan,
            "collapsing": collapsing,
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
            weights = trainer.state().weights
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


def sweep_facts(
    seeds: tuple[int, ...],
    config: TrainConfig,
    hyperparameters: dict[str, Any],
    cadence: Cadence,
    device: str,
) -> dict[str, Any]:
    """What ``sweep.json`` records."""
    torch = sys.modules.get("torch")
    return {
        "format": SWEEP_FORMAT_VERSION,
        "seeds": list(seeds),
        "config": config.to_dict(),  # every member's, but for its seed
        "hyperparameters": hyperparameters,  # the ones given explicitly
        "cadence": asdict(cadence),
        "device": device,
        "engine": "fast",
        "gancurve_version": __version__,
        "numpy_version": np.__version__,
        "torch_version": getattr(torch, "__version__", None),
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@contextlib.contextmanager
def open_sweep(request: SweepRequest) -> Iterator[SweepSession]:
    """A fresh sweep, or an existing one resumed member by member, with every lock held.

    A fresh sweep that fails or is stopped before any member saved is removed again.
    """
    if request.resume:
        if request.name is None:
            raise UsageError("--resume needs the sweep's --name.")
        sweep = find_sweep(request.runs_dir, request.name)
        facts = sweep.read_facts()
        seeds = tuple(facts["seeds"])
        if request.seeds is not None and request.seeds != seeds:
            raise UsageError(
                f"Sweep {sweep.name!r} trains its own seeds; drop --seeds to resume it "
                "(or start a new sweep with --name)."
            )
        try:
            saved = TrainConfig.from_dict(facts["config"])
        except (KeyError, ValueError, TypeError) as error:
            raise GancurveError(f"{sweep.path}/sweep.json is damaged: {error}.") from error
        config = resume_config(saved, request.hyperparameters, request.force)
        with _locked(sweep, seeds):
            session = _build(sweep, seeds, config, request, resume=True)
            given = {**facts.get("hyperparameters", {}), **request.hyperparameters}
            sweep.write_facts(sweep_facts(seeds, config, given, request.cadence, request.device))
            yield session
        return
    if request.seeds is None:
        raise UsageError("Which seeds? Give --seeds, e.g. --seeds 1-100.")
    try:
        config = TrainConfig(**request.hyperparameters)
    except ValueError as error:
        raise UsageError(f"Invalid hyperparameters: {error}.") from error
    seeds = request.seeds
    sweep = create_sweep(request.runs_dir, request.name)
    try:
        with _locked(sweep, ()):
            sweep.write_facts(
                sweep_facts(seeds, config, request.hyperparameters, request.cadence, request.device)
            )
            members = [create_run(sweep.path, sweep.member(seed).name) for seed in seeds]
            with _member_locks(members):
                yield _build(sweep, seeds, config, request, resume=False)
    except BaseException:
        discard_sweep(sweep, list(seeds))
        raise


@contextlib.contextmanager
def _locked(sweep: SweepDir, seeds: tuple[int, ...]) -> Iterator[None]:
    """The sweep's lock, and each existing member's."""
    with run_lock(RunDir(sweep.path)):
        members = [sweep.member(seed) for seed in seeds if sweep.member(seed).path.is_dir()]
        with _member_locks(members):
            yield


@contextlib.contextmanager
def _member_locks(members: list[RunDir]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for member in members:
            stack.enter_context(run_lock(member))
        yield


def _make_engine(configs: list[TrainConfig], device: str) -> BatchedEngine:
    """The compiled engine on the CPU; the torch one (a CUDA graph on CUDA) elsewhere."""
    if device == "cpu":
        return BatchedEngine(configs)
    from gancurve.core.engines.batched_torch import TorchBatchedEngine

    return TorchBatchedEngine(configs, device)


def _build(
    sweep: SweepDir, seeds: tuple[int, ...], config: TrainConfig, request: SweepRequest, resume: bool
) -> SweepSession:
    configs = [replace(config, seed=seed) for seed in seeds]
    engine = _make_engine(configs, request.device)
    sessions = []
    for index, (seed, member_config) in enumerate(zip(seeds, configs, strict=True)):
        run = sweep.member(seed)
        if not run.path.is_dir():
            run = create_run(sweep.path, run.name)
        member = Member(engine, index)
        session = TrainingSession(run, member_config, request.cadence, member.device, "fast", member)
        if resume and run.existing_checkpoint() is not None:
            checkpoint = load_checkpoint(run)
            if checkpoint.config.seed != seed:
                raise GancurveError(f"{run.path} holds seed {checkpoint.config.seed}, not {seed}.")
            changes = checkpoint.config.differences(member_config)
            if changes and not request.force:
                raise UsageError(
                    f"Member {run.name} of sweep {sweep.name!r} was trained with other hyperparameters "
                    f"({'; '.join(changes)}); resume with --force to continue it with the sweep's."
                )
            session.restore(checkpoint)
        sessions.append(session)
    sweep_session = SweepSession(sweep, seeds, sessions)
    if resume and sweep_session.step >= request.cadence.steps:
        raise UsageError(
            f"Sweep {sweep.name!r} is already at step {sweep_session.step}; "
            "--steps is the total, so ask for more."
        )
    return sweep_session
