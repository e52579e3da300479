"""Benchmark: a whole 10,000-step training, process start to exit, against the tutorial script.

Runs ``python benchmarks/tutorial_reference.py 10000`` and
``gancurve train --steps 10000 --device cpu`` (into a temporary runs directory) alternately,
several times, and prints the median wall times and their ratio. Start-up counts: importing
torch alone takes a second or two here.

    python benchmarks/bench_e2e.py [--repeats 3] [--steps 10000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def wall_time(command: list[str]) -> float:
    """Seconds from process start to exit; fails loudly if the command fails."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    tutorial, ours = [], []
    with tempfile.TemporaryDirectory() as runs_dir:
        for _ in range(args.repeats):
            tutorial.append(wall_time([sys.executable, str(HERE / "tutorial_reference.py"), str(args.steps)]))
            command = [sys.executable, "-m", "gancurve", "train", "--steps", str(args.steps)]
            ours.append(wall_time([*command, "--device", "cpu", "--runs-dir", runs_dir, "--json"]))
    reference, mine = statistics.median(tutorial), statistics.median(ours)
    print(f"{args.steps} steps, process start to exit, median of {args.repeats} alternating runs")
    print(f"tutorial script      {reference:7.2f} s")
    print(f"gancurve train       {mine:7.2f} s   ({reference / mine:.1f}x faster)")


if __name__ == "__main__":
    main()
