"""End to end through the CLI: train a small run, then sample it in every format."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from helpers import run_cli

from gancurve.cli import app
from gancurve.store.rundir import RunDir


def test_train_writes_a_complete_run_directory(trained_runs_dir: Path) -> None:
    run = trained_runs_dir / "tiny"
    assert {p.name for p in run.iterdir()} >= {
        "config.json",
        "checkpoint.safetensors",
        "metrics.csv",
        "snapshots.npz",
    }
    assert not (run / ".lock").exists()
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["batch_size"] == 64 and config["cadence"]["steps"] == 300
    rows = list(csv.DictReader(io.StringIO((run / "metrics.csv").read_text())))
    assert [int(r["step"]) for r in rows] == list(range(50, 301, 50))
    assert rows[1]["w1"] != "" and rows[0]["w1"] == ""  # evaluated every 100 steps only
    with np.load(run / "snapshots.npz") as snaps:
        assert snaps["steps"].tolist() == list(range(50, 301, 50))
        assert snaps["paintings"].shape == (6, 16, 15)
        assert not np.allclose(snaps["paintings"][0], snaps["paintings"][-1])


def test_train_json_summary(tmp_path: Path) -> None:
    code, stdout, _ = run_cli("train", "--steps", "60", "--runs-dir", str(tmp_path), "--json",
                              "--name", "j", "--device", "cpu")  # fmt: skip
    assert code == 0
    summary = json.loads(stdout)
    assert summary["run"] == "j" and summary["step"] == 60 and not summary["interrupted"]
    assert 0 < summary["final"]["d_accuracy"] < 1


def test_train_summary_names_the_run_directory(tmp_path: Path) -> None:
    code, stdout, stderr = run_cli("train", "--steps", "200", "--runs-dir", str(tmp_path), "--device", "cpu")
    assert code == 0
    (run,) = list(tmp_path.iterdir())
    assert str(run) in stdout.replace("\n", "")
    # Not a terminal here: progress comes as plain lines, a tenth of the run apart.
    assert "step 100/200 · D acc" in stderr and "step 200/200 · D acc" in stderr


def test_sample_table_is_the_default(trained_runs_dir: Path) -> None:
    code, stdout, _ = run_cli("sample", "--runs-dir", str(trained_runs_dir))
    assert code == 0
    assert "5 paintings from run tiny (step 300)" in stdout


def test_sample_json_to_stdout(trained_runs_dir: Path) -> None:
    code, stdout, _ = run_cli("sample", "--runs-dir", str(trained_runs_dir), "-n", "3", "--format", "json")
    assert code == 0
    data = json.loads(stdout)
    assert len(data["x"]) == 15 and data["x"][0] == -1.0 and data["x"][7] == 0.0
    assert np.asarray(data["y"]).shape == (3, 15)


def test_sample_npy_csv_and_json_files_read_back_equal(trained_runs_dir: Path, tmp_path: Path) -> None:
    outputs = {fmt: tmp_path / f"s.{fmt}" for fmt in ("npy", "csv", "json")}
    for path in outputs.values():
        code, _, stderr = run_cli("sample", "--runs-dir", str(trained_runs_dir), "-n", "4", "-o", str(path))
        assert code == 0 and "Wrote 4 paintings" in stderr
    from_npy = np.load(outputs["npy"])
    with outputs["csv"].open() as stream:
        reader = csv.reader(stream)
        header = next(reader)
        from_csv = np.array([[float(v) for v in row] for row in reader])
    from_json = np.asarray(json.loads(outputs["json"].read_text())["y"])
    assert from_npy.shape == (4, 15) and from_npy.dtype == np.float32
    assert header[0] == "x=-1" and header[-1] == "x=1"
    assert np.array_equal(from_csv.astype(np.float32), from_npy)
    assert np.array_equal(from_json.astype(np.float32), from_npy)


def test_sample_seed_changes_the_ideas(trained_runs_dir: Path) -> None:
    def draw(seed: str) -> list[list[float]]:
        _, stdout, _ = run_cli(
            "sample", "--runs-dir", str(trained_runs_dir), "--format", "json", "--seed", seed
        )
        return list(json.loads(stdout)["y"])

    assert draw("1") == draw("1")
    assert draw("1") != draw("2")


def test_sample_by_run_path_and_env_var(trained_runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, _ = run_cli("sample", "--run", str(trained_runs_dir / "tiny"), "--format", "csv")
    assert code == 0
    monkeypatch.setenv("GANCURVE_RUNS_DIR", str(trained_runs_dir))
    code, stdout, _ = run_cli("sample", "--run", "tiny", "--format", "csv")
    assert code == 0 and stdout.startswith("x=-1,")


def test_version_and_help_in_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gancurve", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "train" in result.stdout and "sample" in result.stdout
    version = subprocess.run(
        [sys.executable, "-m", "gancurve", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    from gancurve import __version__

    assert version.stdout.strip() == f"gancurve {__version__}"


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of the app, as the words that call it (groups included)."""
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if hasattr(command, "commands"):
            paths += _command_paths(command, (*prefix, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_the_app_has_the_commands_the_docs_name() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"train", "sample", "evaluate", "plot", "animate", "export samples", "export model"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_short_help(command: tuple[str, ...]) -> None:
    code, stdout, _ = run_cli(*command, "-h")
    assert code == 0 and f"Usage: gancurve {' '.join(command)}" in " ".join(stdout.split())


def test_cadence_options_reach_their_own_fields(tmp_path: Path) -> None:
    """Each schedule option lands in its own Cadence field (no positional mix-up)."""
    code, _, _ = run_cli(
        "train", "--runs-dir", str(tmp_path), "--name", "cadence", "--device", "cpu", "--steps", "30",
        "--log-every", "7", "--snapshot-every", "13", "--eval-every", "11", "--checkpoint-every", "17",
    )  # fmt: skip
    assert code == 0
    run = RunDir(tmp_path / "cadence")
    cadence = run.read_config()["cadence"]
    assert cadence == {
        **cadence,
        "log_every": 7,
        "snapshot_every": 13,
        "eval_every": 11,
        "checkpoint_every": 17,
    }
    assert run.read_snapshots().steps.tolist() == [13, 26, 30]
    rows = run.read_metrics()
    assert [row["step"] for row in rows] == [7, 11, 14, 21, 22, 28, 30]
    assert [row["step"] for row in rows if "w1" in row] == [11, 22, 30]
