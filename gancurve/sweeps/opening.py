"""Opening a sweep or a grid: its directories, its locks, its engine and its members' sessions.

A fresh sweep (or grid) that fails or is stopped before any member saved is removed again; a
resumed one continues member by member from each member's own checkpoint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from gancurve.core.config import TrainConfig
from gancurve.core.engines.batched import BatchedEngine, Member
from gancurve.core.recipes import Choices
from gancurve.errors import GancurveError, UsageError
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.grids import GridDir
from gancurve.store.lock import run_lock
from gancurve.store.provenance import provenance
from gancurve.store.rundir import GRID_FILE, LOCK_FILE, RunDir, is_grid
from gancurve.store.runs import create_run
from gancurve.store.saved import Checkpoint
from gancurve.store.sweeps import (
    SWEEP_FORMAT_VERSION,
    SweepDir,
    checked_seeds,
    create_sweep,
    discard_sweep,
    find_sweep,
)
from gancurve.sweeps.grid import GridPoint, GridRecipe
from gancurve.sweeps.session import SweepPart, SweepSession
from gancurve.training.cadence import Cadence, CadenceOptions, resolve_cadence, saved_cadence
from gancurve.training.resume import resume_config
from gancurve.training.session import TrainingSession


@dataclass(frozen=True)
class SweepRequest:
    """What ``gancurve sweep`` was asked for, before anything touches the disk."""

    runs_dir: Path
    name: str | None
    seeds: tuple[int, ...] | None  # None: a resumed sweep's own seeds
    cadence: Cadence | CadenceOptions  # options: what was given; a resume fills the rest from sweep.json
    choices: Choices  # the training choices asked for, shared by a grid's recipes (never the seed)
    resume: bool = False
    force: bool = False
    device: str = "cpu"  # a resolved device: cpu (the compiled engine) or a torch device
    grid: tuple[GridRecipe, ...] = ()  # a grid's recipes (options given several values); () for one


def sweep_facts(
    seeds: tuple[int, ...],
    config: TrainConfig,
    hyperparameters: dict[str, Any],
    cadence: Cadence,
    device: str,
) -> dict[str, Any]:
    """What ``sweep.json`` (and, less the config, ``grid.json``) records."""
    return {
        "format": SWEEP_FORMAT_VERSION,
        "seeds": list(seeds),
        "config": config.to_dict(),  # every member's, but for its seed
        "hyperparameters": hyperparameters,  # the ones given explicitly
        "cadence": asdict(cadence),
        "device": device,
        "engine": "fast",
        **provenance(),
    }


@dataclass
class SweepPlan:
    """A sweep's or grid's directories, opened and locked, before any engine is made: each part (a
    sweep directory, its config, its recipe's label), the seeds, the cadence; what a resume records
    in sweep.json once it is sure to train (:meth:`record`)."""

    parts: list[tuple[SweepDir, TrainConfig, str]]
    seeds: tuple[int, ...]
    cadence: Cadence
    grid: GridDir | None
    resume: bool
    records: list[tuple[SweepDir, dict[str, Any]]] = field(default_factory=list)

    def record(self) -> None:
        """Write the resumed parts' sweep.json (their cadence and hyperparameters as continued)."""
        for sweep, facts in self.records:
            sweep.write_facts(facts)


@contextlib.contextmanager
def open_sweep(request: SweepRequest) -> Iterator[SweepSession]:
    """A fresh sweep or grid, or an existing one resumed, with every lock held."""
    with open_plan(request) as plan:
        session = _build(plan.parts, plan.seeds, request, plan.cadence, plan.grid, plan.resume)
        plan.record()
        yield session


@contextlib.contextmanager
def open_plan(request: SweepRequest) -> Iterator[SweepPlan]:
    """The directories of a fresh sweep or grid (made), or of an existing one resumed, with every
    lock held; a fresh one that fails before any member saved is removed again."""
    if request.resume:
        if request.name is None:
            raise UsageError("--resume needs the sweep's --name.")
        if request.grid:
            raise UsageError("A grid resumes with its own recipes; give each option one value (or none).")
        place = find_sweep(request.runs_dir, request.name, grids=True)
        opened = (
            _resume_grid(GridDir(place.path), request) if is_grid(place.path) else _resume(place, request)
        )
        with opened as plan:
            yield plan
        return
    if request.seeds is None:
        raise UsageError("Which seeds? Give --seeds, e.g. --seeds 1-100.")
    recipes = request.grid or (GridRecipe(GridPoint({}), request.choices),)
    configs = [recipe.choices.config for recipe in recipes]
    cadence = resolve_cadence(request.cadence)
    place = create_sweep(request.runs_dir, request.name)
    grid = GridDir(place.path) if request.grid else None
    sweeps = [SweepDir(place.path / recipe.point.slug) for recipe in recipes] if grid else [place]
    try:
        with contextlib.ExitStack() as stack:
            if grid is not None:
                stack.enter_context(run_lock(RunDir(grid.path), "Grid"))
                grid.write_facts(_grid_facts(request, recipes, cadence))
            parts = []
            for sweep, recipe, config in zip(sweeps, recipes, configs, strict=True):
                sweep.path.mkdir(exist_ok=True)
                stack.enter_context(run_lock(RunDir(sweep.path), "Sweep"))
                sweep.write_facts(
                    sweep_facts(request.seeds, config, recipe.choices.asked(), cadence, request.device)
                )
                members = [create_run(sweep.path, sweep.member(seed).name) for seed in request.seeds]
                stack.enter_context(_member_locks(members))
                parts.append((sweep, config, recipe.point.label))
            yield SweepPlan(parts, request.seeds, cadence, grid, resume=False)
    except BaseException:
        for sweep in sweeps:
            discard_sweep(sweep, list(request.seeds))
        if grid is not None and not any(sweep.path.exists() for sweep in sweeps):
            _discard_grid(grid)
        raise


def _grid_facts(request: SweepRequest, recipes: tuple[GridRecipe, ...], cadence: Cadence) -> dict[str, Any]:
    assert request.seeds is not None
    return {
        "format": SWEEP_FORMAT_VERSION,
        "seeds": list(request.seeds),
        "recipes": [
            {
                "label": r.point.label,
                "sweep": r.point.slug,
                "values": r.point.values,
                "hyperparameters": r.choices.asked(),
            }
            for r in recipes
        ],
        "cadence": asdict(cadence),
        "device": request.device,
        **provenance(),
    }


def _discard_grid(grid: GridDir) -> None:
    """Remove a grid none of whose recipes kept anything (what is left there stays)."""
    for leftover in (GRID_FILE, LOCK_FILE):
        with contextlib.suppress(OSError):
            (grid.path / leftover).unlink()
    with contextlib.suppress(OSError):
        grid.path.rmdir()


@contextlib.contextmanager
def _resume(sweep: SweepDir, request: SweepRequest) -> Iterator[SweepPlan]:
    facts = sweep.read_facts()
    seeds = _seeds(sweep.name, facts, request)
    cadence = resolve_cadence(request.cadence, saved_cadence(facts))
    choices = request.choices.at(cadence.steps)
    config = resume_config(_saved_config(sweep, facts), choices, request.force)
    with _locked(sweep, seeds):
        given = {**facts.get("hyperparameters", {}), **choices.asked()}
        record = (sweep, sweep_facts(seeds, config, given, cadence, request.device))
        yield SweepPlan([(sweep, config, "")], seeds, cadence, None, resume=True, records=[record])


@contextlib.contextmanager
def _resume_grid(grid: GridDir, request: SweepRequest) -> Iterator[SweepPlan]:
    facts = grid.read_facts()
    facts["seeds"] = checked_seeds(facts.get("seeds"), grid.path / GRID_FILE)  # as --seeds is checked
    seeds = _seeds(grid.name, facts, request)
    cadence = resolve_cadence(request.cadence, saved_cadence(facts))
    choices = request.choices.at(cadence.steps)
    with contextlib.ExitStack() as stack:
        stack.enter_context(run_lock(RunDir(grid.path), "Grid"))
        parts, records = [], []
        for recipe in facts["recipes"]:
            sweep = SweepDir(grid.path / str(recipe["sweep"]))
            sweep_facts_ = sweep.read_facts()
            config = resume_config(_saved_config(sweep, sweep_facts_), choices, request.force)
            stack.enter_context(_locked(sweep, seeds))
            parts.append((sweep, config, str(recipe.get("label", sweep.name))))
            given = {**sweep_facts_.get("hyperparameters", {}), **choices.asked()}
            records.append((sweep, sweep_facts(seeds, config, given, cadence, request.device)))
        yield SweepPlan(parts, seeds, cadence, grid, resume=True, records=records)


def _seeds(name: str, facts: dict[str, Any], request: SweepRequest) -> tuple[int, ...]:
    seeds = tuple(facts["seeds"])
    if request.seeds is not None and request.seeds != seeds:
        raise UsageError(
            f"Sweep {name!r} trains its own seeds; drop --seeds to resume it "
            "(or start a new sweep with --name)."
        )
    return seeds


def _saved_config(sweep: SweepDir, facts: dict[str, Any]) -> TrainConfig:
    try:
        return TrainConfig.from_dict(facts["config"])
    except (KeyError, ValueError, TypeError) as error:
        raise GancurveError(f"{sweep.path}/sweep.json is damaged: {error}.") from error


@contextlib.contextmanager
def _locked(sweep: SweepDir, seeds: tuple[int, ...]) -> Iterator[None]:
    """The sweep's lock, and each existing member's."""
    with run_lock(RunDir(sweep.path), "Sweep"):
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
    parts: list[tuple[SweepDir, TrainConfig, str]],
    seeds: tuple[int, ...],
    request: SweepRequest,
    cadence: Cadence,
    grid: GridDir | None,
    resume: bool,
) -> SweepSession:
    """One engine for every member of every part (recipe after recipe, seed after seed)."""
    configs = [replace(config, seed=seed) for _, config, _ in parts for seed in seeds]
    try:
        engine = _make_engine(configs, request.device)
    except ValueError as error:  # members of one engine share its arrays' shapes
        raise UsageError(f"The recipes of one grid must share the network and batch: {error}.") from error
    sessions, sweep_parts = [], []
    for index, (sweep, _, label) in enumerate(parts):
        first = index * len(seeds)
        sweep_parts.append(SweepPart(sweep, seeds, first, label))
        for offset, seed in enumerate(seeds):
            member = Member(engine, first + offset)
            sessions.append(
                _member_session(sweep, seed, member, configs[first + offset], cadence, request, resume)
            )
    session = SweepSession(sweep_parts, sessions, grid)
    # At its total already: a resume only saves what is not saved and (re)writes the summary, so a
    # sweep stopped between its last step and its summary can always be finished.
    reached = int(engine.steps.max())
    if resume and reached > cadence.steps:
        name = grid.name if grid is not None else parts[0][0].name
        raise UsageError(
            f"Sweep {name!r} is already at step {reached}; --steps is the total, so ask for more."
        )
    return session


def _member_session(
    sweep: SweepDir,
    seed: int,
    member: Member,
    config: TrainConfig,
    cadence: Cadence,
    request: SweepRequest,
    resume: bool,
) -> TrainingSession:
    run = sweep.member(seed)
    if not run.path.is_dir():
        run = create_run(sweep.path, run.name)
    session = TrainingSession(run, config, cadence, member.device, "fast", member, critic_frames=False)
    if resume and run.existing_checkpoint() is not None:
        session.restore(member_checkpoint(sweep, seed, config, request.force))
    return session


def member_checkpoint(sweep: SweepDir, seed: int, config: TrainConfig, force: bool) -> Checkpoint:
    """The checkpoint of the member of ``seed`` a resume continues, checked to be that member's: its
    seed, and the sweep's hyperparameters (other ones only with ``force``)."""
    run = sweep.member(seed)
    checkpoint = load_checkpoint(run)
    if checkpoint.config.seed != seed:
        raise GancurveError(f"{run.path} holds seed {checkpoint.config.seed}, not {seed}.")
    changes = checkpoint.config.differences(config)
    if changes and not force:
        raise UsageError(
            f"Member {run.name} of sweep {sweep.name!r} was trained with other hyperparameters "
            f"({'; '.join(changes)}); resume with --force to continue it with the sweep's."
        )
    return checkpoint
