"""Helpers shared by the CLI tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from gancurve.cli import app


def cli_runner() -> CliRunner:
    """A runner that keeps stdout and stderr apart, on old and new click alike."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2 mixes them by default
    except TypeError:  # click >= 8.2 (and typer's vendored click) always keep them apart
        return CliRunner()


def run_cli(*args: str) -> tuple[int, str, str]:
    """``gancurve ARGS`` in-process: (exit code, stdout, stderr)."""
    result = cli_runner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_python(code: str, timeout: float = 120) -> None:
    """``python -c CODE`` in a fresh interpreter; fails the test with its stderr unless it succeeds."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def read_checkpoint_file(path: Path) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """A checkpoint.safetensors as (metadata, arrays), for tests that damage it on purpose."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as file:
        return dict(file.metadata()), {key: file.get_tensor(key) for key in file.keys()}  # noqa: SIM118


def write_checkpoint_file(path: Path, metadata: dict[str, str], arrays: dict[str, np.ndarray]) -> None:
    """Write (metadata, arrays) back as a safetensors file."""
    from safetensors.numpy import save_file

    save_file(arrays, str(path), metadata=metadata)
