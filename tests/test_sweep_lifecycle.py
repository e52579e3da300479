"""A sweep's lifecycle: resumed at its own total and cadence, its summary phase shown and stoppable."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

from gancurve.core.recipes import choose
from gancurve.store.lock import process_start
from gancurve.store.rundir import RunDir
from gancurve.store.sweeps import MEMBERS_MAX
from gancurve.sweeps.opening import SweepRequest, open_sweep
from gancurve.training.cadence import Cadence
from gancurve.training.signals import StopFlag

SMALL = ["--log-every", "20", "--snapshot-every", "20", "--eval-every", "60", "--checkpoint-every", "60"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-seed, 120-step sweep 'pair' with a cadence of its own, trained through the CLI."""
    runs = tmp_path_factory.mktemp("runs")
    code, _, stderr = run_cli("sweep", "--seeds", "1-2", "--steps", "120", "--runs-dir", str(runs),
                              "--name", "pair", *SMALL)  # fmt: skip
    assert code == 0, stderr
    return runs


def copy_of(finished: Path, tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    shutil.copytree(finished / "pair", runs / "pair")
    return runs


def run_hint(hint: str) -> tuple[int, str, str]:
    """Run the ``gancurve ...`` command a message names, exactly as written."""
    command = hint.split("'gancurve ", 1)[1].split("'")[0] if "'gancurve " in hint else hint
    args = shlex.split(command.removeprefix("gancurve "))
    return run_cli(*args)


# -- item 2: a sweep stopped between its last step and its summary can be finished -------------------


def test_a_sweep_without_its_summary_is_finished_by_the_hint_and_keeps_its_steps(
    finished: Path, tmp_path: Path
) -> None:
    runs = copy_of(finished, tmp_path)
    sweep = runs / "pair"
    summary = (sweep / "summary.json").read_text()
    checkpoint = (sweep / "seed-001" / "checkpoint.safetensors").read_bytes()
    for name in ("summary.json", "summary.csv"):  # killed after training, before the summary
        (sweep / name).unlink()
    for command in (["plot", "--run", "pair"], ["compare", "pair", "pair"]):
        code, _, stderr = run_cli(*command, "--runs-dir", str(runs))
        assert code == 1 and "--name pair" in stderr and "--steps 120" in stderr, stderr
    code, _, stderr = run_cli("plot", "--run", "pair", "--runs-dir", str(runs))
    code, _, stderr = run_hint(stderr.strip())  # the very command the message names
    assert code == 0, stderr
    assert (sweep / "summary.json").read_text() == summary  # rebuilt from the members, the same
    assert (sweep / "seed-001" / "checkpoint.safetensors").read_bytes() == checkpoint  # not retrained
    assert json.loads((sweep / "sweep.json").read_text())["cadence"]["steps"] == 120


def test_a_resume_without_steps_continues_to_the_saved_total_not_the_default(
    finished: Path, tmp_path: Path
) -> None:
    runs = copy_of(finished, tmp_path)
    (runs / "pair" / "summary.json").unlink()
    code, _, stderr = run_cli("sweep", "--resume", "--name", "pair", "--runs-dir", str(runs))
    assert code == 0, stderr
    rows = json.loads((runs / "pair" / "summary.json").read_text())["members"]
    assert [row["step"] for row in rows] == [120, 120]  # not trained on to 10,000


def test_a_resume_without_steps_fixes_an_asked_decay_from_the_saved_total(tmp_path: Path) -> None:
    """Resumed with the recipe it was started with (--recipe best: a linear decay over the second
    half) and no --steps: the decay is the run's own, steps 30-60; it was 5,000-10,000 (the default
    total's), refused as 'not the same run' (and --force would have taken it)."""
    args = ["--runs-dir", str(tmp_path), "--name", "b", "--recipe", "best"]
    assert run_cli("sweep", "--seeds", "1-2", "--steps", "60", *args, *SMALL)[0] == 0
    (tmp_path / "b" / "summary.json").unlink()
    code, _, stderr = run_cli("sweep", "--resume", *args)
    assert code == 0, stderr
    config = json.loads((tmp_path / "b" / "sweep.json").read_text())["config"]
    assert (config["decay_start"], config["decay_end"]) == (30, 60)
    asked = choose({"lr_schedule": "linear-decay", "decay_start": 0.25}, 10_000)
    assert (asked.at(200).config.decay_start, asked.at(200).config.decay_end) == (50, 200)
    assert choose({"loss": "hinge"}, 10_000).at(200) == choose({"loss": "hinge"}, 10_000)


def test_a_grid_without_its_summary_is_finished_at_its_own_steps(tmp_path: Path) -> None:
    args = ["sweep", "--seeds", "1-2", "--steps", "60", "--lr-g", "1e-4,2e-4", "--runs-dir", str(tmp_path),
            "--name", "g", *SMALL]  # fmt: skip
    assert run_cli(*args)[0] == 0
    grid = tmp_path / "g"
    summary = (grid / "summary.json").read_text()
    recipe = next(p for p in grid.iterdir() if p.is_dir())
    (grid / "summary.json").unlink()
    (recipe / "summary.json").unlink()
    code, _, stderr = run_cli("plot", "--run", f"g/{recipe.name}", "--runs-dir", str(tmp_path))
    assert code == 1 and "--name g " in stderr and "--steps 60" in stderr, stderr  # the grid, not the recipe
    code, _, stderr = run_hint(stderr.strip())
    assert code == 0, stderr
    assert (grid / "summary.json").read_text() == summary and (recipe / "summary.json").is_file()


def test_a_summary_write_that_fails_says_how_to_finish(
    finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gancurve.errors import GancurveError
    from gancurve.store import sweeps as store

    runs = copy_of(finished, tmp_path)
    (runs / "pair" / "summary.json").unlink()

    def disk_full(*_: Any) -> None:
        raise GancurveError(
            "Cannot write summary.json: No space left on device; the previous version is kept."
        )

    monkeypatch.setattr(store.SweepDir, "write_summary", disk_full)
    code, _, stderr = run_cli("sweep", "--resume", "--name", "pair", "--runs-dir", str(runs))
    last = stderr.strip().splitlines()[-1]  # (above it: the progress, drawn as lines without a terminal)
    assert code == 1 and last.startswith("Error: Cannot write") and "No space left" in last
    monkeypatch.undo()
    code, _, stderr = run_hint(last.split("finish the summary with: ")[1].strip())
    assert code == 0, stderr


# -- item 15: a resume keeps the cadence it was started with ----------------------------------------


def test_a_resumed_sweep_and_run_keep_their_cadence(finished: Path, tmp_path: Path) -> None:
    runs = copy_of(finished, tmp_path)
    code, _, stderr = run_cli(
        "sweep", "--resume", "--name", "pair", "--steps", "160", "--runs-dir", str(runs)
    )
    assert code == 0, stderr
    steps = [row["step"] for row in RunDir(runs / "pair" / "seed-001").read_metrics()]
    assert steps == list(range(20, 161, 20))  # every 20 steps still, not every 50
    code, _, stderr = run_cli("train", "--resume", "--name", "pair/seed-002", "--steps", "200",
                              "--runs-dir", str(runs))  # fmt: skip
    assert code == 0, stderr
    assert [row["step"] for row in RunDir(runs / "pair" / "seed-002").read_metrics()][-3:] == [160, 180, 200]
    # An option given is an option taken.
    code, _, stderr = run_cli("train", "--resume", "--name", "pair/seed-002", "--steps", "300",
                              "--log-every", "50", "--runs-dir", str(runs))  # fmt: skip
    assert code == 0, stderr
    assert [row["step"] for row in RunDir(runs / "pair" / "seed-002").read_metrics()][-3:] == [240, 250, 300]


def test_cadence_options_fill_what_was_not_given() -> None:
    from gancurve.training.cadence import CadenceOptions

    saved = Cadence(steps=600, log_every=10, snapshot_every=10)
    assert CadenceOptions().resolve(saved) == saved
    assert CadenceOptions(log_every=5).resolve(saved) == Cadence(steps=600, log_every=5, snapshot_every=10)
    assert CadenceOptions().resolve() == Cadence()


# -- item 14: what sweep.json lists is checked as --seeds is ----------------------------------------


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        (list(range(1, MEMBERS_MAX + 2)), "a sweep trains at most"),
        ([1, 1], "names seed 1 twice"),
        ([2**64], "larger than the largest seed"),
        ([1, "2"], "names '2', which is not a seed"),
    ],
)
def test_seeds_read_back_from_sweep_json_are_checked_as_the_option_is(
    finished: Path, tmp_path: Path, seeds: list[Any], message: str
) -> None:
    runs = copy_of(finished, tmp_path)
    facts_file = runs / "pair" / "sweep.json"
    facts = json.loads(facts_file.read_text())
    facts_file.write_text(json.dumps({**facts, "seeds": seeds}))
    code, _, stderr = run_cli("sweep", "--resume", "--name", "pair", "--runs-dir", str(runs))
    assert code == 1 and message in stderr and "sweep.json is damaged" in stderr and stderr.count("\n") == 1
    assert not (runs / "pair" / "seed-003").exists()  # nothing was built for them


# -- items 8 and 16: the saving and scoring phase, shown and stoppable ------------------------------


class Recorder:
    """A sweep reporter that records its phases, and sends a stop request at a given moment."""

    def __init__(self, stop: StopFlag, stop_in: str | None = None, signals: int = 1) -> None:
        self.stop, self.stop_in, self.signals = stop, stop_in, signals
        self.phases: list[tuple[str, int]] = []
        self.done: list[int] = []

    def start(self, total: int, done: int, members: int) -> None: ...
    def advance(self, step: int, row: dict[str, float]) -> None: ...

    def phase(self, name: str, total: int) -> None:
        self.phases.append((name, total))

    def phase_advance(self, done: int) -> None:
        self.done.append(done)
        if self.phases[-1][0] == self.stop_in and done == 32:
            for _ in range(self.signals):
                self.stop.request(signal.SIGINT)


def sweep_of(tmp_path: Path, name: str, seeds: int, resume: bool = False) -> SweepRequest:
    cadence = Cadence(steps=20, log_every=10, snapshot_every=10, eval_every=20, checkpoint_every=1000)
    return SweepRequest(
        tmp_path, name, None if resume else tuple(range(1, seeds + 1)), cadence, choose({}, 1), resume
    )


@pytest.mark.parametrize("phase", ["saving", "scoring"])
def test_a_stop_after_training_ends_the_phase_keeps_the_saved_and_resumes(tmp_path: Path, phase: str) -> None:
    stop = StopFlag()
    reporter = Recorder(stop, stop_in=phase)
    with open_sweep(sweep_of(tmp_path, "big", 100)) as session:
        outcome = session.train(reporter, stop)
    assert reporter.phases[0] == ("saving", 100)
    assert reporter.done[-1] == 32 and outcome.interrupted_by == signal.SIGINT  # stopped within a chunk
    assert outcome.aggregate is None and not (tmp_path / "big" / "summary.json").exists()
    saved = [
        RunDir(tmp_path / "big" / f"seed-{s:03d}").existing_checkpoint() is not None for s in range(1, 101)
    ]
    assert sum(saved) == (32 if phase == "saving" else 100)
    assert outcome.unsaved == 100 - sum(saved)  # (the stop message says so: "32 of 100 saved")
    with open_sweep(sweep_of(tmp_path, "big", 100, resume=True)) as session:
        finished = session.train(Recorder(StopFlag()), StopFlag())
    assert finished.interrupted_by is None and len(finished.rows) == 100
    assert (tmp_path / "big" / "summary.json").is_file()


def test_a_stop_in_training_saves_every_member_unless_asked_twice(tmp_path: Path) -> None:
    for name, signals, kept in (("once", 0, 40), ("twice", 1, 32)):
        stop = StopFlag()
        stop.request(signal.SIGTERM)  # as if it came during the last steps
        reporter = Recorder(stop, stop_in="saving", signals=signals)
        with open_sweep(sweep_of(tmp_path, name, 40)) as session:
            session.engine.advance(5)  # some training happened
            outcome = session.train(reporter, stop)
        assert outcome.interrupted_by is not None and ("scoring", 40) not in reporter.phases
        members = [RunDir(tmp_path / name / f"seed-{s:03d}") for s in range(1, 41)]
        assert sum(member.existing_checkpoint() is not None for member in members) == kept


def test_a_ctrl_c_once_the_summary_is_written_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stop request lands while the summary is written (item 8): the sweep is complete."""
    from gancurve.store import sweeps as store

    real = store.SweepDir.write_summary
    flags: list[StopFlag] = []
    from gancurve.training import signals

    real_flag = signals.StopFlag

    class Recording(real_flag):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            flags.append(self)

    def write_then_ctrl_c(self: store.SweepDir, *args: Any) -> None:
        real(self, *args)
        flags[-1].request(signal.SIGINT)

    monkeypatch.setattr(signals, "StopFlag", Recording)
    monkeypatch.setattr(store.SweepDir, "write_summary", write_then_ctrl_c)
    code, stdout, stderr = run_cli("sweep", "--seeds", "1-2", "--steps", "20", "--runs-dir", str(tmp_path),
                                   "--name", "late", *SMALL)  # fmt: skip
    assert code == 0 and "the sweep is complete" in stderr and "Finish with" not in stderr
    assert "converged" in stdout or "still learning" in stdout or "diverged" in stdout


def test_a_ctrl_c_in_the_saving_says_how_many_members_are_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the first chunk of 32 saves: 'every member is trained, the summary is not
    written yet' said nothing of the 8 members that were not saved (they train again)."""
    from gancurve.training import signals
    from gancurve.training.session import TrainingSession

    flags: list[StopFlag] = []
    real_flag, real_write = signals.StopFlag, TrainingSession.write_saved

    class Recording(real_flag):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            flags.append(self)

    def write_then_ctrl_c(self: TrainingSession, *args: Any) -> None:
        real_write(self, *args)
        flags[-1].request(signal.SIGINT)

    monkeypatch.setattr(signals, "StopFlag", Recording)
    monkeypatch.setattr(TrainingSession, "write_saved", write_then_ctrl_c)
    code, _, stderr = run_cli("sweep", "--seeds", "1-40", "--steps", "20", "--runs-dir", str(tmp_path),
                              "--name", "cut", *SMALL)  # fmt: skip
    assert code == 130 and "every member is trained, 32 of 40 saved" in stderr, stderr


def test_the_phases_show_on_stderr_without_a_terminal(tmp_path: Path) -> None:
    code, _, stderr = run_cli("sweep", "--seeds", "1-40", "--steps", "20", "--runs-dir", str(tmp_path),
                              "--name", "shown", *SMALL)  # fmt: skip
    assert code == 0, stderr
    assert "saving members 40/40" in stderr and "scoring members 40/40" in stderr
    # Written in threads, every file still has a normal file's mode (the umask is read under a lock).
    umask = os.umask(0)
    os.umask(umask)
    modes = {path.stat().st_mode & 0o777 for path in (tmp_path / "shown").rglob("*") if path.is_file()}
    assert modes == {0o666 & ~umask} and os.umask(umask) == umask


# -- item 17: the live counts read as the verdict; a sweep's lock names a sweep ----------------------


def test_live_counts_call_a_blown_up_member_diverged_as_the_verdict_does(tmp_path: Path) -> None:
    with open_sweep(sweep_of(tmp_path, "live", 2)) as session:
        session.latest_quality = {
            0: {
                "w1": 44.0,
                "residual": 0.1,
                "in_bounds": 0.2,
                "spread": 0.0,
                "coverage": 0.0,
                "d_accuracy": 1.0,
            },
            1: {
                "w1": 0.5,
                "residual": 0.1,
                "in_bounds": 1.0,
                "spread": 0.01,
                "coverage": 0.1,
                "d_accuracy": 0.6,
            },
        }
        numbers = session.live_numbers()
    assert numbers["diverged"] == 1 and numbers["collapsing"] == 1


def test_a_locked_sweep_is_called_a_sweep(finished: Path, tmp_path: Path) -> None:
    runs = copy_of(finished, tmp_path)
    lock = runs / "pair" / ".lock"
    lock.write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname(),
                                "started": process_start(os.getppid())}))  # fmt: skip
    code, _, stderr = run_cli("sweep", "--resume", "--name", "pair", "--runs-dir", str(runs))
    assert code == 1 and "Sweep 'pair' is being trained" in stderr, stderr


# -- newcomer: a slow first compile says so when nobody sees a spinner ------------------------------


def test_a_slow_load_without_a_terminal_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from gancurve import progress

    with progress.preparing_the_step():
        time.sleep(progress.SLOW_LOAD_SECONDS + 0.5)
    with progress.preparing_the_step():
        pass  # loaded from the cache at once: nothing to say
    time.sleep(progress.SLOW_LOAD_SECONDS + 0.2)
    assert capsys.readouterr().err.count("Compiling the training step once") == 1
