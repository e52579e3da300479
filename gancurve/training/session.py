"""The training loop: step, log, evaluate, snapshot, checkpoint — and keep the run directory true.

An engine (:mod:`gancurve.core.engines`) knows one step; this module decides when to log,
evaluate, snapshot and checkpoint, and keeps the run directory consistent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from gancurve.core.condition import make_condition
from gancurve.core.config import TrainConfig
from gancurve.core.critic import FRAME_PAINTINGS, critic_frame, real_slopes
from gancurve.core.draws import eval_ideas, fixed_ideas
from gancurve.core.engines import DEFAULT_ENGINE, make_engine
from gancurve.core.engines.protocol import Engine
from gancurve.core.metrics import (
    Quality,
    collapsing,
    quality,
)
from gancurve.core.networks import all_finite
from gancurve.errors import GancurveError
from gancurve.store.checkpoint import encode_checkpoint
from gancurve.store.provenance import provenance
from gancurve.store.rundir import RunDir, Snapshots
from gancurve.store.saved import Checkpoint
from gancurve.training.cadence import Cadence
from gancurve.training.guard import DivergedError, divergence_in, divergence_message
from gancurve.training.history import History, load_history
from gancurve.training.signals import StopFlag, StoppedError

#: Ideas evaluated on every ``eval_every`` steps; enough for W1 to about ±0.01.
EVAL_SAMPLES = 2000
#: The most steps run in one engine call: a stop request waits for the call to end.
MAX_CALL_STEPS = 64
#: D's columns, logged with the critic: every logged row of a run that records critic frames, a
#: sweep's member's evaluations (``d_star_gap``: D against the optimal D for G; ``d_slope_real``,
#: ``d_slope_a``: D's slope at the real painting of the law's median, ``core.critic.real_slopes``).
CRITIC_KEYS = frozenset({"d_star_gap", "d_slope_real", "d_slope_a"})
#: The columns an evaluation adds to a metrics row (``raw_…``: G itself, beside its moving average).
_QUALITY = frozenset(Quality.__dataclass_fields__)
QUALITY_KEYS = _QUALITY | {f"raw_{key}" for key in _QUALITY} | CRITIC_KEYS


@dataclass
class Outcome:
    """How a run ended."""

    run: RunDir
    step: int
    last_row: dict[str, float]
    interrupted_by: int | None = None  # the signal number, when a signal stopped the run
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PendingSave:
    """A run's logs and checkpoint at ``step``, made in memory, not yet written."""

    step: int
    rows: list[dict[str, float]]
    snapshots: Snapshots
    checkpoint: bytes


class Reporter(Protocol):
    """Where the loop reports progress (the CLI draws it; tests may record it)."""

    def start(self, total: int, done: int) -> None:
        """The run begins at ``done`` of ``total`` steps."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """A metrics row was logged at ``step``."""

    def warn(self, message: str) -> None:
        """Something the user should see now (e.g. a collapsing generator)."""


def run_facts(config: TrainConfig, cadence: Cadence, device: str, engine: str) -> dict[str, Any]:
    """What ``config.json`` records about a run."""
    return {
        "config": config.to_dict(),
        "cadence": asdict(cadence),
        "device": device,
        "engine": engine,
        **provenance(),
    }


class TrainingSession:
    """One training run bound to its directory: fresh, or resumed from its checkpoint."""

    def __init__(
        self,
        run: RunDir,
        config: TrainConfig,
        cadence: Cadence,
        device: str = "cpu",
        engine: str = DEFAULT_ENGINE,
        trainer: Engine | None = None,
        critic_frames: bool = True,
    ) -> None:
        self.run = run
        self.config = config
        self.cadence = cadence
        self.device = device
        self.engine = engine
        # A sweep hands each member its view of the shared engine; a run alone makes its own.
        self.trainer: Engine = trainer if trainer is not None else make_engine(config, device, engine)
        self.history = History()
        # D along the family with every snapshot, for animate's critic panel (~0.3 ms each: a
        # sweep's members leave it out, where it would cost a fifth of the sweep's time).
        self.critic_frames = critic_frames
        self._critic_cache: tuple[int, tuple[np.ndarray | None, float | None]] | None = None
        self.fixed = fixed_ideas(config, cadence.fixed_ideas)
        self.eval_ideas = eval_ideas(config, EVAL_SAMPLES)
        condition = make_condition(config)  # what each evaluation row asks G for (if anything)
        self.asked = (condition, condition.requested_a(EVAL_SAMPLES))
        self.warned_collapse = False
        self.last_row: dict[str, float] = {}
        self.saved_step: int | None = None  # the step of the checkpoint on disk, if any
        self.notes: list[str] = []  # said once when training starts (e.g. a 0.1.0 run's stream changes)

    def restore(self, checkpoint: Checkpoint) -> None:
        """Continue from the run's checkpoint (already loaded) and logs; the checkpoint decides the step."""
        saved_kind = checkpoint.device.split(":")[0]
        if saved_kind != self.device.split(":")[0]:
            raise GancurveError(
                f"Run {self.run.name!r} was trained on {checkpoint.device}; resume it with "
                f"--device {saved_kind} so it continues exactly."
            )
        try:
            self.trainer.load_state(checkpoint.state)
        except ValueError as error:
            raise GancurveError(f"Cannot resume {self.run.name!r}: {error}.") from error
        self.fixed = checkpoint.fixed_ideas
        self.saved_step = self.trainer.step_count
        self.history = load_history(self.run, self.trainer.step_count)
        self._forget_end_of_run_extras(self.trainer.step_count)
        self.last_row = self.history.rows[-1] if self.history.rows else {}

    def _forget_end_of_run_extras(self, step: int) -> None:
        """Undo what a run logs only because it ended at ``step``, off the usual cadence.

        A run always logs, evaluates and snapshots its last step. Continued past that step,
        the run must look exactly like one that never stopped there.
        """
        cadence, history = self.cadence, self.history
        if history.snapshot_steps and history.snapshot_steps[-1] == step and step % cadence.snapshot_every:
            history.drop_last_snapshot()
        if not history.rows or history.rows[-1]["step"] != step:
            return
        if step % cadence.log_every and step % cadence.eval_every:
            history.rows.pop()
        elif step % cadence.eval_every:
            # (D's columns are logged at every row of a run that records critic frames.)
            extras = QUALITY_KEYS - CRITIC_KEYS if self.critic_frames else QUALITY_KEYS
            history.rows[-1] = {k: v for k, v in history.rows[-1].items() if k not in extras}

    def begin(self, reporter: Reporter) -> Outcome:
        """Write the run's config and say what there is to say before the first step."""
        self.run.write_config(run_facts(self.config, self.cadence, self.device, self.engine))
        outcome = Outcome(self.run, self.trainer.step_count, self.last_row)
        for note in self.notes:
            outcome.warnings.append(note)
            reporter.warn(note)
        return outcome

    def train(self, reporter: Reporter, stop: StopFlag) -> Outcome:
        """Step until ``cadence.steps`` or a stop request, writing logs and checkpoints."""
        outcome = self.begin(reporter)
        reporter.start(self.cadence.steps, self.trainer.step_count)
        first_call = True
        # Overflow on the way to a divergence is caught by the guard, not shown as numpy noise.
        with np.errstate(all="ignore"):
            while self.trainer.step_count < self.cadence.steps and not stop:
                step = self.trainer.step_count
                self.trainer.advance(min(self.cadence.next_event(step), step + MAX_CALL_STEPS) - step)
                self.after_step(self.trainer.step_count, reporter, outcome)
                if first_call:  # did the engine have to fall back (e.g. no CUDA graph)?
                    self._report_engine_notice(reporter, outcome)
                    first_call = False
            if stop.signal is not None and self.trainer.step_count == 0 and self.saved_step is None:
                # A signal that came after the command's own check but before the first step: there
                # is nothing to keep, and a run at step 0 would only block its name (it is removed).
                raise StoppedError("Stopped before training started; no run was created.", stop.signal)
            self.save()
        outcome.step, outcome.last_row = self.trainer.step_count, self.last_row
        outcome.interrupted_by = stop.signal
        return outcome

    def _report_engine_notice(self, reporter: Reporter, outcome: Outcome) -> None:
        notice = self.trainer.notice
        if notice:
            outcome.warnings.append(notice)
            reporter.warn(notice)

    def after_step(self, step: int, reporter: Reporter, outcome: Outcome) -> None:
        """Log, evaluate, snapshot and checkpoint as the cadence says for ``step`` (just taken).

        Raises :class:`DivergedError` when the run's numbers blew up.
        """
        cadence = self.cadence
        is_last = step == cadence.steps
        snapshot = step % cadence.snapshot_every == 0 or is_last
        log = step % cadence.log_every == 0 or step % cadence.eval_every == 0 or is_last
        if not (snapshot or log):
            if step % cadence.checkpoint_every == 0:
                self.save()
            return
        # The step's numbers are read only here, every few steps: no GPU→CPU copy per step.
        values = self.trainer.last_stats()
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
            # With an EMA the averaged G is the run's painter; G itself is recorded beside it.
            artist = self.trainer.artist
            row.update(quality(self.trainer.paint(self.eval_ideas), artist, self.asked).to_dict())
            if self.config.ema > 0:
                raw = quality(self.trainer.paint(self.eval_ideas, raw=True), artist, self.asked)
                row.update({f"raw_{name}": value for name, value in raw.to_dict().items()})
        if self.critic_frames or evaluate:  # (a sweep's members: at evaluations only, to stay fast)
            gap = self._critic(step)[1]
            if gap is not None:
                row["d_star_gap"] = gap
            discriminator = self.trainer.weights()["discriminator"]
            slope, along = real_slopes(discriminator, self.trainer.artist, self.asked[0])
            row.update(d_slope_real=slope, d_slope_a=along)
        problem = divergence_in(row)
        if problem:
            where = f"at step {step} ({problem})"
            raise DivergedError(divergence_message(where, self.saved_step, self.lr_hint()))
        self.history.rows.append(row)
        self.last_row = row
        return row

    def _snapshot(self, step: int, values: dict[str, float]) -> None:
        self.history.snapshot_steps.append(step)
        self.history.snapshot_paintings.append(self.trainer.paint(self.fixed))
        self.history.snapshot_d_accuracy.append(values["d_accuracy"])
        self.history.snapshot_d_score.append(values["d_score"])
        self.history.snapshot_critic.append(self._critic(step)[0] if self.critic_frames else None)

    def critic(self) -> tuple[np.ndarray | None, float | None]:
        """D along the family now next to the optimal D for G now, and the gap (see ``_critic``)."""
        return self._critic(self.trainer.step_count)

    def _critic(self, step: int) -> tuple[np.ndarray | None, float | None]:
        """D along the family now next to the optimal D for G now, and the gap between them
        (``core.critic.critic_frame``), once per step whoever asks (the snapshot, the log row);
        from a few of the evaluation ideas, painted by G itself (what D trains against). Nothing
        when G's paintings are not finite."""
        if self._critic_cache is not None and self._critic_cache[0] == step:
            return self._critic_cache[1]
        # Rows spread over the evaluation's (a conditional run's rows ask for a in increasing order).
        rows = slice(None, None, len(self.eval_ideas) // FRAME_PAINTINGS)
        g_paintings = self.trainer.paint(self.eval_ideas[rows][:FRAME_PAINTINGS], raw=True)
        result: tuple[np.ndarray | None, float | None] = (None, None)
        if np.isfinite(g_paintings).all():
            artist, (condition, requested) = self.trainer.artist, self.asked
            a_hat = artist.fitted_a(g_paintings)
            labels = (
                condition.values(requested[rows][:FRAME_PAINTINGS])[:, 0]
                if condition.name == "label"
                else None
            )
            discriminator = self.trainer.weights()["discriminator"]
            result = critic_frame(discriminator, artist, a_hat, self.config.loss, condition, labels)
        self._critic_cache = (step, result)
        return result

    def end_here(self, reporter: Reporter, outcome: Outcome) -> None:
        """Log, evaluate and snapshot the current step as a run's last step is, so that what is saved
        now is the run ``train --steps STEP`` writes (``gancurve lab`` saves wherever it is);
        :meth:`carry_on` undoes it when training goes on."""
        step, history = self.trainer.step_count, self.history
        if history.snapshot_steps and history.snapshot_steps[-1] == step:
            history.drop_last_snapshot()
        if history.rows and history.rows[-1]["step"] == step:
            history.rows.pop()
        cadence = self.cadence
        self.cadence = replace(cadence, steps=step)
        try:
            self.after_step(step, reporter, outcome)
        finally:
            self.cadence = cadence

    def carry_on(self) -> None:
        """Training goes on past the step :meth:`end_here` ended at: forget what only an end logs."""
        self._forget_end_of_run_extras(self.trainer.step_count)
        self.last_row = self.history.rows[-1] if self.history.rows else {}

    def _check_collapse(self, row: dict[str, float], reporter: Reporter, outcome: Outcome) -> None:
        """Warn once when G's paintings stop varying (mode collapse)."""
        if self.warned_collapse or "spread" not in row:
            return
        law = self.trainer.artist.law
        if collapsing(row["spread"], row["coverage"], law):
            self.warned_collapse = True
            message = (
                f"step {int(row['step'])}: G may be collapsing — spread {row['spread']:.3f} "
                f"(target {law.std:.3f}), coverage {row['coverage']:.2f} (target 1.0)."
            )
            outcome.warnings.append(message)
            reporter.warn(message)

    def lr_hint(self) -> str:
        """A concrete suggestion for a diverged run."""
        return f"--lr-g {self.config.lr_g / 2:g} --lr-d {self.config.lr_d / 2:g}"

    def save(self) -> None:
        """Write logs and checkpoint together: all of them or, if any write fails, none."""
        self.write_saved(self.prepare_save())

    def prepare_save(self) -> PendingSave:
        """What :meth:`save` writes, in memory (a sweep writes many members' at once, in threads:
        reading the engine stays on the caller's thread, only the disk waits in parallel)."""
        state = self.trainer.state()
        if not all_finite(state.weights):
            where = f"by step {state.step} (a weight is not finite)"
            raise DivergedError(divergence_message(where, self.saved_step, self.lr_hint()))
        checkpoint = encode_checkpoint(self.config, self.device, self.fixed, state)
        x = self.trainer.artist.grid()
        return PendingSave(state.step, list(self.history.rows), self.history.snapshots(x), checkpoint)

    def write_saved(self, pending: PendingSave) -> None:
        """Write what :meth:`prepare_save` made (safe in another thread: it touches only the run's files)."""
        self.run.write_state(pending.rows, pending.snapshots, pending.checkpoint)
        self.saved_step = pending.step
