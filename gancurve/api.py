"""The Python API: train, sweep, load and look at runs from a script or a notebook.

::

    import gancurve as gc

    run = gc.train(steps=10_000, recipe="best", seed=3)
    run.sample(5)                     # ndarray (5, 15)
    q = run.evaluate()                # exact metrics and the verdict (an Evaluation)
    run.metrics                       # the metrics log, a pandas DataFrame
    run.plot()                        # the summary figure, a matplotlib Figure
    run = gc.train(steps=20_000, resume=run)   # continue, bit-exact as ``train --resume``
    study = gc.sweep(seeds=range(1, 101), recipe=["tutorial", "best"])   # lists make a grid
    study.summary; study.compare("tutorial", "best")
    gc.load("lesson"), gc.runs()

The keyword arguments are the training options of ``gancurve train`` (``TRAINING_OPTIONS``: the
declarations on :class:`~gancurve.core.config.TrainConfig`) plus what the commands take (``steps``,
``name``, ``runs_dir``, ``device``, the cadence), with the same defaults — ``$GANCURVE_RUNS_DIR``
included —, checks and sentences: a bad argument raises :class:`~gancurve.errors.UsageError`, a
failure :class:`~gancurve.errors.GancurveError`. Nothing prints unless ``progress`` asks for it
(by default: when stderr is a terminal), and nothing exits the process. The command line is a
client of the same functions (:func:`train_run`, :func:`sweep_run`), so the two cannot drift.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gancurve.core.config import EVALUATE_SAMPLES, EVALUATE_SEED
from gancurve.core.recipes import TRAINING_OPTIONS, describe
from gancurve.errors import GancurveError, UsageError
from gancurve.store.grids import GridDir
from gancurve.store.rundir import RunDir, is_grid
from gancurve.store.runs import find_run, iter_runs, resolve_runs_dir
from gancurve.store.sweeps import SweepDir, find_sweep, is_sweep
from gancurve.training.cadence import CadenceOptions
from gancurve.training.signals import StopFlag, StoppedError, stop_on_signals

if TYPE_CHECKING:
    import pandas
    from distributed import Client
    from matplotlib.figure import Figure

    from gancurve.core.config import TrainConfig
    from gancurve.render.notebook import LiveView, Screen
    from gancurve.results.evaluation import Evaluation
    from gancurve.sweeps.cluster import ClusterSpec
    from gancurve.sweeps.compare import PairedDifference
    from gancurve.sweeps.opening import SweepRequest
    from gancurve.sweeps.session import SweepOutcome
    from gancurve.training.resume import TrainRequest
    from gancurve.training.session import Outcome, Reporter, TrainingSession


# -- the one path of a training run and of a sweep (the CLI's commands call these too) -----------


@dataclass(frozen=True)
class Trained:
    """How a training session went: its outcome and what the command line reports of it."""

    outcome: Outcome
    config: TrainConfig
    device: str
    first_step: int  # where this session started (0 for a fresh run)
    steps: int  # the total it was to reach
    seconds: float


def train_run(
    request: TrainRequest, stop: StopFlag, shown: bool, warnings_shown: bool = True, live: bool = False
) -> Trained:
    """Train as ``request`` asks, with the progress bar on stderr if ``shown`` (and warnings, such
    as a collapsing G, if ``warnings_shown``; they are in the outcome either way); ``live``: G's
    paintings redrawn in the notebook's cell as it trains (a ``UsageError`` outside a notebook,
    before any work). A stop request before the first step raises :class:`StoppedError`; one after
    it ends the session, saved."""
    from gancurve.core.engines.batched import prepare
    from gancurve.core.objectives import OBJECTIVES
    from gancurve.device import select_device
    from gancurve.progress import RichReporter, preparing_the_step
    from gancurve.training.memory import keep_large_blocks_out_of_the_heap
    from gancurve.training.resume import open_session

    screen = _notebook_screen() if live else None
    keep_large_blocks_out_of_the_heap()  # a long run's memory stays flat (see training.memory)
    if request.engine == "fast" and select_device(request.device) == "cpu":
        with preparing_the_step(enabled=shown):
            prepare()
    with open_session(request) as session:
        torch = sys.modules.get("torch")  # only the reference and GPU engines import it
        if torch is not None and session.device == "cpu":
            torch.set_num_threads(1)  # tiny matrices: a second thread only adds overhead
        if stop.signal is not None:
            kept = "the run is unchanged" if request.resume else "no run was created"
            raise StoppedError(f"Stopped before training started; {kept}.", stop.signal)
        started_at, first_step = time.perf_counter(), session.trainer.step_count
        view = OBJECTIVES[session.config.loss].view
        with RichReporter(enabled=shown, view=view, warnings=warnings_shown) as reporter:
            if screen is None:
                outcome = session.train(reporter, stop)
            else:
                with _live_view(session, reporter, screen) as live_view:
                    outcome = session.train(live_view, stop)
    seconds = time.perf_counter() - started_at
    return Trained(outcome, session.config, str(session.device), first_step, session.cadence.steps, seconds)


@dataclass(frozen=True)
class Swept:
    """How a sweep's session went (see :class:`Trained`)."""

    outcome: SweepOutcome
    first_step: int
    members: int
    steps: int
    seconds: float
    model_steps: int  # trained by this session (steps × members)


def sweep_run(
    request: SweepRequest,
    stop: StopFlag,
    shown: bool,
    warnings_shown: bool = True,
    cluster: ClusterSpec | None = None,
) -> Swept:
    """Train the sweep or grid ``request`` asks for (see :func:`train_run`); on the Dask cluster
    ``cluster`` names, when given (:mod:`gancurve.sweeps.cluster`: the same directory and numbers)."""
    from gancurve.core.engines.batched import prepare
    from gancurve.progress import RichSweepReporter, preparing_the_step
    from gancurve.sweeps.opening import open_sweep
    from gancurve.training.memory import keep_large_blocks_out_of_the_heap

    keep_large_blocks_out_of_the_heap()
    if request.device == "cpu" and (cluster is None or cluster.local_workers is not None):
        with preparing_the_step(enabled=shown):  # (a LocalCluster's workers load it from the cache)
            prepare()
    if cluster is not None:
        return _sweep_on_cluster(request, cluster, stop, shown, warnings_shown)
    with open_sweep(request) as session:
        if stop.signal is not None:
            kept = "the sweep is unchanged" if request.resume else "no sweep was created"
            raise StoppedError(f"Stopped before training started; {kept}.", stop.signal)
        started_at, first_step = time.perf_counter(), session.step
        reporter = RichSweepReporter(enabled=shown, warnings=warnings_shown)
        with reporter:
            outcome = session.train(reporter, stop)
    seconds = time.perf_counter() - started_at
    members = len(session.sessions)
    model_steps = (outcome.step - first_step) * members
    return Swept(outcome, first_step, members, session.cadence.steps, seconds, model_steps)


def _sweep_on_cluster(
    request: SweepRequest, cluster: ClusterSpec, stop: StopFlag, shown: bool, warnings_shown: bool
) -> Swept:
    from gancurve.progress import RichClusterReporter
    from gancurve.sweeps.cluster import run_on_cluster

    started_at = time.perf_counter()
    reporter = RichClusterReporter(enabled=shown, warnings=warnings_shown)
    with reporter:
        ran = run_on_cluster(request, cluster, stop, reporter)
    seconds = time.perf_counter() - started_at
    return Swept(ran.outcome, ran.outcome.step, ran.members, ran.steps, seconds, ran.model_steps)


# -- runs on disk ---------------------------------------------------------------------------------


class Run:
    """One trained run: a run directory that every command reads (``gancurve sample --run NAME``)."""

    def __init__(self, run: RunDir) -> None:
        self._run = run

    @property
    def name(self) -> str:
        """Its name as ``--run`` takes it (a sweep's member: ``sweep/seed-001``)."""
        return self._run.label

    @property
    def path(self) -> Path:
        """Its directory."""
        return self._run.path

    @property
    def config(self) -> Any:
        """Its training choices (a :class:`~gancurve.core.config.TrainConfig`)."""
        return self._run.train_config()

    @property
    def step(self) -> int:
        """The step its checkpoint holds."""
        from gancurve.store.checkpoint import load_checkpoint

        return load_checkpoint(self._run).step

    def sample(
        self,
        n: int = 5,
        *,
        seed: int = 0,
        raw: bool = False,
        label: int | None = None,
        a: float | None = None,
    ) -> np.ndarray:
        """``n`` paintings, (n, points), as ``gancurve sample -n N --seed S`` draws them; a conditional
        run paints the half ``label`` asks for, or curves of ``a``; ``raw``: G itself, not its average."""
        from gancurve.results.sampling import Request, draw_samples

        samples = draw_samples(self._run, n, seed, raw, Request(label, a))
        return samples.y

    def evaluate(
        self, n: int = EVALUATE_SAMPLES, *, seed: int = EVALUATE_SEED, raw: bool = False
    ) -> Evaluation:
        """Exact quality against the known target, the artist's own floor, and the verdict, as
        ``gancurve evaluate`` prints them (``.generator``, ``.artist``, ``.verdict``)."""
        from gancurve.results.evaluation import evaluate_run

        return evaluate_run(self._run, n, seed, raw)[0]

    @property
    def metrics(self) -> pandas.DataFrame:
        """The metrics log (``metrics.csv``): one row per logged step, a pandas DataFrame."""
        return _data_frame(self._run.read_metrics())

    def plot(
        self, path: str | Path | None = None, *, n: int = 20, raw: bool = False, critic: bool = True
    ) -> Figure:
        """The summary figure of ``gancurve plot``, as a matplotlib Figure; written to ``path`` too
        when one is given (.png, .svg or .pdf)."""
        return _figure(summary_figure(self._run, n, raw, critic), path)

    def export(self, path: str | Path, *, format: str | None = None, raw: bool = False) -> Path:
        """The generator as a model file (``.pt2``, ``.pt`` TorchScript or ``.onnx``), checked
        against the run's own G after writing, as ``gancurve export model``; returns the path."""
        export_model(self._run, Path(path), format, raw)
        return Path(path)

    def __repr__(self) -> str:
        try:
            return f"<gancurve.Run {self.name!r}: {describe(self.config)}>"
        except Exception as error:  # a repr must not raise (see _repr_html_)
            return f"<{_unshowable_text('Run', self.name, error)}>"

    def _repr_html_(self) -> str:
        """Jupyter's view: the recipe, step, verdict and W1 of :meth:`evaluate` (the defaults, as
        ``gancurve evaluate``: the card agrees with them; ~0.3 s), and a thumbnail of G's paintings
        on the artist's band. A run that cannot be read is one line saying why."""
        from gancurve.render.notebook import run_card, unshowable

        try:
            return run_card(self.name, self.config, self._run, self.evaluate())
        except Exception as error:  # Jupyter would show a traceback in place of the message
            return unshowable(_unshowable_text("Run", self.name, error))


@dataclass(frozen=True)
class Comparison:
    """Recipe B against recipe A, seed by seed (``gancurve compare``)."""

    a: str
    b: str
    metric: str
    difference: PairedDifference  # B − A: median, 95% bootstrap interval, who is better how often
    seeds: tuple[int, ...]  # the seeds both trained, on which everything is read


class Sweep:
    """One recipe trained on many seeds (a sweep directory); every member is a :class:`Run`."""

    def __init__(self, sweep: SweepDir) -> None:
        self._sweep = sweep

    @property
    def name(self) -> str:
        """Its directory's name."""
        return self._sweep.name

    @property
    def path(self) -> Path:
        """Its directory."""
        return self._sweep.path

    @property
    def summary(self) -> pandas.DataFrame:
        """One row per member (seed): its metrics and verdict, as ``summary.csv`` holds them."""
        return _data_frame(self._sweep.read_summary()["members"])

    @property
    def aggregate(self) -> dict[str, Any]:
        """The rate of success with its Wilson interval, W1's median, p90 and max, and the counts."""
        aggregate: dict[str, Any] = self._sweep.read_summary()["aggregate"]
        return aggregate

    def member(self, seed: int) -> Run:
        """The member trained with ``seed``."""
        return Run(find_run(self._sweep.path, self._sweep.member(seed).name))

    def plot(self, path: str | Path | None = None) -> Figure:
        """The sweep figure of ``gancurve plot SWEEP`` (written to ``path`` too when given)."""
        return _figure(sweep_figure(self._sweep), path)

    def compare(self, other: Sweep | str, metric: str = "w1") -> Comparison:
        """``other`` (B) against this sweep (A), paired by seed, as ``gancurve compare A B``."""
        b = other if isinstance(other, Sweep) else _sweep_named(self._sweep.path.parent, other)
        return compare_sweeps(self._sweep, b._sweep, metric)

    def __repr__(self) -> str:
        return f"<gancurve.Sweep {self.name!r}>"

    def _repr_html_(self) -> str:
        """Jupyter's view: the recipe, the rate of success with its Wilson interval, W1's median
        and p90 (the summary's aggregate) and a thumbnail of the median seed's paintings."""
        from gancurve.core.config import TrainConfig
        from gancurve.render.notebook import sweep_card, unshowable

        try:
            summary = self._sweep.read_summary()
            config = TrainConfig.from_dict(self._sweep.read_facts()["config"])
            return sweep_card(self.name, config, summary["aggregate"], _median_member(self._sweep, summary))
        except Exception as error:  # Jupyter would show a traceback in place of the message
            return unshowable(_unshowable_text("Sweep", self.name, error))


class Grid:
    """Several recipes trained on the same seeds (a grid directory): one :class:`Sweep` per recipe."""

    def __init__(self, path: Path) -> None:
        self._grid = GridDir(path)

    @property
    def name(self) -> str:
        """Its directory's name."""
        return self._grid.name

    @property
    def path(self) -> Path:
        """Its directory."""
        return self._grid.path

    @property
    def recipes(self) -> dict[str, Sweep]:
        """Each recipe's sweep, by its label (``loss=hinge ema=0.999``; a recipe grid: ``recipe=best``)."""
        facts = self._grid.read_facts()
        return {
            str(recipe["label"]): Sweep(SweepDir(self._grid.path / str(recipe["sweep"])))
            for recipe in facts["recipes"]
        }

    @property
    def summary(self) -> pandas.DataFrame:
        """One row per recipe, as ``summary.csv`` holds them: its outcome (success rate, W1's median,
        p90 and max, …) and its paired W1 difference from the first recipe (interval, seeds better)."""
        from gancurve.sweeps.grid import recipe_row

        return _data_frame([recipe_row(recipe) for recipe in self._grid.read_summary()["recipes"]])

    def plot(self, path: str | Path | None = None) -> Figure:
        """The grid figure of ``gancurve plot GRID`` (written to ``path`` too when given)."""
        return _figure(grid_figure(self._grid), path)

    def compare(self, a: str, b: str, metric: str = "w1") -> Comparison:
        """Recipe ``b`` against recipe ``a``, by label or by the value that names it (``"best"``)."""
        return self.recipe(a).compare(self.recipe(b), metric)

    def recipe(self, which: str) -> Sweep:
        """One recipe's sweep, by its label (``recipe=best``), its value (``best``) or its directory."""
        for label, sweep in self.recipes.items():
            values = [part.split("=", 1)[-1] for part in label.split()]
            if which in (label, sweep.name, *values):
                return sweep
        raise UsageError(f"Grid {self.name!r} has no recipe {which!r}; it has {', '.join(self.recipes)}.")

    def __repr__(self) -> str:
        try:
            return f"<gancurve.Grid {self.name!r}: {len(self.recipes)} recipes>"
        except Exception as error:  # a repr must not raise (see _repr_html_)
            return f"<{_unshowable_text('Grid', self.name, error)}>"

    def _repr_html_(self) -> str:
        """Jupyter's view: a table of the recipes, each with its rate of success and Wilson
        interval, W1's median and p90, and its W1 minus the first recipe's, paired by seed."""
        from gancurve.render.notebook import grid_card, unshowable

        try:
            return grid_card(self.name, self._grid.read_summary()["recipes"])
        except Exception as error:  # Jupyter would show a traceback in place of the message
            return unshowable(_unshowable_text("Grid", self.name, error))


# -- the functions --------------------------------------------------------------------------------


def train(
    *,
    steps: int | None = None,
    name: str | None = None,
    runs_dir: str | Path | None = None,
    device: str = "auto",
    engine: str = "fast",
    resume: Run | str | Path | None = None,
    force: bool = False,
    log_every: int | None = None,
    snapshot_every: int | None = None,
    eval_every: int | None = None,
    checkpoint_every: int | None = None,
    progress: bool | None = None,
    live: bool = False,
    **options: Any,
) -> Run:
    """Train a GAN (or continue ``resume``, a :class:`Run` or its name) and return its :class:`Run`.

    ``options`` are the training options by their names (``recipe="best"``, ``lr_g=8e-4``,
    ``betas=(0, 0.99)``, ``loss="hinge"``, …: ``gancurve train -h`` lists them); ``steps`` is the
    total to reach (a resumed run keeps its own, and its cadence, unless given). ``progress``: show
    a progress bar on stderr (None: when stderr is a terminal). ``live``: in a Jupyter notebook,
    G's paintings on the artist's band and W1, redrawn in place in the cell a few times a second
    while training runs (the run is the same; training slows by under 10%). A stop request (Ctrl-C, or
    interrupting a notebook's kernel) ends training after the current step, with the checkpoint
    saved, and raises :class:`~gancurve.training.signals.StoppedError` saying how to continue.
    """
    from gancurve.training.cadence import Cadence
    from gancurve.training.resume import TrainRequest, choices_of

    chosen = choices_of(_options(options, grid=False), steps or Cadence().steps)
    request = TrainRequest(
        runs_dir=resolve_runs_dir(None if runs_dir is None else str(runs_dir)),
        name=_resumed_name(resume) if resume is not None else name,
        device=_device(device),
        cadence=CadenceOptions(steps, log_every, snapshot_every, eval_every, checkpoint_every),
        choices=chosen,
        resume=resume is not None,
        force=force,
        engine=_engine(engine),
    )
    with _stop_requests() as stop:
        outcome = train_run(request, stop, _shown(progress), warnings_shown=False, live=live).outcome
    _warn(outcome.warnings)
    if outcome.interrupted_by is not None:
        raise StoppedError(
            f"Stopped at step {outcome.step}; the checkpoint is saved. Continue with "
            f"gc.train(resume={outcome.run.path.name!r}, steps=…).",
            outcome.interrupted_by,
        )
    return Run(outcome.run)


def sweep(
    *,
    seeds: Iterable[int] | str | None = None,
    steps: int | None = None,
    name: str | None = None,
    runs_dir: str | Path | None = None,
    device: str = "auto",
    resume: Sweep | Grid | str | None = None,
    force: bool = False,
    log_every: int | None = None,
    snapshot_every: int | None = None,
    eval_every: int | None = None,
    checkpoint_every: int | None = None,
    progress: bool | None = None,
    cluster: str | Client | ClusterSpec | None = None,
    **options: Any,
) -> Sweep | Grid:
    """Train one recipe on many seeds at once (``gancurve sweep``) and return the :class:`Sweep`;
    an option given a list of values (``recipe=["tutorial", "best"]``, ``loss=["minimax",
    "hinge"]``) makes a grid of recipes over the same seeds, returned as a :class:`Grid`.

    ``seeds``: an iterable of seeds or the CLI's text (``"1-100"``); not needed with ``resume``.
    ``cluster``: train on a Dask cluster (``sweep --cluster``; ``pip install 'gancurve[cluster]'``):
    ``"local:N"`` (N worker processes here), a scheduler's address (``"tcp://host:8786"``) or a
    ``distributed.Client`` of yours (left open), or a :class:`~gancurve.sweeps.cluster.ClusterSpec`
    (its ``shard_members`` sets the shard size); the same directory and numbers as without it
    (docs/scale.md). A script that starts ``"local:N"`` needs ``if __name__ == "__main__":``.
    The rest as :func:`train`.
    """
    from gancurve.device import select_device
    from gancurve.store.sweeps import check_seeds
    from gancurve.sweeps.grid import grid_choices
    from gancurve.sweeps.opening import SweepRequest
    from gancurve.sweeps.seeds import parse_seeds
    from gancurve.training.cadence import Cadence

    if "seed" in options:
        raise UsageError("A sweep trains many seeds: give seeds=, not seed=.")
    spec = None
    if cluster is not None:
        from gancurve.sweeps.cluster import cluster_spec

        spec = cluster_spec(cluster)
    shared, grid = grid_choices(_options(options, grid=True), steps or Cadence().steps)
    chosen_seeds = None
    if seeds is not None:
        chosen_seeds = parse_seeds(seeds) if isinstance(seeds, str) else check_seeds(list(seeds), "seeds")
    request = SweepRequest(
        runs_dir=resolve_runs_dir(None if runs_dir is None else str(runs_dir)),
        name=(str(resume.path) if isinstance(resume, (Sweep, Grid)) else resume)
        if resume is not None
        else name,
        seeds=chosen_seeds,
        cadence=CadenceOptions(steps, log_every, snapshot_every, eval_every, checkpoint_every),
        choices=shared,
        resume=resume is not None,
        force=force,
        device=select_device(_device(device)) if spec is None else _device_on_cluster(device),
        grid=grid,
    )
    with _stop_requests() as stop:
        outcome = sweep_run(request, stop, _shown(progress), warnings_shown=False, cluster=spec).outcome
    _warn(outcome.warnings)
    if outcome.interrupted_by is not None:
        raise StoppedError(
            f"Stopped at step {outcome.step}; every member keeps its last checkpoint. Continue with "
            f"gc.sweep(resume={outcome.sweep.path.name!r}{', cluster=…' if spec is not None else ''}).",
            outcome.interrupted_by,
        )
    place = outcome.sweep.path
    return Grid(place) if is_grid(place) else Sweep(SweepDir(place))


def load(name: str | Path, runs_dir: str | Path | None = None) -> Run | Sweep | Grid:
    """A run, sweep or grid on disk, by its name in the runs directory (``"lesson"``,
    ``"big/seed-007"``) or by its path (``"runs/x"``)."""
    where = resolve_runs_dir(None if runs_dir is None else str(runs_dir))
    text = str(name)
    candidate = (
        Path(text).expanduser() if ("/" in text and Path(text).expanduser().is_dir()) else where / text
    )
    if is_grid(candidate):
        return Grid(candidate)
    if is_sweep(candidate):
        return Sweep(SweepDir(candidate))
    return Run(find_run(where, text))


def runs(runs_dir: str | Path | None = None) -> list[str]:
    """The names of the runs in the runs directory (a sweep's members as ``sweep/seed-001``), the
    most recently trained last."""
    where = resolve_runs_dir(None if runs_dir is None else str(runs_dir))
    return [run.label for run in iter_runs(where)] if where.is_dir() else []


# -- what a run's pictures and exports compute (``plot`` and ``export model`` call these too) -----

#: Paintings drawn for the fitted-a histogram of ``plot``: enough for a smooth shape.
HISTOGRAM_SAMPLES = 5000


def summary_figure(run: RunDir, curves: int, raw: bool, critic: bool) -> Figure:
    """The figure of ``gancurve plot``: paintings, fitted a, the distance to the artist, the losses,
    D's view (and, with ``critic``, D along the family next to the optimal D)."""
    from gancurve.render.plot import build_figure
    from gancurve.results.sampling import draw_samples

    samples = draw_samples(run, max(curves, HISTOGRAM_SAMPLES), seed=0, raw=raw)
    config = run.train_config()
    view = critic_view_of(run) if critic else None
    return build_figure(samples, run.read_metrics(), run.label, curves, config, view)


def critic_view_of(run: RunDir) -> Any:
    """D along the family against G itself (not its moving average: D trains against G)."""
    from gancurve.core.artist import make_artist
    from gancurve.core.condition import make_condition
    from gancurve.core.critic import critic_view
    from gancurve.results.sampling import draw_samples
    from gancurve.store.checkpoint import load_checkpoint

    config = run.train_config()
    weights = load_checkpoint(run).state.weights
    samples = draw_samples(run, HISTOGRAM_SAMPLES, seed=0, raw=True)
    artist, condition = make_artist(config), make_condition(config)
    labels = samples.condition if condition.name == "label" else None  # what each painting was asked for
    return critic_view(
        weights["discriminator"], artist, samples.a_hat, config.loss, condition, g_labels=labels
    )


def sweep_figure(sweep: SweepDir) -> Figure:
    """The figure of ``gancurve plot SWEEP``: W1 over training for every seed, the final W1 per seed,
    the best, median and worst seed's paintings, and the median seed's D next to the optimal D."""
    from gancurve.core.artist import make_artist
    from gancurve.core.config import TrainConfig
    from gancurve.core.objectives import OBJECTIVES
    from gancurve.render.sweep_plot import build_sweep_figure
    from gancurve.results.sampling import draw_samples

    summary = sweep.read_summary()
    rows = summary["members"]
    ranked = _ranked(rows)
    chosen = (
        [("best", ranked[0]), ("median", ranked[len(ranked) // 2]), ("worst", ranked[-1])] if ranked else []
    )
    picks = [
        (label, row, draw_samples(RunDir(sweep.path / row["run"]), HISTOGRAM_SAMPLES, seed=0))
        for label, row in chosen
    ]
    config = TrainConfig.from_dict(sweep.read_facts()["config"])
    critic = None
    if chosen:  # the median seed's D next to the optimal D
        median = RunDir(sweep.path / chosen[1][1]["run"])
        critic = (median.name, critic_view_of(median), OBJECTIVES[config.loss])
    curves = _member_curves(sweep, rows)
    return build_sweep_figure(sweep.name, summary, curves, picks, make_artist(config), critic)


def grid_figure(grid: GridDir) -> Figure:
    """The figure of ``gancurve plot GRID``: each recipe's median W1 over training, every seed's final
    W1, and each recipe minus the first, seed by seed, with the bootstrap interval."""
    from gancurve.core.artist import make_artist
    from gancurve.core.config import TrainConfig
    from gancurve.core.metrics import CONVERGED_MAX_W1, converged_max_w1
    from gancurve.render.grid_plot import RecipeCurves, build_grid_figure

    summary = grid.read_summary()
    recipes = []
    converged_below = CONVERGED_MAX_W1
    for outcome in summary["recipes"]:
        sweep = SweepDir(grid.path / outcome["sweep"])
        rows = sweep.read_summary()["members"]
        recipes.append(RecipeCurves(outcome["recipe"], rows, _member_curves(sweep, rows)))
        if len(recipes) == 1:  # (the recipes of a grid share their artist)
            config = TrainConfig.from_dict(sweep.read_facts()["config"])
            converged_below = converged_max_w1(make_artist(config).law)
    return build_grid_figure(grid.name, summary, recipes, converged_below)


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A sweep's members that have a W1, best first."""
    return sorted((row for row in rows if row["w1"] is not None), key=lambda row: row["w1"])


def _median_member(sweep: SweepDir, summary: dict[str, Any]) -> tuple[RunDir, dict[str, Any]] | None:
    """The member of median W1 and its summary row, as the sweep figure picks it (None: no W1)."""
    ranked = _ranked(summary["members"])
    if not ranked:
        return None
    row = ranked[len(ranked) // 2]
    return RunDir(sweep.path / row["run"]), row


def _member_curves(sweep: SweepDir, rows: list[dict[str, Any]]) -> list[Any]:
    """Each member's W1 over training, read from its metrics.csv."""
    from gancurve.render.plot import series
    from gancurve.render.sweep_plot import MemberCurve

    curves = []
    for row in rows:
        run = RunDir(sweep.path / row["run"])
        metrics = run.read_metrics() if run.metrics_path.is_file() else []
        steps, w1 = series(metrics, "w1")
        curves.append(MemberCurve(row["seed"], steps, w1, row["verdict"]))
    return curves


def export_model(run: RunDir, output: Path, fmt: str | None, raw: bool) -> tuple[str, float]:
    """Write the run's G as a model file; (the format, the largest difference from G found on
    checking the file)."""
    from gancurve.results.exports import model_format
    from gancurve.store.checkpoint import load_networks
    from gancurve.store.outputs import check_output

    chosen = model_format(output, fmt)
    check_output(output)  # before torch is imported: a bad path fails at once
    weights, config, _ = load_networks(run, raw)
    from gancurve.results.model_export import export_model as write_model
    from gancurve.results.model_export import generator_module

    return chosen, write_model(
        generator_module(weights["generator"], config), config.g_inputs, output, chosen
    )


def compare_sweeps(a: SweepDir, b: SweepDir, metric: str) -> Comparison:
    """B against A on the seeds both trained (see :class:`Comparison`)."""
    from gancurve.core.config import COMPARE_METRICS
    from gancurve.sweeps.compare import paired_difference, paired_seeds

    if metric not in COMPARE_METRICS:
        raise UsageError(f"metric must be one of {', '.join(COMPARE_METRICS)}, got {metric!r}.")
    a_rows, b_rows = a.read_summary()["members"], b.read_summary()["members"]
    seeds = tuple(sorted(paired_seeds(a_rows, b_rows)))
    return Comparison(a.name, b.name, metric, paired_difference(a_rows, b_rows, metric), seeds)


# -- small helpers --------------------------------------------------------------------------------


def _options(options: Mapping[str, Any], grid: bool) -> dict[str, object]:
    """The keyword arguments as the training options: lists and ranges of a grid option as tuples,
    a pair (``betas``) as a tuple; an unknown name is refused with the list of the known ones."""
    given: dict[str, object] = {}
    for key, value in options.items():
        option = TRAINING_OPTIONS.get(key)
        if option is None:
            raise UsageError(
                f"{key!r} is not a training option; the options are {', '.join(TRAINING_OPTIONS)}."
            )
        several = isinstance(value, (list, tuple, range)) and option.kind is not tuple
        if several and not (grid and option.choice.grid):
            where = "a sweep's grid options" if grid else "sweep()"
            raise UsageError(f"{key} takes one value here; several make a grid, with {where}.")
        given[key] = tuple(value) if isinstance(value, (list, tuple, range)) else value
    return given


def _resumed_name(resume: Run | str | Path) -> str:
    return str(resume.path) if isinstance(resume, Run) else str(resume)


def _device(device: str) -> str:
    from gancurve.device import DEVICE_CHOICES

    if device not in DEVICE_CHOICES:
        raise UsageError(f"device must be one of {', '.join(DEVICE_CHOICES)}, got {device!r}.")
    return device


def _device_on_cluster(device: str) -> str:
    from gancurve.sweeps.cluster import device_on_cluster

    return device_on_cluster(device)


def _engine(engine: str) -> str:
    from gancurve.core.engines import ENGINES

    if engine not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}.")
    return engine


def _sweep_named(runs_dir: Path, name: str) -> Sweep:
    return Sweep(find_sweep(runs_dir, name))


def _data_frame(rows: list[dict[str, Any]]) -> pandas.DataFrame:
    try:
        import pandas
    except ImportError:
        raise GancurveError(
            "Tables need pandas: pip install 'gancurve[notebook]' (or pandas itself)."
        ) from None
    return pandas.DataFrame(rows)


@contextlib.contextmanager
def _stop_requests() -> Iterator[StopFlag]:
    """Ctrl-C and SIGTERM as "stop after this step" while training (signals reach the main thread
    only: elsewhere the flag is never set, and the caller stops the thread its own way)."""
    if threading.current_thread() is threading.main_thread():
        with stop_on_signals(StopFlag()) as stop:
            yield stop
    else:
        yield StopFlag()


def _notebook_screen() -> Screen:
    """The notebook cell's screen for a live view (a ``UsageError`` outside a notebook)."""
    from gancurve.render.notebook import notebook_screen

    return notebook_screen()


def _live_view(session: TrainingSession, reporter: Reporter, screen: Screen) -> LiveView:
    """``reporter``, with G's latest snapshot redrawn on ``screen`` as the session trains."""
    from gancurve.render.notebook import LiveView, look_of

    x = session.trainer.artist.grid()
    return LiveView(reporter, session.history, x, len(session.fixed), look_of(session.config), screen)


def _unshowable_text(kind: str, name: str, error: Exception) -> str:
    """The one line a repr is when what it shows cannot be read (Jupyter shows a failing repr as
    a traceback, which hides the message that matters)."""
    # Our own errors are sentences already; anything else names its type, so a bug stays visible.
    message = str(error) if isinstance(error, GancurveError) else f"{type(error).__name__}: {error}"
    return f"gancurve.{kind} {name!r} cannot be shown: {message}"


def _figure(figure: Figure, path: str | Path | None) -> Figure:
    """``figure``, written to ``path`` first when one is given (.png, .svg or .pdf)."""
    from gancurve.render.plot import check_plot_output, write_plot

    if path is not None:
        check_plot_output(Path(path))
        write_plot(figure, Path(path))
    _pictures_in_the_notebook()
    return figure


def _pictures_in_the_notebook() -> None:
    """In a Jupyter kernel, have a figure made without pyplot (as gancurve's are) shown as a picture,
    as ``%matplotlib inline`` would; elsewhere nothing. (IPython is never imported for this.)"""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from IPython.core.pylabtools import select_figure_formats

        select_figure_formats(shell, {"png"})  # type: ignore[no-untyped-call]


class GancurveWarning(UserWarning):
    """What training noticed (a collapsing G, a diverged member), as Python's warnings."""


def _warn(messages: Iterable[str]) -> None:
    for message in messages:
        warnings.warn(message, GancurveWarning, stacklevel=3)


def _shown(progress: bool | None) -> bool:
    """Whether to show the progress bar: as asked, or when stderr is a terminal."""
    from gancurve.console import err

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread (no effect once numpy is loaded)
    return err.is_terminal if progress is None else progress
