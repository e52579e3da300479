"""Opening a training session: a fresh run, or an existing one continued from its checkpoint."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gancurve.core.config import TrainConfig
from gancurve.core.engines import DEFAULT_ENGINE
from gancurve.core.recipes import Choices, choose
from gancurve.errors import GancurveError, UsageError
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.legacy import legacy_note
from gancurve.store.lock import run_lock
from gancurve.store.recipe_files import is_recipe_file, read_recipe_file
from gancurve.store.rundir import RunDir
from gancurve.training.cadence import Cadence, CadenceOptions, resolve_cadence, saved_cadence
from gancurve.training.session import TrainingSession

#: Hyperparameters that shape the networks or say what their inputs mean: a resumed run can never
#: change them (a label and an a are both one input column, but not the same question).
ARCHITECTURE_FIELDS = ("ideas", "points", "hidden", "condition")


def choices_of(given: Mapping[str, object], steps: int, flags: bool = False) -> Choices:
    """The training choices of the options given (None: not given) for a run of ``steps`` steps, as
    ``train``, ``sweep`` and the Python API take them; ``recipe`` may name a recipe file
    (:mod:`gancurve.store.recipe_files`). A ``UsageError`` names what is refused (the options as the
    command line names them with ``flags``)."""
    recipe, preset = given.get("recipe"), None
    if isinstance(recipe, str) and is_recipe_file(recipe):  # a file's options, which given ones override
        given, preset = {**given, "recipe": None}, read_recipe_file(Path(recipe))
    try:
        return choose(given, steps, flags, preset)
    except ValueError as error:
        raise UsageError(f"Invalid hyperparameters: {error}.") from error


def resume_config(saved: TrainConfig, requested: Choices, force: bool) -> TrainConfig:
    """The config to continue with: the saved one, with changes only if ``force`` allows them."""
    try:
        wanted = requested.over(saved)
    except ValueError as error:
        raise UsageError(f"Invalid hyperparameters: {error}.") from error
    changes = saved.differences(wanted)
    if not changes:
        return saved
    fixed = [name for name in ARCHITECTURE_FIELDS if getattr(saved, name) != getattr(wanted, name)]
    if fixed:
        raise UsageError(
            f"Cannot change {', '.join(fixed)} of a trained run: the networks' inputs depend on it."
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
    cadence: Cadence | CadenceOptions  # options: what was given; a resume fills the rest from the run's
    choices: Choices  # the training choices asked for (a resumed run changes only those)
    resume: bool = False
    force: bool = False
    engine: str = DEFAULT_ENGINE  # see core.engines.ENGINES: the same math, at different speeds


@contextlib.contextmanager
def open_session(request: TrainRequest) -> Iterator[TrainingSession]:
    """A fresh run in a new directory, or the existing run resumed from its checkpoint, locked.

    The run's lock is held from the moment the run is found or created until the block ends.
    A fresh run that fails or is interrupted before its first checkpoint is removed again, so a
    failed start never leaves a directory behind that blocks its name.
    """
    from gancurve.device import select_device
    from gancurve.store.runs import create_run, discard_run, find_run

    device = select_device(request.device)
    if request.resume:
        run = find_run(request.runs_dir, request.name, members=False)  # (a sweep resumes as a whole)
        with run_lock(run):
            yield _resumed_session(run, request, device)
        return
    config = request.choices.config
    run = create_run(request.runs_dir, request.name)
    with run_lock(run):
        session: TrainingSession | None = None
        try:
            session = TrainingSession(run, config, resolve_cadence(request.cadence), device, request.engine)
            yield session
        except BaseException:
            if session is None or session.saved_step is None:
                discard_run(run)
            raise


def _resumed_session(run: RunDir, request: TrainRequest, device: str) -> TrainingSession:
    checkpoint = load_checkpoint(run)  # read once: its config is checked, then its state restored
    cadence = resolve_cadence(request.cadence, _saved_cadence(run))
    config = resume_config(checkpoint.config, request.choices.at(cadence.steps), request.force)
    session = TrainingSession(run, config, cadence, device, request.engine)
    session.restore(checkpoint)
    note = legacy_note(checkpoint)
    if note:
        session.notes.append(note)
    if session.trainer.step_count >= cadence.steps:
        raise UsageError(
            f"Run {run.name!r} is already at step {session.trainer.step_count}; "
            f"--steps is the total, so ask for more than that."
        )
    return session


def _saved_cadence(run: RunDir) -> Cadence | None:
    """The cadence the run was trained with (config.json), if it says; the checkpoint is what counts."""
    try:
        return saved_cadence(run.read_config())
    except GancurveError:
        return None
