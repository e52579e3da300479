"""Benchmark: whole commands, process start to exit — training against the tutorial script, and
the everyday commands against the cost of importing torch (which none of them pays any more).

Each round runs, in turn: ``python benchmarks/tutorial_reference.py 10000``, ``gancurve train
--steps 10000 --device cpu``, then on the trained run ``sample -n 5``, ``evaluate``, ``plot``, and
``gancurve --help`` and ``python -c "import torch"`` as references. Rounds repeat; medians and
ratios are printed, beside the goals of the "instant commands" issue.

gancurve's modules are compiled to bytecode first, as ``pip install`` / ``pipx install`` do: an
editable checkout under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile ~60 modules on
every start, which no installed copy does.

With ``--sweep N`` each round also runs ``gancurve sweep --seeds 1-N`` (N runs of ``--steps``
steps, with their evaluations and checkpoints) and compares it with N separate ``gancurve train``
runs and N tutorial scripts (the medians above, times N).

    python benchmarks/bench_e2e.py [--repeats 3] [--steps 10000] [--sweep 100]
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
GANCURVE = [sys.executable, "-m", "gancurve"]


def wall_time(command: list[str]) -> float:
    """Seconds from process start to exit; fails loudly if the command fails."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--sweep", type=int, default=0, help="also time a sweep of this many seeds")
    args = parser.parse_args()
    import gancurve

    package = str(Path(gancurve.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as runs_dir:
        run = ["--runs-dir", runs_dir, "--run", "bench"]
        commands = {
            "tutorial script": [sys.executable, str(HERE / "tutorial_reference.py"), str(args.steps)],
            "gancurve train": [*GANCURVE, "train", "--steps", str(args.steps), "--device", "cpu",
                               "--runs-dir", runs_dir, "--name", "bench", "--json"],
            "gancurve sample -n 5": [*GANCURVE, "sample", "-n", "5", *run],
            "gancurve evaluate": [*GANCURVE, "evaluate", *run],
            "gancurve plot": [*GANCURVE, "plot", str(Path(runs_dir) / "p.png"), *run],
            "gancurve --help": [*GANCURVE, "--help"],
            "import torch (reference)": [sys.executable, "-c", "import torch"],
        }  # fmt: skip
        if args.sweep:
            seeds, steps = f"1-{args.sweep}", str(args.steps)
            commands["gancurve sweep"] = [*GANCURVE, "sweep", "--seeds", seeds, "--steps", steps,
                                          "--runs-dir", runs_dir, "--name", "s", "--json"]  # fmt: skip
        for _ in range(args.repeats):
            for name, command in commands.items():
                if name in ("gancurve train", "gancurve sweep"):
                    subprocess.run(
                        ["rm", "-rf", str(Path(runs_dir) / command[command.index("--name") + 1])], check=True
                    )
                times.setdefault(name, []).append(wall_time(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    goals = {"gancurve sample -n 5": "< 0.5 s", "gancurve evaluate": "< 1 s", "gancurve plot": "< 2 s"}
    print(f"process start to exit, median of {args.repeats} alternating rounds ({args.steps} training steps)")
    for name, seconds in median.items():
        note = goals.get(name, "")
        if name == "gancurve train":
            note = f"{median['tutorial script'] / seconds:.1f}x the tutorial script (goal >= 10x)"
        if name == "gancurve sweep":
            separate, tutorial = args.sweep * median["gancurve train"], args.sweep * median["tutorial script"]
            note = (
                f"{args.sweep} trains: {separate:.0f} s ({separate / seconds:.1f}x), "
                f"{args.sweep} tutorials: {tutorial / 60:.0f} min ({tutorial / seconds:.0f}x)"
            )
        spread = f"({min(times[name]):.2f}–{max(times[name]):.2f})"
        print(f"{name:28s} {seconds:7.2f} s {spread:13s} {note}")


if __name__ == "__main__":
    main()
