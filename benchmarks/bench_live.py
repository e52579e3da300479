"""Benchmark: what the live view (``gc.train(live=True)``) costs a 10,000-step run.

The same run (seed, recipe, cadence) is trained with the live view off and on, alternately, in
one process; "on" draws every frame it would draw in a notebook (the frame, its PNG) and hands it
to a display stub whose handle keeps the bytes, as IPython's would send them to the notebook.

    python benchmarks/bench_live.py                 # 7 pairs of 10,000-step runs on the CPU
    python benchmarks/bench_live.py --pairs 5 --steps 10000

Prints the CPU, each run's seconds, the medians and the best of each (the runs least disturbed by
other work on the machine), the ratios on/off (the target is at most 1.10) and the frames shown
per second of training.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from machine import cpu_name  # benchmarks/machine.py (run as a script: its folder is on the path)

import gancurve as gc
import gancurve.render.notebook as notebook


class StubHandle:
    """A display handle that keeps what it was given (IPython's would send it to the notebook)."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames

    def update(self, picture: bytes) -> None:
        self.frames.append(picture)


def stub_screen(frames: list[bytes]) -> notebook.Screen:
    """The live view's real screen, over a stub display: every frame's PNG lands in ``frames``."""

    def display(picture: bytes, display_id: bool) -> StubHandle:
        frames.append(picture)
        return StubHandle(frames)

    def image(data: bytes, format: str) -> bytes:
        return data

    return notebook.Screen(display, image)


def train_once(runs_dir: Path, name: str, steps: int, live: bool) -> tuple[float, int]:
    """Seconds to train the run, and the frames drawn."""
    frames: list[bytes] = []
    original = notebook.notebook_screen
    notebook.notebook_screen = lambda: stub_screen(frames)  # type: ignore[assignment]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a collapse warning is not what is measured
            began = time.perf_counter()
            gc.train(
                steps=steps, seed=1, name=name, runs_dir=runs_dir, device="cpu", progress=False, live=live
            )
            seconds = time.perf_counter() - began
    finally:
        notebook.notebook_screen = original  # type: ignore[assignment]
    assert all(frame.startswith(b"\x89PNG") for frame in frames)
    return seconds, len(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    times: dict[bool, list[float]] = {False: [], True: []}
    frames: list[int] = []
    with tempfile.TemporaryDirectory() as temp:
        runs_dir = Path(temp)
        train_once(runs_dir, "warm-up", 200, live=True)  # load the compiled step, matplotlib, fonts
        for pair in range(args.pairs):
            for live in (False, True) if pair % 2 == 0 else (True, False):  # alternate who goes first
                seconds, drawn = train_once(runs_dir, f"p{pair}-{'on' if live else 'off'}", args.steps, live)
                times[live].append(seconds)
                if live:
                    frames.append(drawn)
                drew = f"  ({drawn} frames, {drawn / seconds:.1f}/s)" if live else ""
                print(f"pair {pair + 1}: live {'on ' if live else 'off'} {seconds:7.2f} s{drew}", flush=True)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    summary: dict[str, Any] = {
        "cpu": cpu_name(),
        "steps": args.steps,
        "pairs": args.pairs,
        "median_off_s": round(off, 2),
        "median_on_s": round(on, 2),
        "ratio": round(on / off, 3),
        "best_off_s": round(min(times[False]), 2),  # the least disturbed by other work on the machine
        "best_on_s": round(min(times[True]), 2),
        "best_ratio": round(min(times[True]) / min(times[False]), 3),
        "frames_median": statistics.median(frames),
        "frames_per_s": round(statistics.median(frames) / on, 2),
    }
    print(" · ".join(f"{key} {value}" for key, value in summary.items()))


if __name__ == "__main__":
    main()
