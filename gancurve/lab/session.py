"""The lab's live session: one training run, stepped in its own thread and steered between steps.

:class:`Lab` owns a :class:`~gancurve.training.session.TrainingSession` — the loop, history and
saving of ``gancurve train``, with the same engine — and steps it in a thread of its own, so the
page's server stays responsive (the compiled step releases the GIL while it runs). Everything that
touches the session happens in that thread: the server hands it commands (:meth:`Lab.submit`) and
reads the newest frame it published (:attr:`Lab.frame`), never a queue of them.

A change of a training choice is checked by ``TrainConfig`` (through the options' declarations,
as ``train`` checks them) and applied at the next step through the engine's
:meth:`~gancurve.core.engines.batched.BatchedEngine.retune` when the engine can (learning rates,
betas, loss, R1, EMA, the schedule); any other change (the artist, sizes, the seed, …) starts the
run again, saying so. Saving writes an ordinary run directory through the store — the run
``gancurve train --steps STEP`` would write, plus ``lab.json``, the changes made.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from gancurve.core.artist import example_a
from gancurve.core.config import TrainConfig
from gancurve.core.critic import FRAME_A
from gancurve.core.engines.batched import HYPER_FIELDS, retune_problem
from gancurve.core.metrics import Quality, verdict
from gancurve.core.objectives import OBJECTIVES
from gancurve.core.recipes import RECIPES, TRAINING_OPTIONS, Choices, describe
from gancurve.errors import GancurveError, UsageError
from gancurve.store.provenance import provenance
from gancurve.store.rundir import RunDir
from gancurve.training.cadence import Cadence, saved_cadence
from gancurve.training.guard import DivergedError
from gancurve.training.session import MAX_CALL_STEPS, Outcome, TrainingSession, run_facts

log = logging.getLogger("gancurve.lab")

#: Frames a second the page is sent at most (the newest wins; none queue up).
FRAME_RATE = 30
#: The speeds the page offers: steps per frame (0: as fast as the engine goes).
SPEEDS = (1, 5, 20, 100, 500, 0)
DEFAULT_SPEED = 20
#: The most steps one "step" command takes.
MAX_STEP_COMMAND = 10_000
#: The lab's session never reaches an end or an automatic checkpoint: it saves when asked.
HORIZON = 2**62
#: The fitted-a histogram: bins over the critic panel's range of a, from this many paintings.
HISTOGRAM_BINS = 40
HISTOGRAM_PAINTINGS = 2000
#: The page's series of the logged rows are thinned to at most this many points.
SERIES_POINTS = 400
SERIES = ("w1", "d_accuracy", "d_score", "d_loss", "g_loss", "d_star_gap")
#: The options a recipe sets: picking a recipe on the page replaces what was given for them.
RECIPE_OPTIONS = frozenset(name for recipe in RECIPES.values() for name in recipe.options)
LAB_FORMAT = 1


@dataclass(frozen=True)
class LabRequest:
    """What ``gancurve lab`` was asked for."""

    runs_dir: Path
    name: str | None  # what "save as run" names the run (None: the start time)
    run: str | None  # an existing run to continue live
    given: dict[str, object]  # the training options given, as train takes them (None: not given)
    steps: int  # the total a linear decay is fixed from
    device: str = "cpu"
    engine: str = "fast"
    playing: bool = True  # a fresh run plays at once (a continued one is looked at first)


class Change(TypedDict):
    """One change made on the page: at which step, which option, from what to what, and how."""

    step: int
    option: str
    before: str
    after: str
    applied: str  # "next step" (the engine went on) or "reset" (the run started again)


@dataclass
class Frame:
    """The newest frame, as JSON text, and its number (the server sends a frame it has not sent)."""

    number: int = 0
    text: str = "{}"


class _Reporter:
    """Where the session's warnings go: the page's messages."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages

    def start(self, total: int, done: int) -> None:
        """Nothing to draw: the page shows the step."""

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Nothing to draw: the page shows the rows."""

    def warn(self, message: str) -> None:
        """Shown on the page's status line."""
        self.messages.append(message)


@dataclass
class _Attached:
    """The run directory a session saves into, and its lock (held while the lab has it)."""

    run: RunDir
    lock: contextlib.ExitStack
    saved_step: int


@dataclass
class _Play:
    playing: bool = True
    speed: int = DEFAULT_SPEED
    pending: int = 0  # steps asked by "step"
    since: float = 0.0  # when playing at this speed began
    done: int = 0  # steps played since then
    rate_marks: list[tuple[float, int]] = field(default_factory=list)


class Lab:
    """One live training run and its controls; see the module's docstring."""

    def __init__(self, request: LabRequest) -> None:
        self.request = request
        self.messages: list[str] = []
        self.reporter = _Reporter(self.messages)
        self.changes: list[Change] = []
        self.generation = 0  # counts resets: a page clears its curves when it changes
        self.setup_number = 0  # counts changes to what the page shows beside the frames
        self.attached: _Attached | None = None
        self.given: dict[str, object] = {k: v for k, v in request.given.items() if v is not None}
        self.play = _Play(playing=request.playing)
        self.frame = Frame()
        self.setup_text = "{}"
        self._commands: queue.Queue[tuple[dict[str, Any], Future[dict[str, Any]]]] = queue.Queue()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_frame = -math.inf
        self.session = self._open(request)
        self._publish_setup()
        self._publish_frame()

    # -- opening ------------------------------------------------------------------------------

    def _open(self, request: LabRequest) -> TrainingSession:
        from gancurve.training.resume import choices_of

        if request.run is None:
            choices = choices_of(self.given, request.steps, flags=True)
            self.cadence = Cadence(steps=request.steps)
            return self._fresh(choices.config)
        return self._continue(request.run, choices_of(self.given, request.steps, flags=True))

    def _working(self) -> Cadence:
        """The session's own cadence: the run's, never ending, never saving by itself."""
        return replace(self.cadence, steps=HORIZON, checkpoint_every=HORIZON)

    def _fresh(self, config: TrainConfig) -> TrainingSession:
        unsaved = RunDir(self.request.runs_dir / "(not saved)")  # written only when saved as a run
        return TrainingSession(unsaved, config, self._working(), self.request.device, self.request.engine)

    def _continue(self, name: str, choices: Choices) -> TrainingSession:
        from gancurve.store.checkpoint import load_checkpoint
        from gancurve.store.lock import run_lock
        from gancurve.store.runs import find_run
        from gancurve.training.resume import resume_config

        run = find_run(self.request.runs_dir, name, members=False)
        lock = contextlib.ExitStack()
        lock.enter_context(run_lock(run))
        try:
            checkpoint = load_checkpoint(run)
            self.cadence = saved_cadence(run.read_config()) or Cadence()
            config = resume_config(checkpoint.config, choices.at(self.cadence.steps), force=True)
            session = TrainingSession(run, config, self._working(), self.request.device, self.request.engine)
            session.restore(checkpoint)
            self.changes = [Change(**change) for change in run.read_lab_changes()]  # type: ignore[typeddict-item]
            step = session.trainer.step_count
            for name in checkpoint.config.differences_in(config):  # options given with --run
                before, after = getattr(checkpoint.config, name), getattr(config, name)
                flag = TRAINING_OPTIONS[name].flag if name in TRAINING_OPTIONS else name
                self.changes.append(
                    Change(
                        step=step,
                        option=flag,
                        before=_shown(before),
                        after=_shown(after),
                        applied="next step",
                    )
                )
        except BaseException:
            lock.close()
            raise
        self.attached = _Attached(run, lock, session.trainer.step_count)
        self.given = {}  # the run's own config holds its choices; the page changes them one by one
        self.play.playing = False  # a run continued is looked at first
        return session

    # -- the thread ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start stepping in the lab's own thread."""
        self.play.since = time.perf_counter()
        self._thread = threading.Thread(target=self._loop, name="gancurve-lab", daemon=True)
        self._thread.start()

    def close(self, save: bool = True) -> str | None:
        """Stop the thread; with ``save``, save the run again if it was saved once and has changed
        since. Returns what was done, in words (None: nothing to say)."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join()
        while not self._commands.empty():  # (commands that came as it stopped are answered, not lost)
            self._commands.get_nowait()[1].set_result({"ok": False, "message": "The lab is stopping."})
        said = None
        try:
            if save and self.attached is not None and self._unsaved_steps():
                self._save_into(self.attached.run)
                said = f"Saved run {self.attached.run.label!r} at step {self.session.trainer.step_count:,}."
        finally:
            self._detach()
        return said

    def _unsaved_steps(self) -> bool:
        return self.attached is not None and self.session.trainer.step_count != self.attached.saved_step

    def submit(self, command: dict[str, Any]) -> Future[dict[str, Any]]:
        """Hand a command to the lab's thread; its reply (``ok``, ``message``) comes in the future."""
        future: Future[dict[str, Any]] = Future()
        if self._closing.is_set():
            future.set_result({"ok": False, "message": "The lab is stopping."})
        else:
            self._commands.put((command, future))
        return future

    def _loop(self) -> None:
        with np.errstate(all="ignore"):  # a divergence is the guard's to report, not numpy noise
            while not self._closing.is_set():
                self._run_commands(wait=self._idle_for())
                if self._closing.is_set():
                    break
                steps = self._steps_now()
                if steps:
                    self._train(steps)
                now = time.perf_counter()
                if now - self._last_frame >= 1 / FRAME_RATE:
                    self._publish_frame()

    def _idle_for(self) -> float:
        """How long to wait for a command before stepping again (0: step now)."""
        play = self.play
        if play.pending:
            return 0.0
        if not play.playing:
            return 1 / FRAME_RATE
        if play.speed == 0:
            return 0.0
        due = play.since + (play.done + 1) / (play.speed * FRAME_RATE)  # the next step's time
        return max(0.0, min(1 / FRAME_RATE, due - time.perf_counter()))

    def _steps_now(self) -> int:
        play = self.play
        if play.pending:
            return min(play.pending, MAX_CALL_STEPS)
        if not play.playing:
            return 0
        if play.speed == 0:
            return MAX_CALL_STEPS
        owed = int((time.perf_counter() - play.since) * play.speed * FRAME_RATE) - play.done
        return max(0, min(owed, MAX_CALL_STEPS))

    def _train(self, steps: int) -> None:
        """Up to ``steps`` steps, never past the cadence's next event (the loop of ``train``)."""
        session, play = self.session, self.play
        step = session.trainer.step_count
        count = min(session.cadence.next_event(step), step + steps) - step
        said = len(self.messages)
        try:
            session.trainer.advance(count)
            session.after_step(session.trainer.step_count, self.reporter, self._outcome())
        except Exception as error:  # diverged (the guard's sentence), or a bug: paused, said, going on
            if not isinstance(error, DivergedError):
                log.exception("training failed at step %d", session.trainer.step_count)
            play.playing, play.pending = False, 0
            self.messages.append(str(error).splitlines()[0])
            self._publish_setup()
            return
        if len(self.messages) != said:  # a warning (G collapsing) goes to the page at once
            self._publish_setup()
        if play.pending:
            play.pending -= count
            if not play.pending:
                self._publish_frame()  # the step asked for is shown at once, exactly
        else:
            play.done += count
        now = time.perf_counter()
        play.rate_marks.append((now, session.trainer.step_count))
        while play.rate_marks and now - play.rate_marks[0][0] > 1.0:
            play.rate_marks.pop(0)

    def _outcome(self) -> Outcome:
        return Outcome(self.session.run, self.session.trainer.step_count, self.session.last_row, warnings=[])

    def _run_commands(self, wait: float) -> None:
        try:
            command, future = self._commands.get(timeout=wait) if wait > 0 else self._commands.get_nowait()
        except queue.Empty:
            return
        while True:
            future.set_result(self._answer(command))
            try:
                command, future = self._commands.get_nowait()
            except queue.Empty:
                return

    def _answer(self, command: dict[str, Any]) -> dict[str, Any]:
        handlers = {
            "play": self._on_play,
            "pause": self._on_pause,
            "step": self._on_step,
            "speed": self._on_speed,
            "set": self._on_set,
            "reset": self._on_reset,
            "save": self._on_save,
        }
        kind = command.get("do")
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return {
                "ok": False,
                "message": f"Unknown command {kind!r}; the commands are {', '.join(handlers)}.",
            }
        try:
            message = handler(command)
        except GancurveError as error:
            return {"ok": False, "message": str(error)}
        except Exception as error:  # a bug: said on the page and in the log, and the lab goes on
            log.exception("command %r failed", kind)
            return {"ok": False, "message": f"The lab failed on {kind!r}: {type(error).__name__}: {error}"}
        finally:
            self._publish_setup()
            self._publish_frame()
        return {"ok": True, "message": message}

    # -- the commands -------------------------------------------------------------------------

    def _on_play(self, command: dict[str, Any]) -> str:
        self.play.playing, self.play.pending = True, 0
        self._restart_clock()
        return "Playing."

    def _on_pause(self, command: dict[str, Any]) -> str:
        self.play.playing, self.play.pending = False, 0
        return f"Paused at step {self.session.trainer.step_count:,}."

    def _on_step(self, command: dict[str, Any]) -> str:
        count = command.get("count")
        if not (isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= MAX_STEP_COMMAND):
            raise UsageError(
                f"A step takes a whole number of steps from 1 to {MAX_STEP_COMMAND:,}, got {count!r}."
            )
        self.play.playing = False
        self.play.pending += count
        return f"Stepping {count:,} from step {self.session.trainer.step_count:,}."

    def _on_speed(self, command: dict[str, Any]) -> str:
        value = command.get("value")
        if value not in SPEEDS or isinstance(value, bool):
            shown = ", ".join(str(speed) for speed in SPEEDS)
            raise UsageError(f"The speed is one of {shown} steps per frame (0: full speed), got {value!r}.")
        self.play.speed = int(value)
        self._restart_clock()
        return "Full speed." if value == 0 else f"{value} steps per frame."

    def _restart_clock(self) -> None:
        self.play.since, self.play.done = time.perf_counter(), 0

    def _on_set(self, command: dict[str, Any]) -> str:
        from gancurve.training.resume import choices_of

        name, text = command.get("option"), command.get("value")
        option = TRAINING_OPTIONS.get(name) if isinstance(name, str) else None
        if option is None or not isinstance(name, str):
            raise UsageError(
                f"{name!r} is not a training option; the options are {', '.join(TRAINING_OPTIONS)}."
            )
        if not isinstance(text, str):
            raise UsageError(f"{option.flag} takes a value as text, got {text!r}.")
        try:
            value = option.parse(text)
        except ValueError:
            raise UsageError(
                f"Invalid hyperparameters: {option.flag} must be {option.choice.rule.text}, got {text!r}."
            ) from None
        if name == "recipe" and value not in RECIPES:  # (a recipe file names a path on this machine)
            raise UsageError(
                f"Invalid hyperparameters: --recipe must be one of {', '.join(RECIPES)}, got {text!r}."
            )
        given = dict(self.given) if self.attached is None or self.request.run is None else self._as_given()
        if name == "recipe":  # a recipe sets its options anew
            given = {key: val for key, val in given.items() if key not in RECIPE_OPTIONS}
        given[name] = value
        if name == "lr_schedule" and value != "linear-decay":
            given.pop("decay_start", None)
        config = choices_of(given, self.cadence.steps, flags=True).config
        before = self._shown_value(name)
        old = self.session.config
        if config == old:
            self.given = given
            return f"{option.flag} is {before} already; nothing changes."
        step = self.session.trainer.step_count
        retune = getattr(self.session.trainer, "retune", None)
        problem = (
            retune_problem(old, config) if retune is not None else "this engine cannot change between steps"
        )
        if problem is None and retune is not None:
            retune(config)
            self.session.config = config
            self.given = given
            after = self._shown_value(name)
            self.changes.append(
                Change(step=step, option=option.flag, before=before, after=after, applied="next step")
            )
            return f"{option.flag} {before} → {after} from step {step + 1:,}."
        self.given = given
        self._reset_to(config)
        after = self._shown_value(name)
        self.changes.append(
            Change(step=step, option=option.flag, before=before, after=after, applied="reset")
        )
        return f"{option.flag} {before} → {after}: {problem}, so the run starts again from step 0."

    def _as_given(self) -> dict[str, object]:
        """A continued run's choices as options (its config, field by field), so a change keeps the rest."""
        config = self.session.config
        given: dict[str, object] = {
            name: getattr(config, name) for name, declared in TrainConfig.choices().items() if declared.option
        }
        given["betas"] = (config.beta1, config.beta2)
        if config.artist != "parabola-modes":
            given.pop("modes", None)
        if config.lr_schedule == "linear-decay" and config.decay_end:
            given["decay_start"] = config.decay_start / config.decay_end
        return {**given, **self.given}

    def _on_reset(self, command: dict[str, Any]) -> str:
        text = command.get("seed")
        if text is None or text == "":
            seed = self.session.config.seed
        else:
            option = TRAINING_OPTIONS["seed"]
            problem = None
            try:
                seed = option.parse(str(text))
                problem = option.choice.rule.problem(option.flag, seed)
            except ValueError:
                problem = f"{option.flag} must be {option.choice.rule.text}, got {text!r}"
            if problem:
                raise UsageError(f"Invalid hyperparameters: {problem}.")
        step, before = self.session.trainer.step_count, str(self.session.config.seed)
        self.given["seed"] = seed
        self._reset_to(replace(self.session.config, seed=seed))
        self.changes = [Change(step=step, option="--seed", before=before, after=str(seed), applied="reset")]
        return f"Started again from step 0 with seed {seed}."

    def _reset_to(self, config: TrainConfig) -> None:
        """A new run with ``config`` from step 0; a run saved before stays as it was saved."""
        if self.request.run is not None and self.attached is not None:
            self.given = {**self._as_given(), **self.given}
        self._detach()
        self.session = self._fresh(config)
        self.generation += 1
        self.play.pending, self.play.rate_marks = 0, []
        self._restart_clock()
        self.messages.clear()

    def _detach(self) -> None:
        if self.attached is not None:
            self.attached.lock.close()
            self.attached = None

    def _on_save(self, command: dict[str, Any]) -> str:
        from gancurve.store.lock import run_lock
        from gancurve.store.runs import create_run, discard_run

        name = command.get("name") or None
        if name is not None and not isinstance(name, str):
            raise UsageError(f"A run's name is text, got {name!r}.")
        if self.session.trainer.step_count == 0:
            raise UsageError("Nothing to save yet: take a step first.")
        attached = self.attached
        if attached is not None and name in (None, attached.run.name):
            self._save_into(attached.run)
            return f"Saved run {attached.run.label!r} at step {attached.saved_step:,}."
        run = create_run(self.request.runs_dir, name or self.request.name)
        lock = contextlib.ExitStack()
        try:
            lock.enter_context(run_lock(run))
            self._detach()
            self.attached = _Attached(run, lock, -1)
            self._save_into(run)
        except BaseException:
            if self.attached is not None and self.attached.run == run:
                self.attached = None
            lock.close()
            discard_run(run)
            raise
        step = self.session.trainer.step_count
        return f"Saved run {run.label!r} at step {step:,}: gancurve evaluate --run {run.label}"

    def _save_into(self, run: RunDir) -> None:
        """The run ``train --steps STEP`` would write at this step, and the changes, in ``run``."""
        session = self.session
        step = session.trainer.step_count
        session.run = run
        session.end_here(self.reporter, self._outcome())
        try:
            pending = session.prepare_save()
            run.write_config(
                run_facts(session.config, replace(self.cadence, steps=step), session.device, session.engine)
            )
            session.write_saved(pending)
            run.write_lab_changes({"format": LAB_FORMAT, "changes": list(self.changes), **provenance()})
        finally:
            session.carry_on()
        assert self.attached is not None
        self.attached.saved_step = step

    # -- what the page is sent ----------------------------------------------------------------

    def _shown_value(self, name: str) -> str:
        """An option's value now, as the page's field shows it (and the command line takes it)."""
        config = self.session.config
        if name == "recipe":
            return str(self.given.get("recipe", TRAINING_OPTIONS["recipe"].default))
        if name == "betas":
            return f"{config.beta1:g},{config.beta2:g}"
        if name == "decay_start":
            share = (
                config.decay_start / config.decay_end if config.decay_end else TRAINING_OPTIONS[name].default
            )
            return f"{share:g}"
        return _shown(getattr(config, name))

    def _publish_setup(self) -> None:
        """What the page shows beside the frames: the canvas, the controls, the changes."""
        import json

        session = self.session
        config, artist = session.config, session.trainer.artist
        objective = OBJECTIVES[config.loss]
        fine = replace(artist, points=100)

        retunable = getattr(session.trainer, "retune", None) is not None
        controls = [
            {
                "name": name,
                "flag": option.flag,
                "help": option.choice.help,
                "names": list(option.choice.names),
                "rule": option.choice.rule.text,
                "value": self._shown_value(name),
                # applied at the next step (else: the run starts again); wasserstein-gp, which draws
                # numbers of its own, starts again too (the reply says so)
                "live": retunable and all(field in HYPER_FIELDS for field in option_fields(name)),
            }
            for name, option in TRAINING_OPTIONS.items()
        ]
        self.setup_number += 1
        setup = {
            "type": "setup",
            "number": self.setup_number,
            "generation": self.generation,
            "recipe": describe(config),
            "x": _numbers(artist.grid(np.float64)),
            "fine_x": _numbers(fine.grid(np.float64)),
            "lower": _numbers(fine.lower_bound(np.float64)),
            "upper": _numbers(fine.upper_bound(np.float64)),
            "examples": [_numbers(row) for row in fine.paint(np.array(example_a(artist.law)))],
            "y_limits": list(artist.family.y_limits),
            "lower_label": artist.family.lower_label,
            "upper_label": artist.family.upper_label,
            "law": [list(interval) for interval in artist.law.intervals],
            "a_range": [float(FRAME_A[0]), float(FRAME_A[-1])],
            "objective": {
                "name": config.loss,
                "view": objective.view,
                "view_at_equilibrium": objective.view_at_equilibrium,
                "d_loss_at_equilibrium": objective.d_loss_at_equilibrium,
                "g_loss_at_equilibrium": objective.g_loss_at_equilibrium,
                "probabilistic": objective.probabilistic,
            },
            "colours": self._colours(config, len(session.fixed)),
            "controls": controls,
            "speeds": list(SPEEDS),
            "changes": list(self.changes),
            "messages": self.messages[-4:],
            "saved": None if self.attached is None else self.attached.run.label,
            "default_name": self.request.name or "",
        }
        self.setup_text = json.dumps(setup, allow_nan=False)

    @staticmethod
    def _colours(config: TrainConfig, curves: int) -> list[str]:
        """The colours of G's curves, as ``animate`` draws them: a conditional G's by what they ask
        (none: the page's green for all; matplotlib, for its colour map, only then — it costs start-up)."""
        from gancurve.core.condition import make_condition

        if not make_condition(config).width:
            return []
        from matplotlib.colors import to_hex

        from gancurve.render.frames import Look

        look = Look(OBJECTIVES[config.loss], None, make_condition(config))
        return [to_hex(colour) for colour in look.colours(curves)]

    def _publish_frame(self) -> None:
        import json

        session, play = self.session, self.play
        trainer = session.trainer
        step = trainer.step_count
        paintings = trainer.paint(session.fixed)
        artist = trainer.artist
        critic: dict[str, Any] | None = None
        dots: list[float | None] = []
        histogram: list[int] = []
        if step > 0 and np.isfinite(paintings).all():
            frame, _gap = session.critic()
            if frame is not None:
                critic = {"d": _numbers(frame[0]), "d_star": _numbers(frame[1]), "push": _numbers(frame[2])}
            dots = _numbers(artist.fitted_a(paintings))
        many = trainer.paint(session.eval_ideas[:HISTOGRAM_PAINTINGS])
        if np.isfinite(many).all():
            counts, _ = np.histogram(
                artist.fitted_a(many), bins=HISTOGRAM_BINS, range=(FRAME_A[0], FRAME_A[-1])
            )
            histogram = [int(count) for count in counts]
        marks = play.rate_marks
        rate = (marks[-1][1] - marks[0][1]) / (marks[-1][0] - marks[0][0]) if len(marks) > 1 else 0.0
        body = {
            "type": "frame",
            "generation": self.generation,
            "setup": self.setup_number,
            "step": step,
            "playing": play.playing or bool(play.pending),
            "speed": play.speed,
            "steps_per_second": round(rate, 1),
            "paintings": [_numbers(row) for row in paintings],
            "critic": critic,
            "dots": dots,
            "histogram": histogram,
            "histogram_paintings": HISTOGRAM_PAINTINGS,
            "series": self._series(),
            "verdict": self._verdict(),
        }
        self._last_frame = time.perf_counter()
        self.frame = Frame(self.frame.number + 1, json.dumps(body, allow_nan=False))

    def _series(self) -> dict[str, dict[str, list[float | None]]]:
        """Each logged number over the steps, thinned to :data:`SERIES_POINTS` (W1 is measured only
        at evaluations: each series keeps the rows that hold it, the last one always)."""
        rows = self.session.history.rows
        series: dict[str, dict[str, list[float | None]]] = {}
        for key in SERIES:
            held = [row for row in rows if key in row]
            every = max(1, math.ceil(len(held) / SERIES_POINTS))
            chosen = held[::every] + ([held[-1]] if held and (len(held) - 1) % every else [])
            series[key] = {
                "step": [float(row["step"]) for row in chosen],
                "value": [_number(row[key]) for row in chosen],
            }
        return series

    def _verdict(self) -> dict[str, Any] | None:
        """The verdict of the latest evaluated row (a step's D view; ``evaluate`` scores more)."""
        for row in reversed(self.session.history.rows):
            if "w1" in row:
                names = Quality.__dataclass_fields__
                quality = Quality(**{key: row[key] for key in names if key in row})
                config = self.session.config
                judged = verdict(
                    quality, row["d_accuracy"], OBJECTIVES[config.loss], self.session.trainer.artist.law
                )
                return {
                    "label": judged.label,
                    "reason": judged.reason,
                    "step": int(row["step"]),
                    "w1": _number(row["w1"]),
                }
        return None

    def state(self) -> dict[str, Any]:
        """The lab's state in a few words, for tests and scripts (``GET /api/state``)."""
        return {
            "step": self.session.trainer.step_count,
            "generation": self.generation,
            "playing": self.play.playing,
            "config": asdict(self.session.config),
            "changes": list(self.changes),
            "saved": None if self.attached is None else self.attached.run.label,
        }


def option_fields(name: str) -> tuple[str, ...]:
    """The config's fields an option sets (a recipe: the fields of the options recipes set)."""
    if name == "recipe":
        return tuple(field for option in sorted(RECIPE_OPTIONS) for field in option_fields(option))
    return {
        "betas": ("beta1", "beta2"),
        "decay_start": ("decay_start", "decay_end"),
        "lr_schedule": ("lr_schedule", "decay_start", "decay_end"),
    }.get(name, (name,))


def _shown(value: object) -> str:
    """A choice's value as the command line writes it (``0.0001``, ``hinge``)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def _numbers(values: np.ndarray) -> list[float | None]:
    return [_number(float(value)) for value in np.asarray(values, dtype=np.float64).ravel()]
