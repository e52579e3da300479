"""Every expected failure: a one-line message on stderr, the right exit code, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import cli_runner, run_cli

from gancurve.cli import app


def fails(args: list[str], code: int, fragment: str) -> None:
    result = cli_runner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["train", "--steps", "0"], 2, "--steps"),
        (["train", "--device", "tpu"], 2, "'tpu' is not one of"),
        (["train", "--lr-g", "-1"], 2, "--lr-g must be a positive"),
        (["train", "--name", "../escape"], 2, "Invalid run name"),
        (["sample", "-n", "-1"], 2, "--num"),
        (["sample", "--format", "xml"], 2, "--format"),
        (["sample", "--format", "npy"], 2, "give a file with -o"),
        (["sample", "-o", "out.txt"], 2, "Cannot tell the format"),
        (["nonsense"], 2, "No such command"),
    ],
)
def test_usage_errors(args: list[str], code: int, fragment: str, tmp_path: Path) -> None:
    fails([*args, *(["--runs-dir", str(tmp_path)] if args[0] in {"train", "sample"} else [])], code, fragment)


def test_cuda_requested_without_cuda(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    fails(["train", "--device", "cuda", "--runs-dir", str(tmp_path)], 1, "no CUDA GPU is available")
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_no_runs_yet(tmp_path: Path) -> None:
    fails(["sample", "--runs-dir", str(tmp_path / "empty")], 1, "No runs found")


def test_unknown_run(tmp_path: Path) -> None:
    fails(["sample", "--runs-dir", str(tmp_path), "--run", "ghost"], 1, "No run 'ghost'")


def test_run_without_checkpoint(trained_runs_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((trained_runs_dir / "tiny" / "config.json").read_text())
    fails(["sample", "--runs-dir", str(tmp_path), "--run", "broken"], 1, "has no checkpoint")


def test_existing_run_name_is_never_overwritten(trained_runs_dir: Path) -> None:
    checkpoint = trained_runs_dir / "tiny" / "checkpoint.safetensors"
    before = checkpoint.read_bytes()
    fails(
        ["train", "--runs-dir", str(trained_runs_dir), "--name", "tiny", "--steps", "5"], 2, "already exists"
    )
    assert checkpoint.read_bytes() == before


def test_runs_dir_that_is_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("precious")
    fails(["train", "--runs-dir", str(a_file), "--steps", "5", "--device", "cpu"], 2, "is a file")
    assert a_file.read_text() == "precious"


def test_output_directory_missing(trained_runs_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "s.json"
    fails(["sample", "--runs-dir", str(trained_runs_dir), "-o", str(target)], 2, "does not exist")


@pytest.mark.parametrize("value", ["2,0", "0.5", "a,b", "0.5,1", "-0.1,0.9"])
def test_bad_betas_are_one_line_and_exit_2(value: str, tmp_path: Path) -> None:
    code, _, stderr = run_cli("train", "--betas", value, "--runs-dir", str(tmp_path))
    assert code == 2 and stderr.count("\n") == 1 and "--betas" in stderr
    assert not any(tmp_path.iterdir())


def test_betas_are_saved_and_a_resume_may_not_change_them_silently(tmp_path: Path) -> None:
    code, _, stderr = run_cli("train", "--betas", "0.5,0.99", "--steps", "60", "--name", "b",
                              "--runs-dir", str(tmp_path))  # fmt: skip
    assert code == 0, stderr
    config = json.loads((tmp_path / "b" / "config.json").read_text())["config"]
    assert (config["beta1"], config["beta2"]) == (0.5, 0.99)
    code, _, stderr = run_cli("train", "--resume", "--name", "b", "--steps", "90", "--betas", "0.9,0.999",
                              "--runs-dir", str(tmp_path))  # fmt: skip
    assert code == 2 and "beta1" in stderr and "--force" in stderr


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--loss", "cross-entropy", "minimax, non-saturating, least-squares, hinge"),
        ("--r1", "-1", "0 or more"),
        ("--r1", "inf", "finite"),
        ("--recipe", "fastest", "tutorial, best"),
    ],
)
def test_bad_training_choices_are_one_line_and_exit_2(
    option: str, value: str, said: str, tmp_path: Path
) -> None:
    code, _, stderr = run_cli("train", option, value, "--runs-dir", str(tmp_path))
    assert code == 2 and stderr.count("\n") == 1 and said in stderr, stderr
    assert not any(tmp_path.iterdir())
