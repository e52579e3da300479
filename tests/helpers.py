"""Helpers shared by the CLI tests."""

from __future__ import annotations

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
