"""Benchmark: model-steps per second of the batched engine for N members, against one run.

For each N (members trained together), times ``advance`` over a fixed number of steps and
reports model-steps/s (N × steps / seconds) and the ratio to the single-run engine (N = 1,
what ``gancurve train`` runs) and to the tutorial's loop (torch autograd, one thread), all
measured alternately in this one process, repeated, medians reported. Also prints the
engine's memory (its arrays: weights, Adam moments, draws, logits) for each N, and the
process's peak resident memory at the end.

With ``--device cuda`` it times the torch engine on the GPU instead (a CUDA graph per step) and
skips the tutorial loop.

    python benchmarks/bench_sweep.py [--members 1,8,64,256,1024] [--steps 256] [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from gancurve.core.config import TrainConfig
from gancurve.core.engines.batched import BatchedEngine, prepare


def engine_bytes(engine: BatchedEngine) -> int:
    """Bytes held by the engine's arrays (what grows with N)."""
    arrays = [engine.g, engine.d, engine.g_moments, engine.d_moments, engine.logits]
    arrays += [engine._real_a, engine._ideas]  # the block of draws made in advance
    return sum(array.nbytes for array in arrays)


def model_steps_per_second(members: int, steps: int, device: str = "cpu") -> tuple[float, int]:
    """Build an engine of ``members`` seeds, warm it up, time ``steps`` steps of all of them."""
    configs = [TrainConfig(seed=seed) for seed in range(1, members + 1)]
    if device == "cpu":
        engine = BatchedEngine(configs)
    else:
        from gancurve.core.engines.batched_torch import TorchBatchedEngine

        engine = TorchBatchedEngine(configs, device)
    engine.advance(16)  # on CUDA: captures the graph
    engine.last_stats(0)  # waits for the device
    start = time.perf_counter()
    engine.advance(steps)
    engine.last_stats(0)
    seconds = time.perf_counter() - start
    return members * steps / seconds, engine_bytes(engine)


def tutorial_steps_per_second(steps: int) -> float:
    """The tutorial's loop (torch autograd, one thread): steps per second."""
    import torch
    import tutorial_reference as tutorial

    torch.set_num_threads(1)
    generator, discriminator, opt_g, opt_d = tutorial.build()
    for _ in range(20):
        tutorial.train_step(generator, discriminator, opt_g, opt_d)
    start = time.perf_counter()
    for _ in range(steps):
        tutorial.train_step(generator, discriminator, opt_g, opt_d)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", default="1,8,64,256,1024")
    parser.add_argument("--steps", type=int, default=256, help="steps per member per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    sizes = [int(n) for n in args.members.split(",")]
    on_cpu = args.device == "cpu"
    if on_cpu:
        prepare()  # load the compiled step before timing anything
    speeds: dict[str, list[float]] = {"tutorial loop": [], **{f"N={n}": [] for n in sizes}}
    memory: dict[str, int] = {}
    for _ in range(args.repeats):  # alternate so that machine noise hits every contender alike
        speeds["tutorial loop"].append(tutorial_steps_per_second(max(200, args.steps)))
        for n in sizes:
            steps = args.steps if n < 256 or not on_cpu else args.steps // 4
            speed, memory[f"N={n}"] = model_steps_per_second(n, steps, args.device)
            speeds[f"N={n}"].append(speed)
    median = {name: statistics.median(values) for name, values in speeds.items()}
    single = median.get("N=1") or model_steps_per_second(1, args.steps, args.device)[0]
    tutorial = median["tutorial loop"]
    machine = platform.processor() or platform.machine()
    print(f"{machine}, numpy {np.__version__}, {args.repeats} repeats, medians")
    print(f"{'':14}{'model-steps/s':>14}{'vs N=1':>9}{'vs tutorial':>13}{'engine MB':>11}")
    for name, value in median.items():
        mb = f"{memory[name] / 2**20:.1f}" if name in memory else ""
        print(f"{name:14}{value:14,.0f}{value / single:9.2f}{value / tutorial:13.1f}{mb:>11}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
