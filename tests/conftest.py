"""Shared fixtures: a small trained run, made once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import cli_runner

from gancurve.cli import app
from gancurve.store.rundir import RunDir

os.environ.setdefault("MPLBACKEND", "Agg")  # headless everywhere


@pytest.fixture(scope="session")
def trained_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs directory holding one 300-step run named 'tiny', trained through the CLI."""
    runs_dir = tmp_path_factory.mktemp("runs")
    result = cli_runner().invoke(
        app,
        ["train", "--steps", "300", "--runs-dir", str(runs_dir), "--name", "tiny", "--device", "cpu",
         "--eval-every", "100", "--checkpoint-every", "100"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return runs_dir


@pytest.fixture
def victim(trained_runs_dir: Path, tmp_path: Path) -> RunDir:
    """A copy of the trained 300-step run 'tiny', as runs/victim, that a test may damage."""
    target = tmp_path / "runs" / "victim"
    shutil.copytree(trained_runs_dir / "tiny", target)
    return RunDir(target)
