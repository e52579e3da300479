"""Shared fixtures: a CLI runner and a small trained run, made once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gancurve.cli import app

os.environ.setdefault("MPLBACKEND", "Agg")  # headless everywhere


@pytest.fixture
def runner() -> CliRunner:
    """Invokes the Typer app in-process; stdout and stderr are kept apart."""
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> object:
    """Run ``gancurve ARGS`` in-process (helper used by the CLI tests)."""
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="session")
def trained_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs directory holding one 300-step run named 'tiny', trained through the CLI."""
    runs_dir = tmp_path_factory.mktemp("runs")
    result = CliRunner().invoke(
        app,
        ["train", "--steps", "300", "--runs-dir", str(runs_dir), "--name", "tiny", "--device", "cpu",
         "--eval-every", "100", "--checkpoint-every", "100"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return runs_dir
