"""Benchmark: does a long run's memory stay flat? With and without the allocator fix.

Trains in child processes (so each starts clean), alternately with the fix of
``gancurve.training.memory`` and without it, evaluating often so the effect shows early,
and prints the resident memory (RSS) at the start and end of the timed part and its growth
per 100,000 steps; the ratio compares the growth without the fix to the growth with it.

    python benchmarks/bench_memory.py [--steps 200000] [--eval-every 500] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def rss_mb() -> float:
    """This process's resident memory in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6


def child(steps: int, eval_every: int, fixed: bool) -> None:
    """Train one run in this process and print the RSS at 10% and at the end, as JSON."""
    import torch

    from gancurve.core.config import TrainConfig
    from gancurve.store.rundir import RunDir
    from gancurve.training.cadence import Cadence
    from gancurve.training.memory import keep_large_blocks_out_of_the_heap
    from gancurve.training.session import TrainingSession
    from gancurve.training.signals import StopFlag

    if fixed:
        keep_large_blocks_out_of_the_heap()
    torch.set_num_threads(1)
    marks: dict[int, float] = {}

    class Recorder:
        def start(self, total: int, done: int) -> None: ...
        def warn(self, message: str) -> None: ...
        def advance(self, step: int, row: dict[str, float]) -> None:
            if step in (steps // 10, steps):
                marks[step] = rss_mb()

    run = RunDir(Path(tempfile.mkdtemp()) / "memory")
    run.path.mkdir()
    # No checkpoints until the end: the evaluations alone, as in a long run between saves.
    cadence = Cadence(steps=steps, eval_every=eval_every, checkpoint_every=10**9)
    TrainingSession(run, TrainConfig(), cadence, "cpu").train(Recorder(), StopFlag())
    print(json.dumps({"start": marks[steps // 10], "end": marks[steps]}))


def measure(steps: int, eval_every: int, fixed: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", "--steps", str(steps), "--eval-every", str(eval_every)]
    output = subprocess.run(
        [*command, *(["--fixed"] if fixed else [])], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fixed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.steps, args.eval_every, args.fixed)
        return
    growth: dict[bool, list[float]] = {True: [], False: []}
    for repeat in range(args.repeats):
        for fixed in (False, True):  # alternate, so machine noise hits both alike
            marks = measure(args.steps, args.eval_every, fixed)
            per_100k = (marks["end"] - marks["start"]) / (0.9 * args.steps) * 100_000
            growth[fixed].append(per_100k)
            label = "fixed threshold" if fixed else "glibc default  "
            print(
                f"repeat {repeat + 1} {label}: RSS {marks['start']:.0f} → {marks['end']:.0f} MB "
                f"({per_100k:+.1f} MB per 100k steps)",
                flush=True,
            )
    without, with_fix = statistics.median(growth[False]), statistics.median(growth[True])
    evaluations = 0.9 * args.steps / args.eval_every
    print(f"\nsteps {args.steps:,}, an evaluation every {args.eval_every} ({evaluations:,.0f} timed)")
    print(f"median growth per 100k steps: without the fix {without:+.1f} MB, with it {with_fix:+.1f} MB")
    print(f"ratio without / with: {without / max(with_fix, 0.1):.1f}x")


if __name__ == "__main__":
    main()
