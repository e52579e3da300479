"""Shell completion (``gancurve --install-completion``): options, their named values, run names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gancurve.core.objectives import LOSSES
from gancurve.core.recipes import RECIPES


def complete(words: str, runs_dir: Path | None = None) -> list[str]:
    """What bash completion offers after ``words`` (the last word is the one being completed)."""
    env = {**os.environ, "_GANCURVE_COMPLETE": "complete_bash", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split(" ")) - 1)
    if runs_dir is not None:
        env["GANCURVE_RUNS_DIR"] = str(runs_dir)
    code = "from gancurve.__main__ import main; main()"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stderr == "", result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    ("words", "expected"),
    [("gancurve train --loss ", list(LOSSES)), ("gancurve sweep --recipe ", list(RECIPES)),
     ("gancurve train --artist parabola", ["parabola", "parabola-modes"]),
     ("gancurve train --device c", ["cpu", "cuda"])],
)  # fmt: skip
def test_named_values_complete(words: str, expected: list[str]) -> None:
    assert complete(words) == expected


def test_options_complete() -> None:
    offered = complete("gancurve train --lr")
    assert {"--lr-g", "--lr-d", "--lr-schedule"} <= set(offered)


def test_run_names_complete_from_the_runs_directory(trained_runs_dir: Path) -> None:
    names = sorted(path.name for path in trained_runs_dir.iterdir() if (path / "config.json").is_file())
    assert names and complete("gancurve sample --run ", trained_runs_dir) == names
    assert complete("gancurve plot --run nothing-like-it", trained_runs_dir) == []
