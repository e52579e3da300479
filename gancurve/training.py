"""A training run from start to finish: the loop, its logs, snapshots and checkpoints.

The core's :class:`~gancurve.core.trainer.Trainer` knows one step; this module decides when
to log, evaluate, snapshot and checkpoint, and keeps the run directory consistent.
"""

from __future__ import annotations

import contextlib
import math
import signal
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import numpy as np
import torch

from gancurve import __version__
from gancurve.checkpoint import checkpoint_config, load_checkpoint, save_checkpoint
from gancurve.core.config import TrainConfig
from gancurve.core.engines import Engine, make_engine
from gancurve.core.metrics import TARGET_SPREAD, Quality, quality
from gancurve.core.trainer import derived_seed, fixed_ideas
from gancurve.errors import GancurveError, UsageError
from gancurve.runs import History, RunDir

#: Ideas evaluated on every ``eval_every`` steps; enough for W1 to about ±0.01.
EVAL_SAMPLES = 2000
#: The columns an evaluation adds to a metrics row.
QUALITY_KEYS = frozenset(Quality.__dataclass_fields__)
#: Hyperparameters that shape the networks: a resumed run can never change them.
ARCHITECTURE_FIELDS = ("ideas", "points", "hidden")


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


@dataclass
class Outcome:
    """How a run ended."""

    run: RunDir
    step: int
    last_row: dict[str, float]
    interrupted_by: int | None = None  # the signal number, when a signal stopped the run
    warnings: list[str] = field(default_factory=list)


class Reporter(Protocol):
    """Where the loop reports progress (the CLI draws it; tests may record it)."""

    def start(self, total: int, done: int) -> None:
        """The run begins at ``done`` of ``total`` steps."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """A metrics row was logged at ``step``."""

    def warn(self, message: str) -> None:
        """Something the user should see now (e.g. a collapsing generator)."""


class StopFlag:
    """Set by a signal handler; the loop checks it between steps."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __bool__(self) -> bool:
        return self.signal is not None


@contextlib.contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[StopFlag]:
    """Turn Ctrl-C and SIGTERM into a request to stop after the current step."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        flag.signal = signum

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_facts(config: TrainConfig, cadence: Cadence, device: torch.device) -> dict[str, Any]:
    """What ``config.json`` records about a run."""
    return {
        "config": config.to_dict(),
        "cadence": asdict(cadence),
        "device": str(device),
        "gancurve_version": __version__,
        "torch_version": torch.__version__,
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


class TrainingSession:
    """One training run bound to its directory: fresh, or resumed from its checkpoint."""

    def __init__(
        self, run: RunDir, config: TrainConfig, cadence: Cadence, device: torch.device, engine: str = "fast"
    ) -> None:
        self.run = run
        self.config = config
        self.cadence = cadence
        self.device = device
        self.trainer: Engine = make_engine(config, device, engine)
        self.history = History()
        self.fixed = fixed_ideas(config, cadence.fixed_ideas)
        eval_rng = torch.Generator().manual_seed(derived_seed(config.seed, 2))
        self.eval_ideas = torch.randn(EVAL_SAMPLES, config.ideas, generator=eval_rng)
        self.warned_collapse = False
        self.last_row: dict[str, float] = {}
        self.saved_step: int | None = None  # the step of the checkpoint on disk, if any

    def restore(self, payload: dict[str, Any]) -> None:
        """Continue from the run's checkpoint (already loaded) and logs; the checkpoint decides the step."""
        if str(payload["device"]).split(":")[0] != self.device.type:
            raise GancurveError(
                f"Run {self.run.name!r} was trained on {payload['device']}; resume it with "
                f"--device {str(payload['device']).split(':')[0]} so it continues exactly."
            )
        try:
            self.trainer.load_state_dict(payload["trainer"])
        except ValueError as error:
            raise GancurveError(f"Cannot resume {self.run.name!r}: {error}.") from error
        self.fixed = payload["fixed_ideas"]
        self.saved_step = self.trainer.step_count
        self.history = self.run.load_history(self.trainer.step_count)
        self._forget_end_of_run_extras(self.trainer.step_count)
        self.last_row = self.history.rows[-1] if self.history.rows else {}

    def _forget_end_of_run_extras(self, step: int) -> None:
        """Undo what a run logs only because it ended at ``step``, off the usual cadence.

        A run always logs, evaluates and snapshots its last step. Continued past that step,
        the run must look exactly like one that never stopped there.
        """
        cadence, history = self.cadence, self.history
        if history.snapshot_steps and history.snapshot_steps[-1] == step and step % cadence.snapshot_every:
            for series in (history.snapshot_steps, history.snapshot_paintings,
                           history.snapshot_d_accuracy, history.snapshot_d_score):  # fmt: skip
                series.pop()
        if not history.rows or history.rows[-1]["step"] != step:
            return
        if step % cadence.log_every and step % cadence.eval_every:
            history.rows.pop()
        elif step % cadence.eval_every:
            history.rows[-1] = {k: v for k, v in history.rows[-1].items() if k not in QUALITY_KEYS}

    def train(self, reporter: Reporter, stop: StopFlag) -> Outcome:
        """Step until ``cadence.steps`` or a stop request, writing logs and checkpoints."""
        self.run.write_config(run_facts(self.config, self.cadence, self.device))
        reporter.start(self.cadence.steps, self.trainer.step_count)
        outcome = Outcome(self.run, self.trainer.step_count, self.last_row)
        first_step = True
        # Overflow on the way to a divergence is caught by the guard, not shown as numpy noise.
        with np.errstate(all="ignore"):
            while self.trainer.step_count < self.cadence.steps and not stop:
                self.trainer.step()
                self._after_step(self.trainer.step_count, reporter, outcome)
                if first_step:  # did the engine have to fall back (e.g. no CUDA graph)?
                    self._report_engine_notice(reporter, outcome)
                    first_step = False
            self.save()
        outcome.step, outcome.last_row = self.trainer.step_count, self.last_row
        outcome.interrupted_by = stop.signal
        return outcome

    def _report_engine_notice(self, reporter: Reporter, outcome: Outcome) -> None:
        notice = getattr(self.trainer, "notice", None)
        if notice:
            outcome.warnings.append(notice)
            reporter.warn(notice)

    def _after_step(self, step: int, reporter: Reporter, outcome: Outcome) -> None:
        cadence = self.cadence
        is_last = step == cadence.steps
        snapshot = step % cadence.snapshot_every == 0 or is_last
        log = step % cadence.log_every == 0 or step % cadence.eval_every == 0 or is_last
        if not (snapshot or log):
            if step % cadence.checkpoint_every == 0:
                self.save()
            return
        # The step's numbers are read only here, every few steps: no GPU→CPU copy per step.
        values = self.trainer.last_stats().as_floats()
        if snapshot:
            self._snapshot(step, values)
        if log:
            row = self._log(step, values, evaluate=step % cadence.eval_every == 0 or is_last)
            self._check_collapse(row, reporter, outcome)
            reporter.advance(step, row)
        if step % cadence.checkpoint_every == 0 and not is_last:
            self.save()

    def _log(self, step: int, values: dict[str, float], evaluate: bool) -> dict[str, float]:
        row: dict[str, float] = {"step": step, **values}
        if evaluate:
            row.update(quality(self.trainer.paint(self.eval_ideas), self.trainer.artist).to_dict())
        bad = [name for name in ("d_loss", "g_loss") if not math.isfinite(row[name])]
        if bad:
            where = f"at step {step} ({' and '.join(bad)} not finite)"
            raise DivergedError(divergence_message(where, self.saved_step, self.lr_hint()))
        self.history.rows.append(row)
        self.last_row = row
        return row

    def _snapshot(self, step: int, values: dict[str, float]) -> None:
        self.history.snapshot_steps.append(step)
        self.history.snapshot_paintings.append(self.trainer.paint(self.fixed).cpu().float().numpy())
        self.history.snapshot_d_accuracy.append(values["d_accuracy"])
        self.history.snapshot_d_score.append(values["d_score"])

    def _check_collapse(self, row: dict[str, float], reporter: Reporter, outcome: Outcome) -> None:
        """Warn once when G's paintings stop varying (mode collapse)."""
        if self.warned_collapse or "spread" not in row:
            return
        if row["spread"] < TARGET_SPREAD / 3 or row["coverage"] < 0.5:
            self.warned_collapse = True
            message = (
                f"step {int(row['step'])}: G may be collapsing — spread {row['spread']:.3f} "
                f"(target {TARGET_SPREAD:.3f}), coverage {row['coverage']:.2f} (target 1.0)."
            )
            outcome.warnings.append(message)
            reporter.warn(message)

    def lr_hint(self) -> str:
        """A concrete suggestion for a diverged run."""
        return f"--lr-g {self.config.lr_g / 2:g} --lr-d {self.config.lr_d / 2:g}"

    def save(self) -> None:
        """Write logs, then the checkpoint: logs may run ahead of it, never behind."""
        for module in (self.trainer.generator, self.trainer.discriminator):
            if not all(bool(torch.isfinite(p).all()) for p in module.parameters()):
                where = f"by step {self.trainer.step_count} (a weight is not finite)"
                raise DivergedError(divergence_message(where, self.saved_step, self.lr_hint()))
        x = self.trainer.artist.grid().numpy()
        self.run.write_metrics(self.history.rows)
        self.run.write_snapshots(self.history, x)
        save_checkpoint(
            self.run,
            {
                "config": self.config.to_dict(),
                "device": str(self.device),
                "fixed_ideas": self.fixed.cpu(),
                "trainer": self.trainer.state_dict(),
            },
        )
        self.saved_step = self.trainer.step_count


class DivergedError(GancurveError):
    """A loss or weight became NaN or infinite; the last good checkpoint is kept."""


def divergence_message(where: str, saved_step: int | None, hint: str) -> str:
    """What happened, what is kept, and what to try."""
    kept = (
        f"the last good checkpoint (step {saved_step}) is kept"
        if saved_step is not None
        else "nothing had been saved yet"
    )
    return f"Training diverged {where}; {kept}. Try smaller learning rates, e.g. {hint}."


def resume_config(saved: TrainConfig, requested: dict[str, Any], force: bool) -> TrainConfig:
    """The config to continue with: the saved one, with changes only if ``force`` allows them."""
    wanted = TrainConfig.from_dict({**saved.to_dict(), **requested})
    changes = saved.differences(wanted)
    if not changes:
        return saved
    fixed = [name for name in ARCHITECTURE_FIELDS if getattr(saved, name) != getattr(wanted, name)]
    if fixed:
        raise UsageError(
            f"Cannot change {', '.join(fixed)} of a trained run: the networks' shapes depend on it."
        )
    if not force:
        raise UsageError(
            f"Resuming with other hyperparameters ({'; '.join(changes)}) would not be the same run; "
            "drop those options, or add --force."
        )
    return wanted


@dataclass(frozen=True)
class TrainRequest:
    """What ``gancurve train`` was asked for, before anything touches the disk."""

    runs_dir: Path
    name: str | None
    device: str
    cadence: Cadence
    hyperparameters: dict[str, Any]  # only the ones the user gave explicitly
    resume: bool = False
    force: bool = False
    engine: str = "fast"  # "fast" or "reference": the same math, at different speeds


def open_session(request: TrainRequest) -> TrainingSession:
    """A fresh run in a new directory, or the existing run resumed from its checkpoint."""
    from gancurve.device import select_device
    from gancurve.runs import create_run, find_run

    device = select_device(request.device)
    if not request.resume:
        try:
            config = TrainConfig(**request.hyperparameters)
        except ValueError as error:
            raise UsageError(f"Invalid hyperparameters: {error}.") from error
        run = create_run(request.runs_dir, request.name)
        return TrainingSession(run, config, request.cadence, device, request.engine)
    run = find_run(request.runs_dir, request.name)
    payload = load_checkpoint(run)  # read once: its config is checked, then its state restored
    config = resume_config(checkpoint_config(payload), request.hyperparameters, request.force)
    session = TrainingSession(run, config, request.cadence, device, request.engine)
    session.restore(payload)
    if session.trainer.step_count >= request.cadence.steps:
        raise UsageError(
            f"Run {run.name!r} is already at step {session.trainer.step_count}; "
            f"--steps is the total, so ask for more than that."
        )
    return session
