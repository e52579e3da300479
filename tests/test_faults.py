"""The faults an adversarial pass found (issue "house in order"): each fails without its fix.

Every bad input ends in one line on stderr with the documented exit code (2 for bad usage,
1 for a run or file that cannot be used), no traceback, and no file of a run changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import read_checkpoint_file, run_cli, write_checkpoint_file

from gancurve.core.recipes import choose
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.lock import process_start
from gancurve.store.rundir import CHECKPOINT_FILE, CONFIG_FILE, LEGACY_CHECKPOINT_FILE, LOCK_FILE, RunDir

SMALL = ["--device", "cpu", "--log-every", "50", "--snapshot-every", "50", "--eval-every", "100",
         "--checkpoint-every", "100"]  # fmt: skip


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir() if p.is_file()}


def fails_cleanly(args: list[str], code: int, fragment: str, unchanged: Path | None = None) -> str:
    """Run the CLI; it must exit with ``code`` and one error line holding ``fragment``."""
    before = digests(unchanged) if unchanged else {}
    exit_code, _, err = run_cli(*args)
    assert exit_code == code, err
    lines = err.strip().splitlines()  # progress lines of a training may come first
    assert lines[-1].startswith("Error: ") and sum(line.startswith("Error") for line in lines) == 1, err
    assert fragment in lines[-1] and "Traceback" not in err, err
    err = lines[-1]
    if unchanged:
        assert digests(unchanged) == before
    return err


def gancurve_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gancurve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, **(env or {})}, cwd=cwd,
    )  # fmt: skip


# -- 1. the run a name means --------------------------------------------------------------------


def test_a_name_means_the_run_in_the_runs_directory_never_the_current_directory(
    victim: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = victim.path.parent
    decoy = tmp_path / "cwd" / "victim"  # ./victim: a run directory too, but a broken one
    decoy.mkdir(parents=True)
    (decoy / CONFIG_FILE).write_text("{}")
    monkeypatch.chdir(tmp_path / "cwd")
    assert run_cli("sample", "--runs-dir", str(runs), "--run", "victim")[0] == 0
    code, _, _ = run_cli(
        "train", "--resume", "--runs-dir", str(runs), "--name", "victim", "--steps", "350", *SMALL
    )
    assert code == 0 and load_checkpoint(victim).step == 350
    assert sorted(p.name for p in decoy.iterdir()) == [CONFIG_FILE]  # ./victim untouched
    fails_cleanly(["sample", "--runs-dir", str(runs), "--run", "./victim"], 1, "has no checkpoint")
    fails_cleanly(
        ["sample", "--runs-dir", str(tmp_path), "--run", "victim"], 1, "give its path (e.g. ./victim)"
    )


# -- 2. outputs never overwrite a run ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["export", "model", "{run}/checkpoint.pt"],
        ["export", "samples", "{run}/snapshots.npz"],
        ["export", "metrics", "{run}/metrics.csv"],
        ["sample", "-o", "{run}/metrics.csv"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_an_output_path_never_overwrites_a_file_of_a_run(victim: RunDir, args: list[str]) -> None:
    filled = [arg.format(run=victim.path) for arg in args]
    fails_cleanly([*filled, "--run", str(victim.path)], 2, "would destroy the run", unchanged=victim.path)


# -- 3. logs never fall behind the checkpoint ------------------------------------------------------


# The first file written is config.json, at the start; then the save writes these three.
@pytest.mark.parametrize("failing_write", [2, 3, 4], ids=["metrics", "snapshots", "checkpoint"])
def test_a_failed_save_of_a_resumed_run_changes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_write: int
) -> None:
    runs = str(tmp_path)
    assert run_cli("train", "--steps", "150", "--name", "r", "--runs-dir", runs, *SMALL)[0] == 0
    run = RunDir(tmp_path / "r")
    before = digests(run.path)
    real_fsync, calls = os.fsync, {"files": 0}

    def disk_full_at_one_write(fd: int) -> None:
        if not Path(f"/proc/self/fd/{fd}").is_dir():
            calls["files"] += 1
            if calls["files"] == failing_write:
                raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_at_one_write)
    fails_cleanly(["train", "--resume", "--steps", "300", "--runs-dir", runs, *SMALL], 1, "No space left")
    after = digests(run.path)
    assert {name: after[name] for name in before if name != CONFIG_FILE} == {
        name: digest for name, digest in before.items() if name != CONFIG_FILE
    }  # config.json is rewritten at the start; logs and checkpoint are as they were
    assert not list(run.path.glob(".*.tmp"))


# -- 4. one line, never a traceback ---------------------------------------------------------------

TOO_BIG = str(10**12)
SEED_TOO_BIG = str(2**64)


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--seed", SEED_TOO_BIG],
        ["sample", "--seed", SEED_TOO_BIG],
        ["evaluate", "--seed", SEED_TOO_BIG],
        ["export", "samples", "x.csv", "--seed", SEED_TOO_BIG],
        ["train", "--hidden", TOO_BIG],
        ["train", "--ideas", TOO_BIG],
        ["train", "--points", TOO_BIG],
        ["train", "--batch-size", TOO_BIG],
        ["sample", "-n", str(10**9)],
        ["evaluate", "-n", str(10**9)],
        ["export", "samples", "x.csv", "-n", str(10**9)],
        ["animate", "x.gif", "--fps", "1e-300"],
        ["animate", "x.gif", "--fps", "0.0001"],
        ["train", "--name", "x\n"],
        ["train", "--name", ""],
        ["train", "--runs-dir", ""],
        ["sample", "--run", ""],
    ],
    ids=lambda args: " ".join(args).replace("\n", "\\n") or "empty",
)
def test_bad_usage_is_one_line_and_exit_2(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(*args)
    assert code == 2 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_resume_with_invalid_learning_rates_is_bad_usage(victim: RunDir) -> None:
    runs = str(victim.path.parent)
    resume = ["train", "--resume", "--steps", "400", "--runs-dir", runs, *SMALL]
    fails_cleanly(
        [*resume, "--lr-g", "-1"], 2, "--lr-g must be a positive finite number", unchanged=victim.path
    )
    fails_cleanly([*resume, "--lr-g", "nan", "--force"], 2, "--lr-g", unchanged=victim.path)


def test_outputs_onto_a_directory_are_refused(victim: RunDir, tmp_path: Path) -> None:
    for name in ("x.gif", "x.pt2"):
        (tmp_path / name).mkdir()
    fails_cleanly(["animate", str(tmp_path / "x.gif"), "--run", str(victim.path)], 2, "it is a directory")
    fails_cleanly(
        ["export", "model", str(tmp_path / "x.pt2"), "--run", str(victim.path)], 2, "it is a directory"
    )


def test_a_full_disk_while_animating(victim: RunDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gancurve.render import animate

    def no_space(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(animate, "_write_gif", no_space)
    fails_cleanly(
        ["animate", str(tmp_path / "a.gif"), "--run", str(victim.path)], 1, "No space left on device"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]  # no temporary file left


def test_a_lock_that_is_a_directory(victim: RunDir) -> None:
    (victim.path / LOCK_FILE).mkdir()
    runs = str(victim.path.parent)
    fails_cleanly(["train", "--resume", "--steps", "400", "--runs-dir", runs, *SMALL], 1, "not a lock file")


def _config_with(**changes: object) -> Callable[[dict[str, str], dict[str, np.ndarray]], None]:
    def damage(metadata: dict[str, str], _arrays: dict[str, np.ndarray]) -> None:
        metadata["config"] = json.dumps({**json.loads(metadata["config"]), **changes})

    return damage


def _put(mapping: dict[str, Any], key: str, value: object) -> None:
    """Set ``key``, or remove it when ``value`` is None."""
    if value is None:
        del mapping[key]
    else:
        mapping[key] = value


def _array(key: str, value: np.ndarray | None) -> Callable[[dict[str, str], dict[str, np.ndarray]], None]:
    return lambda _metadata, arrays: _put(arrays, key, value)


def _metadata(key: str, value: str | None) -> Callable[[dict[str, str], dict[str, np.ndarray]], None]:
    return lambda metadata, _arrays: _put(metadata, key, value)


G_W1 = "generator/net.0.weight"
NAN_BIAS = np.full(15, np.nan, np.float32)


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (_metadata("config", "[1, 2]"), "configuration is invalid"),
        (_metadata("config", "{not json"), "configuration is invalid"),
        (_config_with(hidden=128.5), "hidden must be a whole number"),
        (_config_with(hidden=True), "hidden must be a whole number"),
        (_metadata("step", "abc"), "step 'abc'"),
        (_metadata("step", "-100"), "step '-100'"),
        (_metadata("adam_steps", "{"), "not JSON"),
        (_metadata("rng_kind", None), "lacks rng_kind"),
        (_array("fixed_ideas", np.zeros((16, 7), np.float32)), "fixed_ideas has shape (16, 7)"),
        (_array("fixed_ideas", None), "fixed_ideas is missing"),
        (_array("rng", np.zeros(6, np.float32)), "random stream state"),
        (_array(G_W1, np.ones((128, 5), np.int32)), "int32"),
        (_array(G_W1, np.ones((128, 5), np.bool_)), "bool"),
        (_array(G_W1, np.ones((128, 5), np.float64)), "float64"),
        (_array(G_W1, np.ones((128, 6), np.float32)), "has shape (128, 6), expected (128, 5)"),
        (_array("generator/net.2.bias", NAN_BIAS), "not finite"),
        (_array("extra", np.ones(3, np.float32)), "arrays a run does not write"),
    ],
    ids=["config-list", "config-not-json", "hidden-128.5", "hidden-true", "step-abc", "step-negative",
         "adam-not-json", "no-rng-kind", "fixed-ideas-shape", "fixed-ideas-missing", "rng-dtype",
         "int32-weights", "bool-weights", "float64-weights", "weight-shape", "nan-weights", "extra-array"],
)  # fmt: skip
def test_a_damaged_checkpoint_is_refused_by_every_reader(
    victim: RunDir, damage: Callable[[dict[str, str], dict[str, np.ndarray]], None], fragment: str
) -> None:
    metadata, arrays = read_checkpoint_file(victim.checkpoint_path)
    damage(metadata, arrays)
    write_checkpoint_file(victim.checkpoint_path, metadata, arrays)
    fails_cleanly(["sample", "--run", str(victim.path)], 1, fragment, unchanged=victim.path)
    fails_cleanly(["evaluate", "--run", str(victim.path), "--json"], 1, fragment, unchanged=victim.path)
    fails_cleanly(
        ["export", "model", str(victim.path.parent / "g.pt2"), "--run", str(victim.path)], 1, fragment
    )
    resume = ["train", "--resume", "--steps", "400", "--runs-dir", str(victim.path.parent), *SMALL]
    fails_cleanly(resume, 1, fragment, unchanged=victim.path)
    assert not (victim.path.parent / "g.pt2").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda data: (len(data) * 2).to_bytes(8, "little") + data[8:],  # header longer than the file
        lambda data: data[:8] + b"X" + data[9:],  # the JSON header broken
        lambda data: data[: len(data) - 100],  # the last tensor runs past the end
    ],
    ids=["header-length", "header-json", "truncated"],
)
def test_a_tampered_checkpoint_file_is_refused(victim: RunDir, tamper: Callable[[bytes], bytes]) -> None:
    victim.checkpoint_path.write_bytes(tamper(victim.checkpoint_path.read_bytes()))
    fails_cleanly(["sample", "--run", str(victim.path)], 1, "damaged or truncated", unchanged=victim.path)


# -- runs written by 0.1.0 -----------------------------------------------------------------------

LEGACY_RUN = Path(__file__).parent / "fixtures" / "run-0.1.0"


@pytest.fixture
def legacy_run(tmp_path: Path) -> RunDir:
    target = tmp_path / "runs" / "legacy"
    shutil.copytree(LEGACY_RUN, target)
    return RunDir(target)


def test_a_run_written_by_0_1_0_is_read_and_resumed_once_rewritten(legacy_run: RunDir) -> None:
    runs = str(legacy_run.path.parent)
    assert run_cli("sample", "--runs-dir", runs, "-n", "3", "--format", "json")[0] == 0
    assert run_cli("evaluate", "--runs-dir", runs, "--json")[0] == 0
    code, _, err = run_cli("animate", str(legacy_run.path.parent / "old.gif"), "--runs-dir", runs)
    assert code == 0 and "recorded no critic frames" in err  # (0.1.0 recorded none)
    code, _, err = run_cli("train", "--resume", "--steps", "300", "--runs-dir", runs, *SMALL)
    assert code == 0, err
    notes = [line for line in err.splitlines() if "written by gancurve 0.1.0" in line]
    assert len(notes) == 1 and "random stream changes once, at step 200" in notes[0]
    assert not (legacy_run.path / LEGACY_CHECKPOINT_FILE).exists()
    checkpoint = load_checkpoint(legacy_run)
    assert checkpoint.step == 300 and not checkpoint.legacy
    rows = legacy_run.read_metrics()
    assert [row["step"] for row in rows][-3:] == [200, 250, 300]
    # Its old snapshots have no critic frames, the new ones do: the old are NaN, and it animates.
    frames = legacy_run.read_snapshots().critic
    assert frames is not None and np.isnan(frames[0]).all() and np.isfinite(frames[-1][0]).all()
    gif = legacy_run.path.parent / "legacy.gif"
    assert run_cli("animate", str(gif), "--runs-dir", runs)[0] == 0 and gif.stat().st_size > 0


def test_a_0_1_0_run_continues_the_same_way_every_time(legacy_run: RunDir, tmp_path: Path) -> None:
    """The stream changes once, deterministically: two resumes of the same old run agree."""
    twin = RunDir(tmp_path / "runs" / "twin")
    shutil.copytree(legacy_run.path, twin.path)
    for run in (legacy_run, twin):
        assert run_cli("train", "--resume", "--name", run.name, "--steps", "300",
                       "--runs-dir", str(run.path.parent), *SMALL)[0] == 0  # fmt: skip
    (meta_a, arrays_a), (meta_b, arrays_b) = (
        read_checkpoint_file(r.checkpoint_path) for r in (legacy_run, twin)
    )
    assert meta_a == meta_b and arrays_a.keys() == arrays_b.keys()
    assert all(np.array_equal(arrays_a[key], arrays_b[key]) for key in arrays_a)


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda text: text.replace("\n300,", "\n1e400,"), "step inf"),
        (lambda text: text[: len(text) - 7], "ends in the middle of a row"),
        (lambda text: text + "350,0.1\n", "cells"),
    ],
    ids=["step-1e400", "cut-mid-row", "short-row"],
)
def test_a_damaged_metrics_file_is_refused(victim: RunDir, damage: object, fragment: str) -> None:
    victim.metrics_path.write_text(damage(victim.metrics_path.read_text()))  # type: ignore[operator]
    fails_cleanly(
        ["export", "metrics", str(victim.path.parent / "m.csv"), "--run", str(victim.path)], 1, fragment
    )
    resume = ["train", "--resume", "--steps", "400", "--runs-dir", str(victim.path.parent), *SMALL]
    fails_cleanly(resume, 1, fragment, unchanged=victim.path)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda a: a.update(steps=a["steps"][:-1]), "different numbers of snapshots"),
        (lambda a: a.update(paintings=a["paintings"][:, :0, :]), "shape"),
        (lambda a: a.update(x=a["x"][:-1]), "x positions"),
    ],
    ids=["unequal-lengths", "no-ideas", "other-x"],
)
def test_damaged_snapshots_are_refused(victim: RunDir, tmp_path: Path, change: object, fragment: str) -> None:
    with np.load(victim.snapshots_path) as data:
        arrays = {key: data[key] for key in data.files}
    change(arrays)  # type: ignore[operator]
    np.savez(victim.snapshots_path, **arrays)
    fails_cleanly(["animate", str(tmp_path / "a.gif"), "--run", str(victim.path)], 1, fragment)


# -- 5. a run that blows up while staying finite ---------------------------------------------------


def test_a_finite_blow_up_is_stopped_like_a_nan(tmp_path: Path) -> None:
    args = ["train", "--steps", "300", "--name", "blown", "--runs-dir", str(tmp_path), "--lr-g", "0.3",
            "--lr-d", "0.3", *SMALL]  # fmt: skip
    err = fails_cleanly(args, 1, "Training diverged at step 100 (G's paintings blew up: W1")
    assert "nothing had been saved yet" in err


# -- 6. a failed start leaves nothing that blocks its name -------------------------------------------


def test_a_run_that_fails_before_its_first_save_leaves_no_directory(tmp_path: Path) -> None:
    args = ["train", "--steps", "500", "--name", "boom", "--runs-dir", str(tmp_path), "--device", "cpu"]
    fails_cleanly([*args, "--lr-g", "1e30", "--lr-d", "1e30"], 1, "Training diverged")
    assert not (tmp_path / "boom").exists()
    assert run_cli(*args, "--steps", "60")[0] == 0  # the name is free


def test_a_directory_left_by_a_killed_start_can_be_used_again(tmp_path: Path) -> None:
    left = tmp_path / "killed"
    left.mkdir()
    (left / CONFIG_FILE).write_text("{}")
    (left / LOCK_FILE).write_text(
        json.dumps({"pid": 2**22 + 7, "host": socket.gethostname(), "started": "x"})
    )
    assert run_cli("train", "--steps", "60", "--name", "killed", "--runs-dir", str(tmp_path), *SMALL)[0] == 0
    assert (left / CHECKPOINT_FILE).is_file() and not (left / LOCK_FILE).exists()
    fails_cleanly(
        ["train", "--steps", "60", "--name", "killed", "--runs-dir", str(tmp_path)], 2, "already exists"
    )


# -- 7. the lock tells a reused pid from its owner -------------------------------------------------


def test_a_lock_whose_pid_was_reused_is_stale_but_its_real_owner_is_not(victim: RunDir) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    lock = victim.path / LOCK_FILE
    resume = ["train", "--resume", "--steps", "350", "--runs-dir", str(victim.path.parent), *SMALL]
    host = socket.gethostname()
    try:
        if process_start(sleeper.pid) is None:
            pytest.skip("process start times are not available on this platform")
        lock.write_text(json.dumps({"pid": sleeper.pid, "host": host, "started": process_start(sleeper.pid)}))
        fails_cleanly(resume, 1, f"pid {sleeper.pid}")
        lock.write_text(json.dumps({"pid": 123456, "host": "elsewhere", "started": "1"}))
        fails_cleanly(resume, 1, "on host 'elsewhere'")
        # The same live pid, but another process's start time: the owner died and the pid was reused.
        lock.write_text(json.dumps({"pid": sleeper.pid, "host": host, "started": "another-process"}))
        assert run_cli(*resume)[0] == 0
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not lock.exists()


def test_a_lock_whose_owner_is_a_zombie_is_stale(victim: RunDir) -> None:
    """Killed, not reaped (``timeout -s KILL`` kills itself too, and a container's first process
    may reap no one): the owner still answers signal 0 with its start time, and 'is being trained
    by another process' refused every resume for as long as the zombie stayed."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # not waited for: a zombie once done
    try:
        stat = Path(f"/proc/{ended.pid}/stat")
        if process_start(ended.pid) is None:
            pytest.skip("process states are not available on this platform")
        started = process_start(ended.pid)
        for _ in range(200):
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                break
            time.sleep(0.05)
        lock = victim.path / LOCK_FILE
        lock.write_text(json.dumps({"pid": ended.pid, "host": socket.gethostname(), "started": started}))
        resume = ["train", "--resume", "--steps", "350", "--runs-dir", str(victim.path.parent), *SMALL]
        code, _, stderr = run_cli(*resume)
        assert code == 0, stderr
        assert not lock.exists()
    finally:
        ended.wait()


# -- 8, 9. signals at any moment ---------------------------------------------------------------------


def test_a_signal_just_before_the_first_step_leaves_no_run(tmp_path: Path) -> None:
    """The window the command's own check cannot close (between it and the first step): the
    session stops without a step, says so, and the run directory is removed — no run at step 0."""
    from gancurve.training.cadence import Cadence
    from gancurve.training.resume import TrainRequest, open_session
    from gancurve.training.signals import StopFlag, StoppedError

    class Silent:
        def start(self, total: int, done: int) -> None: ...
        def advance(self, step: int, row: dict[str, float]) -> None: ...
        def warn(self, message: str) -> None: ...

    request = TrainRequest(tmp_path / "runs", "early", "cpu", Cadence(steps=100), choose({}, 100))
    stop = StopFlag()
    with pytest.raises(StoppedError, match="no run was created") as raised, open_session(request) as session:
        stop.signal = signal.SIGINT  # arrives after the command checked, before the first step
        session.train(Silent(), stop)
    assert raised.value.exit_code == 130 and not (tmp_path / "runs" / "early").exists()
    # The same for a sweep: no sweep directory at step 0.
    from gancurve.sweeps.opening import SweepRequest, open_sweep
    from gancurve.sweeps.session import SilentSweepReporter

    sweep_request = SweepRequest(
        tmp_path / "runs", "early-sweep", (1, 2), Cadence(steps=100), choose({}, 100)
    )
    with pytest.raises(StoppedError, match="no sweep was created"), open_sweep(sweep_request) as sweep:
        sweep.train(SilentSweepReporter(), stop)
    assert not (tmp_path / "runs" / "early-sweep").exists()


@pytest.mark.slow
def test_ctrl_c_at_any_moment_of_a_start_exits_130_cleanly(tmp_path: Path) -> None:
    rng = random.Random(7)
    for attempt in range(10):
        runs = tmp_path / f"runs{attempt}"
        process = gancurve_process("train", "--steps", "2000", "--name", "r", "--runs-dir", str(runs), *SMALL)
        time.sleep(rng.uniform(0.0, 1.6))
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        if "Traceback" in stderr or "Fatal Python error" in stderr:
            # Python's own start-up (site, runpy) was interrupted before gancurve's first line ran
            # (a short sleep; the CI's editable install makes that window wider): not a frame of
            # gancurve's in it, and nothing written.
            assert f"{os.sep}gancurve{os.sep}" not in stderr and not runs.exists(), (attempt, stderr)
            continue
        # -2: the signal came while Python itself was starting (its default action; a shell shows 130).
        assert process.returncode in (0, 130, -signal.SIGINT), (attempt, process.returncode, stderr)
        assert "Error: module" not in stderr, stderr
        run = RunDir(runs / "r")
        if run.path.exists():  # stopped after its first step: a complete run that loads
            assert load_checkpoint(run).step >= 1, stderr


def test_a_ctrl_c_the_moment_the_handlers_are_swapped_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the test above once hit: a Ctrl-C pending when the command puts Python's own handler
    in place is delivered at once, before the command has started. One line, exit 130, and both
    handlers are put back."""
    from gancurve.cli import group

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    real_signal = signal.signal

    def install_then_deliver(sig: int, handler: Any) -> Any:
        previous = real_signal(sig, handler)
        if handler is signal.default_int_handler:
            raise KeyboardInterrupt  # as Python does with a signal pending when its handler arrives
        return previous

    monkeypatch.setattr(group.signal, "signal", install_then_deliver)
    code, out, err = run_cli("sample", "--help")
    monkeypatch.undo()
    assert (code, out, err.strip()) == (130, "", "Error: Interrupted.")
    assert {sig: signal.getsignal(sig) for sig in before} == before


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [["export", "samples", "{out}/s.csv"], ["plot", "{out}/p.png"], ["sample", "-o", "{out}/s.json"]],
)
def test_sigterm_while_writing_leaves_no_temporary_file(
    victim: RunDir, tmp_path: Path, command: list[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = [arg.format(out=out) for arg in command]
    process = gancurve_process(*args, "--run", str(victim.path), env={"GANCURVE_TEST_WRITE_DELAY": "30"})
    deadline = time.monotonic() + 60
    while not list(out.glob(".*.tmp")):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143 and stderr.strip() == "Error: Terminated.", stderr
    assert list(out.iterdir()) == []


# -- 11. memory stays flat over a long run -------------------------------------------------------


@pytest.mark.slow
def test_memory_stays_flat_over_many_evaluations(tmp_path: Path) -> None:
    """1,200 evaluations: without the allocator fix RSS grows ~0.2 MB per evaluation here."""
    process = gancurve_process(
        "train", "--steps", "30000", "--eval-every", "25", "--log-every", "25",
        "--checkpoint-every", "100000", "--runs-dir", str(tmp_path), "--device", "cpu", "--json",
    )  # fmt: skip
    samples: list[float] = []
    while process.poll() is None:
        status = Path(f"/proc/{process.pid}/status")
        try:
            rss_kb = next(
                int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmRSS")
            )
            samples.append(rss_kb / 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(0.1)
    assert process.returncode == 0, process.communicate()
    steady = samples[len(samples) // 3 :]  # after start-up (imports, first allocations)
    assert len(steady) > 20
    assert max(steady) - steady[0] < 40, (steady[0], max(steady))


# -- 12. smaller things ------------------------------------------------------------------------------


def test_runs_dir_with_a_tilde_means_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert run_cli("train", "--steps", "60", "--name", "t", "--runs-dir=~/runs", *SMALL)[0] == 0
    assert (tmp_path / "home" / "runs" / "t" / CHECKPOINT_FILE).is_file() and not (tmp_path / "~").exists()


def test_a_damaged_checkpoint_prints_one_line_in_a_real_process(victim: RunDir) -> None:
    data = victim.checkpoint_path.read_bytes()
    victim.checkpoint_path.write_bytes(data[: len(data) // 2])
    process = gancurve_process("sample", "--run", str(victim.path))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and len(stderr.strip().splitlines()) == 1, stderr


def test_an_output_link_is_written_through(victim: RunDir, tmp_path: Path) -> None:
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("old")
    link.symlink_to(real)
    assert run_cli("sample", "--run", str(victim.path), "-o", str(link))[0] == 0
    assert link.is_symlink() and len(json.loads(real.read_text())["y"]) == 5
