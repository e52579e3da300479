"""Trustworthy runs: exact resume, signals, kills, divergence, hostile files, locks."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import read_checkpoint_file, run_cli, write_checkpoint_file

from gancurve.core.recipes import choose
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.rundir import CHECKPOINT_FILE, LEGACY_CHECKPOINT_FILE, LOCK_FILE, RunDir

SMALL = ["--device", "cpu", "--log-every", "50", "--snapshot-every", "50", "--eval-every", "100",
         "--checkpoint-every", "100"]  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_same_state(a: Path, b: Path) -> None:
    """Bit-for-bit equality of two checkpoints' arrays and training facts."""
    (meta_a, arrays_a), (meta_b, arrays_b) = read_checkpoint_file(a), read_checkpoint_file(b)
    assert arrays_a.keys() == arrays_b.keys()
    for key, array in arrays_a.items():
        assert array.dtype == arrays_b[key].dtype and np.array_equal(array, arrays_b[key]), key
    for key in ("step", "adam_steps", "rng_kind", "config"):
        assert meta_a[key] == meta_b[key], key


# -- resume ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "choices"),
    [
        ("fast", []),
        ("reference", []),
        ("fast", ["--ema", "0.99"]),
        ("reference", ["--ema", "0.99", "--r1", "1"]),
        ("fast", ["--loss", "wasserstein-gp", "--d-steps", "3"]),
        ("reference", ["--loss", "wasserstein-gp"]),
        ("fast", ["--prior", "uniform"]),
        ("reference", ["--prior", "uniform"]),
        ("fast", ["--instance-noise", "0.1", "--loss", "wasserstein-gp", "--d-steps", "2"]),
        ("reference", ["--instance-noise", "0.1", "--r1", "1"]),
        ("fast", ["--optimizer", "sgd", "--momentum", "0.9", "--lr-g", "0.01", "--lr-d", "0.01"]),
        ("reference", ["--optimizer", "sgd", "--momentum", "0.9", "--d-steps", "2"]),
        ("fast", ["--warmup", "200", "--instance-noise", "0.1"]),
        ("reference", ["--warmup", "100"]),
    ],
)
def test_half_run_resumed_equals_a_straight_run(tmp_path: Path, engine: str, choices: list[str]) -> None:
    """Also with G's moving average (saved in the checkpoint), a penalty, and WGAN-GP's extra
    stream and critic steps: the resumed half continues the same average and the same draws. The
    resume does not repeat the choices: the run remembers them."""
    runs = str(tmp_path)
    common = ["--runs-dir", runs, "--engine", engine, *SMALL]
    assert run_cli("train", "--steps", "300", "--name", "straight", *common, *choices)[0] == 0
    assert run_cli("train", "--steps", "150", "--name", "halves", *common, *choices)[0] == 0
    code, _, stderr = run_cli("train", "--resume", "--steps", "300", "--name", "halves", *common)
    assert code == 0, stderr
    straight, halves = RunDir(tmp_path / "straight"), RunDir(tmp_path / "halves")
    assert load_checkpoint(straight).step == load_checkpoint(halves).step == 300
    assert_same_state(straight.checkpoint_path, halves.checkpoint_path)  # weights, Adam, RNG, step
    has_average = any(key.startswith("ema/") for key in read_checkpoint_file(halves.checkpoint_path)[1])
    assert has_average == ("--ema" in choices)
    assert straight.metrics_path.read_text() == halves.metrics_path.read_text()
    with np.load(straight.snapshots_path) as x, np.load(halves.snapshots_path) as y:
        assert all(
            np.array_equal(x[key], y[key], equal_nan=True) for key in x.files
        )  # (D* is NaN past the ends)


def test_a_resume_keeps_where_the_average_starts(tmp_path: Path) -> None:
    """--ema-start is a share of the run when it starts (here 0.5 of 150 = step 75); the resume to
    300 steps keeps the step (not 0.5 of 300), so the halves equal a straight run asked for 0.25."""
    runs = ["--runs-dir", str(tmp_path), *SMALL, "--ema", "0.99"]
    assert run_cli("train", "--steps", "300", "--ema-start", "0.25", "--name", "straight", *runs)[0] == 0
    assert run_cli("train", "--steps", "150", "--ema-start", "0.5", "--name", "halves", *runs)[0] == 0
    code, _, stderr = run_cli("train", "--resume", "--steps", "300", "--name", "halves", *runs)
    assert code == 0, stderr
    straight, halves = RunDir(tmp_path / "straight"), RunDir(tmp_path / "halves")
    assert load_checkpoint(halves).config.ema_start == load_checkpoint(straight).config.ema_start == 75
    assert_same_state(straight.checkpoint_path, halves.checkpoint_path)


def test_resume_refuses_other_hyperparameters_unless_forced(tmp_path: Path) -> None:
    runs = str(tmp_path)
    run_cli("train", "--steps", "60", "--name", "r", "--runs-dir", runs, *SMALL)
    code, _, err = run_cli(
        "train", "--resume", "--steps", "120", "--lr-g", "0.001", "--runs-dir", runs, *SMALL
    )
    assert code == 2 and "lr_g: 0.0001 -> 0.001" in err and "--force" in err
    code, _, err = run_cli(
        "train", "--resume", "--steps", "120", "--points", "20", "--force", "--runs-dir", runs, *SMALL
    )
    assert code == 2 and "Cannot change points" in err
    code, _, _ = run_cli(
        "train", "--resume", "--steps", "120", "--lr-g", "0.001", "--force", "--runs-dir", runs, *SMALL
    )
    assert code == 0
    payload = load_checkpoint(RunDir(tmp_path / "r"))
    assert payload.config.lr_g == 0.001 and payload.step == 120


def test_resume_of_a_finished_run_says_steps_is_the_total(tmp_path: Path) -> None:
    run_cli("train", "--steps", "60", "--name", "done", "--runs-dir", str(tmp_path), *SMALL)
    code, _, err = run_cli("train", "--resume", "--steps", "60", "--runs-dir", str(tmp_path), *SMALL)
    assert code == 2 and "already at step 60" in err and "total" in err


# -- signals and kills -----------------------------------------------------------------------


def start_training(
    runs: Path, steps: int, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "gancurve", "train", "--steps", str(steps), "--name", "long",
               "--runs-dir", str(runs), "--device", "cpu", "--checkpoint-every", "100", *extra]  # fmt: skip
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_saves_a_checkpoint_and_says_how_to_resume(tmp_path: Path, sig: int, code: int) -> None:
    process = start_training(tmp_path, 1_000_000)
    wait_for(tmp_path / "long" / CHECKPOINT_FILE, process)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Continue with:" in stderr and "--resume --name long" in stderr and "Traceback" not in stderr
    step = load_checkpoint(RunDir(tmp_path / "long")).step
    assert 100 <= step < 1_000_000
    assert not (tmp_path / "long" / LOCK_FILE).exists()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "long" / "metrics.csv").read_text())))
    assert int(rows[-1]["step"]) <= step


def test_sigkill_at_random_moments_never_breaks_the_run(tmp_path: Path) -> None:
    """Kill -9 the trainer repeatedly, some kills inside a slowed checkpoint write."""
    rng = random.Random(1234)
    run = RunDir(tmp_path / "long")
    total = 1500
    slow = {"GANCURVE_TEST_WRITE_DELAY": "0.15"}  # widens the window between write and rename
    for attempt in range(3):
        extra = ["--resume"] if run.checkpoint_path.exists() else []
        process = start_training(tmp_path, total, *extra, env=slow)
        wait_for(run.checkpoint_path, process)
        time.sleep(rng.uniform(0.05, 0.6))
        process.kill()
        process.wait(timeout=30)
        payload = load_checkpoint(run)  # the last complete checkpoint always loads
        assert payload.step % 100 == 0, attempt
    process = start_training(tmp_path, total, "--resume")  # stale lock and temporaries are handled
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert load_checkpoint(run).step == total
    assert not list(run.path.glob(".*.tmp")) and not (run.path / LOCK_FILE).exists()


# -- divergence ------------------------------------------------------------------------------


def test_divergence_before_any_checkpoint(tmp_path: Path) -> None:
    args = ["train", "--steps", "500", "--name", "boom", "--runs-dir", str(tmp_path), "--device", "cpu",
            "--lr-g", "1e30", "--lr-d", "1e30"]  # fmt: skip
    code, _, err = run_cli(*args)
    assert code == 1 and "Training diverged at step 50" in err and "nothing had been saved yet" in err
    assert "smaller learning rates" in err and "Traceback" not in err and "RuntimeWarning" not in err


def test_divergence_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    runs = str(tmp_path)
    assert run_cli("train", "--steps", "100", "--name", "ok", "--runs-dir", runs, *SMALL)[0] == 0
    before = digest(tmp_path / "ok" / CHECKPOINT_FILE)
    diverging = ["--force", "--lr-g", "1e30", "--lr-d", "1e30"]
    code, _, err = run_cli("train", "--resume", "--steps", "500", *diverging, "--runs-dir", runs, *SMALL)
    assert code == 1 and "the last good checkpoint (step 100) is kept" in err
    assert digest(tmp_path / "ok" / CHECKPOINT_FILE) == before
    assert load_checkpoint(RunDir(tmp_path / "ok")).step == 100


# -- hostile and broken files ----------------------------------------------------------------


def sample_fails(run: RunDir, fragment: str) -> None:
    before = {p.name: digest(p) for p in run.path.iterdir()}
    code, _, err = run_cli("sample", "--run", str(run.path))
    assert code == 1 and fragment in err and len(err.strip().splitlines()) == 1, err
    assert {p.name: digest(p) for p in run.path.iterdir()} == before  # loading changed nothing


def test_truncated_checkpoint(victim: RunDir) -> None:
    data = victim.checkpoint_path.read_bytes()
    victim.checkpoint_path.write_bytes(data[: len(data) // 2])
    sample_fails(victim, "damaged or truncated")


def test_a_file_that_is_not_a_checkpoint(victim: RunDir) -> None:
    victim.checkpoint_path.write_bytes(os.urandom(4096))
    sample_fails(victim, "damaged or truncated")
    victim.checkpoint_path.write_text("hello, I am a text file\n")
    sample_fails(victim, "damaged or truncated")


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


def test_a_checkpoint_that_would_run_code_is_refused_and_the_code_never_runs(
    victim: RunDir, tmp_path: Path
) -> None:
    """Only a 0.1.0 checkpoint.pt is a pickle at all; one that would run code is refused."""
    marker = tmp_path / "pwned"
    victim.checkpoint_path.unlink()
    torch.save({"format_version": 1, "evil": _Payload(marker)}, victim.path / LEGACY_CHECKPOINT_FILE)
    sample_fails(victim, "Refused to load")
    assert not marker.exists()


def test_other_format_version(victim: RunDir) -> None:
    metadata, arrays = read_checkpoint_file(victim.checkpoint_path)
    write_checkpoint_file(victim.checkpoint_path, {**metadata, "format_version": "99"}, arrays)
    sample_fails(victim, "has format 99")


def test_mismatched_shapes(victim: RunDir) -> None:
    metadata, arrays = read_checkpoint_file(victim.checkpoint_path)
    config = {**json.loads(metadata["config"]), "points": 20}
    write_checkpoint_file(victim.checkpoint_path, {**metadata, "config": json.dumps(config)}, arrays)
    sample_fails(victim, "has shape (15, 128), expected (20, 128)")


def test_missing_files_in_a_run(victim: RunDir) -> None:
    victim.metrics_path.unlink()
    code, _, err = run_cli("plot", str(victim.path / "p.png"), "--run", str(victim.path))
    assert code == 1 and "has no metrics.csv" in err
    victim.config_path.unlink()
    code, _, err = run_cli("sample", "--run", str(victim.path))
    assert code == 1 and "not a gancurve run" in err


def test_a_full_disk_keeps_the_previous_checkpoint(victim: RunDir, monkeypatch: pytest.MonkeyPatch) -> None:
    before = digest(victim.checkpoint_path)

    def no_space(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    code, _, err = run_cli(
        "train", "--resume", "--steps", "400", "--runs-dir", str(victim.path.parent), *SMALL
    )
    assert code == 1 and "No space left on device" in err and "previous version is kept" in err
    assert digest(victim.checkpoint_path) == before
    assert not list(victim.path.glob(".*.tmp"))


def test_an_unwritable_output_location(
    trained_runs_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tempfile

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # root ignores chmod, so simulate it
    code, _, err = run_cli("sample", "--runs-dir", str(trained_runs_dir), "-o", str(tmp_path / "s.json"))
    assert code == 1 and "Permission denied" in err


# -- two trainings at once -------------------------------------------------------------------


def test_a_second_training_of_the_same_run_is_refused(victim: RunDir) -> None:
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (victim.path / LOCK_FILE).write_text(f"{owner.pid}\n")
        code, _, err = run_cli(
            "train", "--resume", "--steps", "400", "--runs-dir", str(victim.path.parent), *SMALL
        )
        assert code == 1 and f"pid {owner.pid}" in err
    finally:
        owner.kill()
        owner.wait()
    code, _, _ = run_cli("train", "--resume", "--steps", "400", "--runs-dir", str(victim.path.parent), *SMALL)
    assert code == 0  # the owner is gone: its lock is stale and is taken over
    assert not (victim.path / LOCK_FILE).exists()


def test_the_resume_hint_names_a_run_the_way_it_was_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gancurve.commands.train import _print_resume_hint
    from gancurve.training.cadence import Cadence
    from gancurve.training.resume import TrainRequest
    from gancurve.training.session import Outcome

    runs = tmp_path / "runs"
    for run_path, expected in (
        (runs / "r", f"--name r --runs-dir {runs}"),
        (tmp_path / "else" / "r", f"--name {tmp_path}/else/r"),
    ):
        request = TrainRequest(runs_dir=runs, name=str(run_path), device="cpu", cadence=Cadence(steps=500),
                               choices=choose({}, 500), resume=True)  # fmt: skip
        _print_resume_hint(request, Outcome(RunDir(run_path), 100, {}), 500)
        hint = capsys.readouterr().err
        assert f"gancurve train --resume {expected} --steps 500 --device cpu" in hint, hint
