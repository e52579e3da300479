"""Redo the pictures in docs/assets/ with the tool itself (the tutorial's default run, seed 1).

    python docs/make_assets.py

Trains into a temporary runs directory, then writes docs/assets/plot.png and
docs/assets/training.gif (smaller than the default, so the repository stays light), sweeps
the tutorial's recipe over seeds 1-100 for docs/assets/sweep.png (about a minute), and trains the
grid ``--recipe tutorial,best`` over seeds 1-100 for docs/assets/grid.png (about two minutes), and
a run of the 4-modes artist (seed 1) for docs/assets/modes.png, and the tutorial's conditional
lesson (``--condition label``, seed 1) for docs/assets/conditional.png.
docs/assets/budget.png comes from docs/make_budget_figure.py.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ASSETS = Path(__file__).parent / "assets"


def gancurve(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gancurve", *args], check=True)


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as runs:
        gancurve("train", "--runs-dir", runs, "--name", "docs", "--device", "cpu", "--seed", "1")
        gancurve("plot", str(ASSETS / "plot.png"), "--runs-dir", runs)
        gancurve(
            "animate", str(ASSETS / "training.gif"), "--runs-dir", runs, "--size", "480x514", "--every", "4"
        )  # (the default frame with the critic panel, 560x600, scaled down)
        gancurve("sweep", "--seeds", "1-100", "--runs-dir", runs, "--name", "tutorial", "--json")
        gancurve("plot", str(ASSETS / "sweep.png"), "--run", "tutorial", "--runs-dir", runs)
        gancurve(
            "sweep",
            "--seeds",
            "1-100",
            "--recipe",
            "tutorial,best",
            "--runs-dir",
            runs,
            "--name",
            "grid",
            "--json",
        )
        gancurve("plot", str(ASSETS / "grid.png"), "--run", "grid", "--runs-dir", runs)
        gancurve("train", "--artist", "parabola-modes", "--modes", "4", "--seed", "1", "--runs-dir", runs,
                 "--name", "seed-001", "--device", "cpu")  # fmt: skip
        gancurve("plot", str(ASSETS / "modes.png"), "--run", "seed-001", "--runs-dir", runs)
        gancurve("train", "--condition", "label", "--seed", "1", "--runs-dir", runs, "--name", "lesson",
                 "--device", "cpu")  # fmt: skip
        gancurve("plot", str(ASSETS / "conditional.png"), "--run", "lesson", "--runs-dir", runs)


if __name__ == "__main__":
    main()
