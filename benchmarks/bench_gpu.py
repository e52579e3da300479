"""Benchmark (CUDA): 10,000 training steps, eager autograd against the CUDA-graph engine.

    python benchmarks/bench_gpu.py [--steps 10000]

Prints, for each engine, the wall time of the whole run (capture and warm-up included for the
graph engine, synchronised at the end) and the ratio. Needs a CUDA GPU.
"""

from __future__ import annotations

import argparse
import time

import torch

from gancurve.core.config import TrainConfig
from gancurve.core.engines.cuda_graph import GraphEngine
from gancurve.core.engines.reference import Trainer


def timed_run(make: type[Trainer] | type[GraphEngine], steps: int) -> tuple[float, object]:
    """Seconds for ``steps`` steps from construction, synchronised at the end."""
    torch.cuda.synchronize()
    start = time.perf_counter()
    engine = make(TrainConfig(), "cuda")  # type: ignore[call-arg]
    for _ in range(steps):
        engine.step()
    torch.cuda.synchronize()
    return time.perf_counter() - start, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("bench_gpu.py needs a CUDA GPU")
    timed_run(Trainer, 50)  # CUDA context, cuBLAS handles: not part of either measurement
    eager_s, _ = timed_run(Trainer, args.steps)
    graph_s, engine = timed_run(GraphEngine, args.steps)
    assert isinstance(engine, GraphEngine)
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, {args.steps} steps")
    print(f"{'engine':24}{'seconds':>10}{'steps/s':>12}")
    print(f"{'eager autograd':24}{eager_s:10.2f}{args.steps / eager_s:12,.0f}")
    label = "CUDA graph" if engine.graph is not None else f"graph FAILED ({engine.fallback_reason})"
    print(f"{label:24}{graph_s:10.2f}{args.steps / graph_s:12,.0f}")
    print(f"speed-up: {eager_s / graph_s:.1f}x (target: >= 10x, and under 1 s for 10,000 steps)")


if __name__ == "__main__":
    main()
