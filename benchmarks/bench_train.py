"""Benchmark: training steps per second — the tutorial's loop against gancurve's engines.

Runs, alternately and several times, (1) the tutorial's loop re-expressed faithfully
(``tutorial_reference.py``), (2) gancurve's readable autograd trainer, and (3) the fast engine
for this device, then prints the median steps/s of each and their ratios to the tutorial.

    python benchmarks/bench_train.py [--steps 2000] [--repeats 5] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import tutorial_reference as tutorial

from gancurve.core.config import TrainConfig
from gancurve.core.engines import make_engine
from gancurve.core.engines.protocol import Engine
from gancurve.core.engines.reference import Trainer


def steps_per_second(
    make_step: Callable[[], Callable[[], object]], steps: int, sync: Callable[[], None]
) -> float:
    """Steady-state speed: build, warm up, then time ``steps`` steps."""
    step = make_step()
    for _ in range(min(200, steps)):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return steps / (time.perf_counter() - start)


def fifty_steps(engine: Engine) -> Callable[[], object]:
    """A step function that advances the engine 50 steps a call."""
    return lambda: engine.advance(50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # one thread beats two for these tiny matrices (see docs/performance.md)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def tutorial_loop() -> Callable[[], object]:
        generator, discriminator, opt_g, opt_d = tutorial.build()
        generator.to(device)
        discriminator.to(device)
        if device.type != "cpu":  # the tutorial is CPU code; on a GPU compare with eager autograd instead
            trainer = Trainer(TrainConfig(), device)
            return trainer.step
        return lambda: tutorial.train_step(generator, discriminator, opt_g, opt_d)

    contenders: dict[str, Callable[[], Callable[[], object]]] = {
        "tutorial loop": tutorial_loop,
        "autograd trainer": lambda: Trainer(TrainConfig(), device).step,
        # The fast engine as the training loop drives it: 50 steps a call (a log interval).
        "fast engine (x50)": lambda: fifty_steps(make_engine(TrainConfig(), str(device), "fast")),
    }
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):  # alternate so that machine noise hits every contender alike
        for name, make in contenders.items():
            per_call = 50 if name.endswith("(x50)") else 1
            results[name].append(per_call * steps_per_second(make, args.steps // per_call, sync))
    reference = statistics.median(results["tutorial loop"])
    print(
        f"device {device}, {args.steps} steps x {args.repeats} alternating repeats, torch {torch.__version__}"
    )
    print(f"{'':18}{'steps/s':>10}{'µs/step':>10}{'vs tutorial':>13}")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:18}{median:10,.0f}{1e6 / median:10.0f}{median / reference:12.1f}x")


if __name__ == "__main__":
    main()
