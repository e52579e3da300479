"""Benchmark: render the GIF of a 10,000-step run (200 snapshots) — ours against a naive renderer.

The naive renderer is what one writes first: a new pyplot figure per frame, everything
drawn from scratch, the RGB frames handed to imageio as they are. Ours reuses one figure
(static parts drawn once, moving parts blitted) and snaps frames to one shared palette.

    python benchmarks/bench_animate.py            # synthetic snapshots shaped like a real run
    python benchmarks/bench_animate.py --run runs/NAME

Prints time per frame, file sizes and the ratios; both run in the same process, alternately.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np

from gancurve.render.animate import plan_frames, render_frames, write_animation
from gancurve.store.rundir import RunDir, Snapshots

SIZE = (560, 420)  # the CLI's default


def synthetic_snapshots(count: int = 200, curves: int = 16, seed: int = 0) -> Snapshots:
    """Paintings that drift from noise towards parabolas, with batch-like jitter, as in training."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, 15)
    a = rng.uniform(1, 2, size=curves)
    target = a[:, None] * (x**2 + 1) - 1
    start = rng.normal(0.3, 0.3, size=(curves, 15))
    progress = 1 - np.exp(-np.arange(count) / 25)
    paintings = np.stack(
        [(1 - p) * start + p * target + rng.normal(0, 0.06, size=(curves, 15)) for p in progress]
    ).astype(np.float32)
    return Snapshots(
        steps=np.arange(1, count + 1) * 50,
        paintings=paintings,
        d_accuracy=0.5 + 0.2 * np.exp(-np.arange(count) / 30),
        d_score=-1.38 + 0.3 * np.exp(-np.arange(count) / 30),
        x=x,
    )


def naive_frames(snapshots: Snapshots) -> list[np.ndarray]:
    """One new pyplot figure per frame, like the tutorial's loop."""
    frames = []
    x = snapshots.x
    for step, paintings, accuracy, score in zip(
        snapshots.steps, snapshots.paintings, snapshots.d_accuracy, snapshots.d_score, strict=True
    ):
        figure = plt.figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
        plt.fill_between(x, x**2, 2 * x**2 + 1, color="#EAF3FB")
        plt.plot(x, 2 * x**2 + 1, c="#74BCFF", lw=2, label="upper bound")
        plt.plot(x, x**2, c="#FF9359", lw=2, label="lower bound")
        for painting in paintings[1:]:
            plt.plot(x, painting, c="#4AD631", lw=1, alpha=0.45)
        plt.plot(x, paintings[0], c="#4AD631", lw=3, label="Generated painting")
        plt.text(-0.9, 2.7, f"step {step}", fontdict={"size": 10})
        plt.text(-0.9, 2.5, f"D accuracy={accuracy:.2f} (0.5 for D to converge)", fontdict={"size": 10})
        plt.text(-0.9, 2.3, f"D score={score:.2f} (-1.38 for G to converge)", fontdict={"size": 10})
        plt.ylim((0, 3))
        plt.legend(loc="upper right", fontsize=8)
        figure.canvas.draw()
        frames.append(np.asarray(figure.canvas.buffer_rgba())[:, :, :3].copy())  # type: ignore[attr-defined]
        plt.close(figure)
    return frames


def timed(function, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a run directory to animate (default: synthetic)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    snapshots = RunDir(args.run).read_snapshots() if args.run else synthetic_snapshots()
    count = len(snapshots.steps)
    plan = plan_frames(count, every=1)
    ours_render, naive_render, ours_total, naive_total = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        ours_gif, naive_gif = Path(tmp, "ours.gif"), Path(tmp, "naive.gif")
        for _ in range(args.repeats):  # alternate, so both see the same machine noise
            seconds, _frames = timed(lambda: list(render_frames(snapshots, plan, SIZE)))
            ours_render.append(seconds)
            seconds, frames = timed(naive_frames, snapshots)
            naive_render.append(seconds)
            seconds, _ = timed(write_animation, snapshots, ours_gif, 10.0, 1, SIZE)
            ours_total.append(seconds)
            start = time.perf_counter()
            iio.imwrite(naive_gif, np.stack(frames), extension=".gif", duration=100, loop=0)
            naive_total.append(naive_render[-1] + time.perf_counter() - start)
        ours_size, naive_size = ours_gif.stat().st_size, naive_gif.stat().st_size
        assert iio.improps(ours_gif, index=None).shape[0] == count

    def per_frame(values: list[float]) -> float:
        return statistics.median(values) / count * 1000

    print(f"{count} frames at {SIZE[0]}x{SIZE[1]}, median of {args.repeats} alternating repeats")
    print(f"{'':24}{'ours':>12}{'naive':>12}{'ratio':>10}")
    print(f"{'render, ms/frame':24}{per_frame(ours_render):12.1f}{per_frame(naive_render):12.1f}"
          f"{per_frame(naive_render) / per_frame(ours_render):9.1f}x")  # fmt: skip
    print(f"{'render + GIF, ms/frame':24}{per_frame(ours_total):12.1f}{per_frame(naive_total):12.1f}"
          f"{per_frame(naive_total) / per_frame(ours_total):9.1f}x")  # fmt: skip
    print(f"{'GIF size, MB':24}{ours_size / 1e6:12.2f}{naive_size / 1e6:12.2f}{naive_size / ours_size:9.1f}x")


if __name__ == "__main__":
    main()
