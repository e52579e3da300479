"""Benchmark: the CPU engine's speed at two commits, alternating — is a change free for the tutorial?

Two versions of gancurve cannot share one process (one package name), so each measurement is a
fresh interpreter on one tree — this worktree, or ``--base`` exported with ``git archive`` into a
temporary directory — and the two alternate, ``--repeats`` times each, medians and their ratio
reported. Every process builds the tutorial's recipe (``TrainConfig(seed=k)``) for each N in
``--members``, warms it up (numba's cached step loads; the first run of a tree compiles it), and
times ``advance`` — the same measurement as ``bench_sweep.py``, which has no way to load another
commit.

    python benchmarks/bench_commits.py --base COMMIT [--members 1,64] [--steps 1024,256] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What each process runs: only API both trees have (``BatchedEngine``, ``advance``, ``last_stats``).
MEASURE = """
import json, sys, time
from gancurve.core.config import TrainConfig
from gancurve.core.engines.batched import BatchedEngine
rates = {}
for members, steps in json.loads(sys.argv[1]):
    engine = BatchedEngine([TrainConfig(seed=seed) for seed in range(1, members + 1)])
    engine.advance(64)
    engine.last_stats(0)
    start = time.perf_counter()
    engine.advance(steps)
    engine.last_stats(0)
    rates[members] = members * steps / (time.perf_counter() - start)
print(json.dumps(rates))
"""


def export(commit: str, into: Path) -> Path:
    """The tree of ``commit`` as plain files under ``into`` (``git archive``: no worktree, no index)."""
    archive = into / "tree.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), commit], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def measure(tree: Path, plan: list[tuple[int, int]]) -> dict[int, float]:
    """Model-steps/s for each (members, steps) in ``plan``, in a fresh interpreter on ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(plan)], env=env, cwd=tree, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    return {int(members): rate for members, rate in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare this worktree with")
    parser.add_argument("--members", default="1,64")
    parser.add_argument("--steps", default="1024,256", help="steps per member per measurement, for each N")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    members = [int(part) for part in args.members.split(",")]
    steps = [int(part) for part in args.steps.split(",")]
    plan = list(zip(members, steps, strict=True))
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"base": export(args.base, Path(scratch)), "this": ROOT}
        for tree in trees.values():
            measure(tree, [(1, 8)])  # compile (or load) each tree's step before timing anything
        rates: dict[str, dict[int, list[float]]] = {name: {n: [] for n in members} for name in trees}
        for _ in range(args.repeats):
            for name, tree in trees.items():  # alternating, so drifts of the machine hit both
                for n, rate in measure(tree, plan).items():
                    rates[name][n].append(rate)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; base {args.base}")
    header = f"{'N':>6} {'base model-steps/s':>20} {'this model-steps/s':>20} {'this/base':>10}"
    print(f"{header}  (medians; each run base/this)")
    for n in members:
        base, this = (statistics.median(rates[name][n]) for name in ("base", "this"))
        runs = " ".join(f"{b:,.0f}/{t:,.0f}" for b, t in zip(rates["base"][n], rates["this"][n], strict=True))
        print(f"{n:>6} {base:>20,.0f} {this:>20,.0f} {this / base:>10.3f}  ({runs})")


if __name__ == "__main__":
    main()
