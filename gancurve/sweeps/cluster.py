"""Sweeps and grids on a Dask cluster (``gancurve sweep --cluster local:N|tcp://host:port``).

The study is cut into *shards*: one recipe × a block of seeds, each one ordinary in-process sweep
(:func:`~gancurve.sweeps.opening.open_sweep`, the same compiled engine, cadence and scoring) that a
Dask worker trains in a scratch directory of its own and sends back as bytes: every member's run
files and its summary row. The client writes each member atomically as its shard arrives, then the
summaries with the in-process sweep's own code — the same sweep directory, and the same bytes, as
``gancurve sweep`` of the same seeds on the CPU (member k of a shard is the run of its seed, alone or
among thousands). No shared filesystem is needed; a killed client resumes with ``--resume``, which
trains only the members not written yet.

``distributed`` is imported only here, and only when a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import math
import re
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gancurve.core.config import EVALUATE_SAMPLES, EVALUATE_SEED, TrainConfig
from gancurve.core.recipes import Choices
from gancurve.errors import GancurveError, UsageError
from gancurve.results.evaluation import evaluation_draws
from gancurve.store.sweeps import SweepDir, discard_summary
from gancurve.sweeps.opening import (
    SweepPlan,
    SweepRequest,
    member_checkpoint,
    open_plan,
    open_sweep,
    sweep_facts,
)
from gancurve.sweeps.session import (
    PHASE_THREADS,
    SilentSweepReporter,
    SweepOutcome,
    SweepPart,
    scored_row,
    write_summaries,
)
from gancurve.sweeps.summary import aggregate
from gancurve.training.cadence import Cadence
from gancurve.training.signals import StopFlag, StoppedError

#: How ``--cluster`` names a LocalCluster of N worker processes on this machine.
LOCAL = re.compile(r"local:([0-9]{1,4})")
#: The most worker processes ``local:N`` starts.
LOCAL_WORKERS_MAX = 1024
#: Seconds to reach a scheduler before saying it is unreachable (nothing is created before).
CONNECT_SECONDS = 5
#: Model-steps (steps × members) one shard trains at most: ~30 s of one core at the ~8,000
#: model-steps/s one worker thread trains (benchmarks/bench_cluster.py), so Dask's overhead per
#: shard (well under a second) stays a few percent, and a worker lost mid-shard costs ≤ 30 s again.
SHARD_MODEL_STEPS = 250_000
#: At least this many shards per worker, when the study is small enough to be cut finer: the
#: workers finish together (the last shard is the only one that can leave another worker idle).
SHARDS_PER_WORKER = 2
#: How often the client looks for finished shards and the stop flag, and redraws the bar (seconds).
POLL_SECONDS = 0.2
#: The packages whose versions decide the numbers: a worker running others is refused.
VERSIONED = ("gancurve", "numpy", "numba", "torch", "safetensors")
#: The one line a missing ``distributed`` gives.
MISSING = (
    "A sweep on a cluster needs Dask's distributed: "
    "pipx install 'gancurve[cluster]' (or pip install distributed)."
)


@dataclass(frozen=True)
class ClusterSpec:
    """Where a study's shards train: a LocalCluster of ``local_workers`` processes, the scheduler at
    ``address``, or a ``client`` the caller owns (``distributed.Client``); ``shard_members``: members
    per shard (None: :func:`shard_size`'s rule)."""

    address: str | None = None
    local_workers: int | None = None
    client: Any = None
    shard_members: int | None = None


def cluster_spec(value: object) -> ClusterSpec:
    """``--cluster``'s text (``local:N``, ``tcp://host:port``) or the API's ``distributed.Client`` as a
    :class:`ClusterSpec`; anything else is a :class:`UsageError`."""
    if isinstance(value, ClusterSpec):
        return value
    if isinstance(value, str):
        text = value.strip()
        local = LOCAL.fullmatch(text)
        if local:
            workers = int(local[1])
            if not 1 <= workers <= LOCAL_WORKERS_MAX:
                raise UsageError(f"--cluster local:N takes 1 to {LOCAL_WORKERS_MAX} workers, got {workers}.")
            return ClusterSpec(local_workers=workers)
        if re.fullmatch(r"([a-z]+://)?[^\s/]+:[0-9]+", text):
            return ClusterSpec(address=text)
        raise UsageError(
            f"--cluster takes local:N (N worker processes here) or a Dask scheduler's address "
            f"(tcp://host:8786), got {value!r}."
        )
    distributed = import_distributed()
    if isinstance(value, distributed.Client):
        return ClusterSpec(client=value)
    raise UsageError(
        f"cluster= takes 'local:N', a scheduler's address or a distributed.Client, got {value!r}."
    )


def import_distributed() -> Any:
    """Dask's ``distributed``, or the one line that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise GancurveError(MISSING) from None
    return distributed


def device_on_cluster(name: str) -> str:
    """The device a study trains on, on its workers: ``auto`` is their CPUs (every worker the same
    engine, whatever the client has); ``cuda`` their GPUs, checked on each worker."""
    from gancurve.device import DEVICE_CHOICES

    if name not in DEVICE_CHOICES:
        raise UsageError(f"Unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}.")
    return "cpu" if name == "auto" else name


# -- connecting, and the workers' versions ----------------------------------------------------------


@contextlib.contextmanager
def connect(spec: ClusterSpec) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec``, its workers' versions checked; a LocalCluster started
    here (one thread and one numba thread per worker process) is closed again. An unreachable
    scheduler is one :class:`GancurveError` after ``CONNECT_SECONDS``."""
    distributed = import_distributed()
    if spec.client is not None:
        check_workers(spec.client)
        yield spec.client
        return
    with contextlib.ExitStack() as stack:
        if spec.local_workers is not None:
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=spec.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # (None still binds 8787, and warns when it is taken)
                    silence_logs=logging.ERROR,  # a worker lost and replaced is the study's business
                    env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
            from gancurve.sweeps.worker_plugin import CtrlCIsTheClients

            client.register_plugin(CtrlCIsTheClients())
        else:
            try:
                client = distributed.Client(spec.address, timeout=CONNECT_SECONDS)
            except ValueError as error:  # an address distributed cannot read (a scheme, a port)
                raise UsageError(f"--cluster {spec.address}: {error}.") from None
            except (OSError, TimeoutError) as error:
                raise GancurveError(
                    f"Cannot reach the Dask scheduler at {spec.address} within {CONNECT_SECONDS} s "
                    f"({type(error).__name__}); is it running, and is the address right? Nothing was created."
                ) from None
            stack.enter_context(client)
        check_workers(client)
        yield client


def versions() -> dict[str, str | None]:
    """This process's versions of the packages that decide the numbers (None: not installed)."""
    import numba

    import gancurve.version

    found: dict[str, str | None] = {
        "gancurve": gancurve.version.__version__,  # (read at call time: a test fakes it on a worker)
        "numpy": np.__version__,
        "numba": numba.__version__,
    }
    for name in VERSIONED[3:]:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def version_problem(worker: str, theirs: dict[str, str | None], ours: dict[str, str | None]) -> str | None:
    """The one line refusing ``worker`` when a version differs from the client's, or None."""
    for name in VERSIONED:
        if theirs.get(name) != ours.get(name):
            return (
                f"Worker {worker} runs {name} {theirs.get(name) or '(none)'}, this client {name} "
                f"{ours.get(name) or '(none)'}: every worker must run the client's gancurve, numpy, "
                "numba and torch, or the members would not be the same numbers; install the same versions."
            )
    return None


def check_workers(client: Any) -> None:
    """Refuse the cluster when a connected worker runs other versions (before anything is created)."""
    ours = versions()
    for worker, theirs in sorted(client.run(versions).items()):
        problem = version_problem(worker, theirs, ours)
        if problem:
            raise GancurveError(problem)


# -- a shard, on a worker --------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFiles:
    """One member's run files (``RunDir.read_files``), by seed."""

    seed: int
    files: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Shard:
    """One recipe × a block of seeds: what a worker trains in one engine call."""

    part: int  # the recipe's index (its sweep directory's)
    config: TrainConfig  # the recipe's (each member's but for its seed)
    seeds: tuple[int, ...]
    cadence: Cadence
    device: str
    force: bool
    versions: dict[str, str | None]  # the client's: a worker that runs others refuses
    existing: tuple[MemberFiles, ...] = ()  # members continued from their files (a resume)


@dataclass(frozen=True)
class ShardResult:
    """What a worker sends back: each member's files and summary row, in the shard's seed order."""

    part: int
    members: tuple[MemberFiles, ...]
    rows: tuple[dict[str, Any], ...]
    diverged: tuple[tuple[int, str], ...]  # (seed, what the guard said)
    notice: str | None


def train_shard(shard: Shard) -> ShardResult:
    """Train ``shard`` as the in-process sweep of its seeds, in a scratch directory on this worker,
    and return its members' files and rows (the task every worker runs)."""
    from gancurve.core.engines import kernel

    worker, scratch_root = _this_worker()
    problem = version_problem(worker, versions(), shard.versions)
    if problem:
        raise GancurveError(problem)
    kernel.limit_threads(1)  # one numba thread per worker thread: the machine's cores, not N × them
    if shard.device != "cpu":  # --device cuda: this worker's GPU (the client needs none)
        from gancurve.device import select_device

        try:
            select_device(shard.device)
        except GancurveError as error:
            raise GancurveError(f"Worker {worker}: {error}") from None
    with tempfile.TemporaryDirectory(prefix="gancurve-shard-", dir=scratch_root) as scratch:
        sweep = SweepDir(Path(scratch) / "shard")
        sweep.path.mkdir()
        sweep.write_facts(sweep_facts(shard.seeds, shard.config, {}, shard.cadence, shard.device))
        for member in shard.existing:
            run = sweep.member(member.seed)
            run.path.mkdir()
            run.write_files(member.files)
        request = SweepRequest(
            runs_dir=Path(scratch),
            name=sweep.name,
            seeds=None,
            cadence=shard.cadence,
            choices=Choices(shard.config, frozenset()),
            resume=True,
            force=shard.force,
            device=shard.device,
        )
        with open_sweep(request) as session:
            outcome = session.train(SilentSweepReporter(), StopFlag())
            diverged = tuple((session.seeds[m], d.message) for m, d in sorted(session.diverged.items()))
        if outcome.interrupted_by is not None or outcome.aggregate is None:
            raise GancurveError(
                f"The shard of seeds {shard.seeds[0]}… stopped on {worker} before its summary."
            )
        members = tuple(MemberFiles(seed, sweep.member(seed).read_files()) for seed in shard.seeds)
    return ShardResult(shard.part, members, tuple(outcome.rows), diverged, session.engine.notice)


def _this_worker() -> tuple[str, str | None]:
    """This worker's address and its local directory (where a shard's scratch goes); outside a
    worker (a test calling the task itself), this process and the system's temporary directory."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return "(this process)", None
    return str(worker.address), str(worker.local_directory)


# -- the client -------------------------------------------------------------------------------------


class ClusterReporter(Protocol):
    """What the study's one progress bar needs (``progress.RichClusterReporter`` draws it)."""

    def start(self, total: int, done: int, members: int = 1) -> None:
        """The study has ``total`` members, ``done`` of them trained already."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """``step`` members are done; ``row``: the live numbers (running, workers, w1_median)."""


def shard_size(members: int, steps: int, workers: int) -> int:
    """Members per shard for ``members`` to train ``steps`` steps each on ``workers`` workers: as
    many as take ``SHARD_MODEL_STEPS`` (tens of seconds), but no more than leave every worker
    ``SHARDS_PER_WORKER`` shards."""
    by_time = max(1, SHARD_MODEL_STEPS // max(1, steps))
    by_spread = max(1, math.ceil(members / (SHARDS_PER_WORKER * max(1, workers))))
    return min(by_time, by_spread)


@dataclass
class _Study:
    """The client's book of a study: each part's rows by seed, what is left to train."""

    plan: SweepPlan
    rows: list[dict[int, dict[str, Any]]]  # by part, by seed
    todo: list[list[int]]  # by part: the seeds still to train, in order
    existing: dict[tuple[int, int], MemberFiles] = field(default_factory=dict)  # (part, seed): to continue
    start: dict[tuple[int, int], int] = field(default_factory=dict)  # (part, seed): its step, if not 0
    diverged: list[tuple[int, int, str]] = field(default_factory=list)  # (part, seed index, message)
    notice: str | None = None
    written: int = 0  # members written by this session

    @property
    def total(self) -> int:
        return len(self.plan.parts) * len(self.plan.seeds)

    def done(self) -> int:
        return sum(len(rows) for rows in self.rows)

    def w1_median(self) -> float:
        w1 = [row["w1"] for rows in self.rows for row in rows.values()]
        finite = [value for value in w1 if value is not None and math.isfinite(value)]
        return float(np.median(finite)) if finite else math.nan


@dataclass(frozen=True)
class ClusterRun:
    """How a study on a cluster went: the sweep's outcome and the model-steps trained here."""

    outcome: SweepOutcome
    model_steps: int  # trained by this session
    members: int  # the study's
    steps: int  # the total its members reach


def run_on_cluster(
    request: SweepRequest, spec: ClusterSpec, stop: StopFlag, reporter: ClusterReporter
) -> ClusterRun:
    """Train the sweep or grid ``request`` asks for on the cluster ``spec`` names (see the module)."""
    with connect(spec) as client, open_plan(request) as plan:
        study = _examine(plan, request.force)
        plan.record()
        shards = _shards(study, request, spec, client)
        model_steps = sum(
            plan.cadence.steps - study.start.get((shard.part, seed), 0)
            for shard in shards
            for seed in shard.seeds
        )
        if stop.signal is not None:
            kept = "the sweep is unchanged" if plan.resume else "no sweep was created"
            raise StoppedError(f"Stopped before training started; {kept}.", stop.signal)
        futures = [client.submit(train_shard, shard, pure=False) for shard in shards]
        reporter.start(study.total, study.total - sum(map(len, study.todo)), study.total)
        _score_done(study)
        _collect(study, client, futures, stop, reporter)
        if stop.signal is not None and not study.written and not plan.resume:
            # Nothing came back: as a fresh in-process sweep stopped before its first step, none is made.
            raise StoppedError("Stopped before any member was trained; no sweep was created.", stop.signal)
        outcome = _finish(study, stop, request.device)
    return ClusterRun(outcome, model_steps, study.total, plan.cadence.steps)


def _examine(plan: SweepPlan, force: bool) -> _Study:
    """Which members are trained already (their checkpoint at the total), which continue from a
    checkpoint, which start afresh; a member past the total is refused, as the in-process sweep does."""
    rows: list[dict[int, dict[str, Any]]] = [{} for _ in plan.parts]
    todo: list[list[int]] = [[] for _ in plan.parts]
    study = _Study(plan, rows, todo)
    for index, (sweep, config, _) in enumerate(plan.parts):
        for seed in plan.seeds:
            run = sweep.member(seed)
            if not plan.resume or run.existing_checkpoint() is None:
                todo[index].append(seed)
                continue
            checkpoint = member_checkpoint(sweep, seed, replace(config, seed=seed), force)
            if checkpoint.step > plan.cadence.steps:
                name = plan.grid.name if plan.grid is not None else sweep.name
                raise UsageError(
                    f"Sweep {name!r} is already at step {checkpoint.step}; --steps is the total, "
                    "so ask for more."
                )
            if checkpoint.step < plan.cadence.steps:
                todo[index].append(seed)
                study.existing[(index, seed)] = MemberFiles(seed, run.read_files())
                study.start[(index, seed)] = checkpoint.step
    return study


def _shards(study: _Study, request: SweepRequest, spec: ClusterSpec, client: Any) -> list[Shard]:
    """Each part's seeds still to train, cut into shards (recipe after recipe, seed after seed)."""
    workers = len(client.nthreads())
    ours = versions()
    shards = []
    for index, (_, config, _) in enumerate(study.plan.parts):
        seeds = study.todo[index]
        size = spec.shard_members or shard_size(len(seeds), study.plan.cadence.steps, workers)
        for first in range(0, len(seeds), size):
            block = tuple(seeds[first : first + size])
            existing = tuple(study.existing[(index, s)] for s in block if (index, s) in study.existing)
            shards.append(
                Shard(index, config, block, study.plan.cadence, request.device, request.force, ours, existing)
            )
    return shards


def _score_done(study: _Study) -> None:
    """The rows of the members trained before (a resume), scored here from their checkpoints as the
    in-process sweep scores them, in threads (the workers train meanwhile)."""
    from gancurve.store.checkpoint import load_checkpoint

    todo = [set(seeds) for seeds in study.todo]
    jobs = [
        (index, seed)
        for index in range(len(study.plan.parts))
        for seed in study.plan.seeds
        if seed not in todo[index]
    ]
    if not jobs:
        return
    draws = {
        index: evaluation_draws(config, EVALUATE_SAMPLES, EVALUATE_SEED)
        for index, (_, config, _) in enumerate(study.plan.parts)
    }

    def score(job: tuple[int, int]) -> tuple[int, int, dict[str, Any]]:
        index, seed = job
        sweep, config, _ = study.plan.parts[index]
        run = sweep.member(seed)
        checkpoint = load_checkpoint(run)
        weights = checkpoint.state.weights_to_use()
        return (
            index,
            seed,
            scored_row(seed, run.name, checkpoint.step, weights, replace(config, seed=seed), draws[index]),
        )

    with ThreadPoolExecutor(PHASE_THREADS) as pool:
        for index, seed, row in pool.map(score, jobs):
            study.rows[index][seed] = row


def _collect(
    study: _Study, client: Any, futures: list[Any], stop: StopFlag, reporter: ClusterReporter
) -> None:
    """Write each shard's members as it arrives, until every shard is in or a stop request (the
    shards finished when it came are written too); the shards left are cancelled. A shard taken is
    released at once: its files leave the worker's memory."""
    pending = list(futures)
    futures.clear()
    try:
        with ThreadPoolExecutor(PHASE_THREADS) as pool:
            while pending:
                finished = [future for future in pending if future.done()]
                for future in finished:
                    pending.remove(future)
                    _take(study, future, pool)
                    future.release()
                reporter.advance(study.done(), _live(study, client, len(pending)))
                if stop and pending:
                    return
                if not finished:
                    time.sleep(POLL_SECONDS)
    finally:
        if pending:
            client.cancel(pending)


def _take(study: _Study, future: Any, pool: ThreadPoolExecutor) -> None:
    """One finished shard: its members written (each atomically, in threads), its rows kept."""
    try:
        result: ShardResult = future.result()
    except GancurveError:
        raise
    except Exception as error:  # the worker's own failure, or Dask's (a shard whose workers kept dying)
        raise GancurveError(f"A shard failed on the cluster ({type(error).__name__}: {error}).") from error
    sweep, _, _ = study.plan.parts[result.part]
    for done in pool.map(lambda member: sweep.member(member.seed).write_files(member.files), result.members):
        del done
    study.written += len(result.members)
    for row in result.rows:
        study.rows[result.part][int(row["seed"])] = row
    order = {seed: i for i, seed in enumerate(study.plan.seeds)}
    study.diverged.extend((result.part, order[seed], message) for seed, message in result.diverged)
    study.notice = study.notice or result.notice


def _live(study: _Study, client: Any, pending: int) -> dict[str, float]:
    """The bar's live numbers: shards running, workers connected, median W1 of the members done."""
    try:
        threads = client.nthreads()
        running = sum(min(len(tasks), threads.get(w, 1)) for w, tasks in client.processing().items())
    except Exception:  # the bar must never stop the study (a scheduler briefly busy)
        threads, running = {}, 0
    return {"running": min(running, pending), "workers": len(threads), "w1_median": study.w1_median()}


def _finish(study: _Study, stop: StopFlag, device: str) -> SweepOutcome:
    """The summaries, once every member is in (the in-process sweep's own code); else none, and a
    summary the members have moved past is removed."""
    plan = study.plan
    place = plan.grid if plan.grid is not None else plan.parts[0][0]
    # A stop before the summary leaves none, as in-process (``--resume`` writes it, training nothing).
    complete = study.done() == study.total and stop.signal is None
    prefix = {
        index: (f"{sweep.name}/" if plan.grid is not None else "")
        for index, (sweep, _, _) in enumerate(plan.parts)
    }
    warnings = [
        f"{prefix[part]}{plan.parts[part][0].member(plan.seeds[at]).name}: {message}"
        for part, at, message in sorted(study.diverged)
    ]
    if study.notice:
        warnings.insert(0, study.notice)
    if not complete:
        if study.written:
            for sweep, _, _ in plan.parts:
                sweep.discard_summary()
            if plan.grid is not None:
                discard_summary(plan.grid.path)
        return SweepOutcome(
            place,
            _lowest_step(study),
            [],
            None,
            stop.signal,
            warnings,
            device,
            unsaved=study.total - study.done(),
        )
    parts = [
        SweepPart(sweep, plan.seeds, index * len(plan.seeds), label)
        for index, (sweep, _, label) in enumerate(plan.parts)
    ]
    by_part = [[study.rows[index][seed] for seed in plan.seeds] for index in range(len(plan.parts))]
    recipes = write_summaries(parts, plan.grid, by_part, plan.cadence.steps)
    rows = [row for part_rows in by_part for row in part_rows]
    return SweepOutcome(
        place, plan.cadence.steps, rows, aggregate(by_part[0]), None, warnings, device, recipes,
    )  # fmt: skip


def _lowest_step(study: _Study) -> int:
    """The step every member not yet written is at, for the message of a stopped study."""
    return 0 if any(study.todo) else study.plan.cadence.steps
