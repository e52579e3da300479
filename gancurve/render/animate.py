"""Write the training animation (GIF, or MP4 with imageio's ffmpeg plugin)."""

from __future__ import annotations

import bisect
import importlib.util
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from gancurve.errors import GancurveError, UsageError
from gancurve.formats import ANIMATION_FORMATS, ANIMATION_FPS_RANGE
from gancurve.render.frames import FramePainter, Look
from gancurve.store.atomic import replace_with, temporary_sibling
from gancurve.store.outputs import check_output
from gancurve.store.rundir import Snapshots

#: (step, W1) pairs from metrics.csv, sorted by step.
W1Log = Sequence[tuple[int, float]]
#: Beyond this many frames (without --every) the animation is thinned automatically.
MAX_AUTO_FRAMES = 400
#: The last frame stays on screen this long, so the ending can be read.
HOLD_LAST_SECONDS = 2.0
#: Colours in the GIF's shared palette: our frames use a handful, plus blends.
GIF_COLORS = 32


@dataclass(frozen=True)
class AnimationPlan:
    """Which snapshots become frames."""

    indices: list[int]
    every: int
    auto_thinned: bool


def plan_frames(total: int, every: int | None) -> AnimationPlan:
    """Frames for ``total`` snapshots: every ``every``-th, always ending on the last one."""
    if total == 0:
        raise GancurveError("This run has no snapshots yet; train it longer (see --snapshot-every).")
    auto = every is None and total > MAX_AUTO_FRAMES
    step = math.ceil(total / MAX_AUTO_FRAMES) if auto else (every or 1)
    indices = list(range(0, total, step))
    if indices[-1] != total - 1:
        indices.append(total - 1)  # the final state always ends the film
    return AnimationPlan(indices, step, auto)


def check_animation_output(output: Path) -> str:
    """The output's extension, once it is known to be writable."""
    extension = output.suffix.lower()
    if extension not in ANIMATION_FORMATS:
        raise UsageError(f"Cannot write {output.name!r}: use a .gif or .mp4 file name.")
    if extension == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise GancurveError(
            "Writing .mp4 needs imageio's ffmpeg plugin: pip install 'gancurve[video]' "
            "(or imageio-ffmpeg), or write a .gif."
        )
    check_output(output)
    return extension


def parse_size(text: str) -> tuple[int, int]:
    """``640x480`` → ``(640, 480)``, with even sides (video codecs need them)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as error:
        raise UsageError(f"--size must look like 640x480, got {text!r}.") from error
    if not (160 <= width <= 4000 and 120 <= height <= 4000):
        raise UsageError(f"--size {text} is out of range (160x120 to 4000x4000).")
    return width - width % 2, height - height % 2


def render_frames(
    snapshots: Snapshots,
    plan: AnimationPlan,
    size: tuple[int, int],
    w1: W1Log = (),
    look: Look | None = None,
) -> Iterator[np.ndarray]:
    """The frames of the animation, one at a time (``look``: what the texts name, the band behind
    G's curves and their colours)."""
    painter = FramePainter(snapshots.x, snapshots.paintings.shape[1], size, look, snapshots.critic)
    for index in plan.indices:
        yield _render_snapshot(painter, snapshots, index, w1)


def _render_snapshot(painter: FramePainter, snapshots: Snapshots, index: int, w1: W1Log = ()) -> np.ndarray:
    step = int(snapshots.steps[index])
    return painter.render(
        step,
        snapshots.paintings[index],
        float(snapshots.d_accuracy[index]),
        float(snapshots.d_score[index]),
        latest_w1(w1, step),
        None if snapshots.critic is None else snapshots.critic[index],
    )


def latest_w1(w1: W1Log, step: int) -> float | None:
    """The last W1 measured at or before ``step`` (``w1`` is sorted by step)."""
    index = bisect.bisect_right([s for s, _ in w1], step) - 1
    return w1[index][1] if index >= 0 else None


def shared_palette(
    snapshots: Snapshots,
    size: tuple[int, int],
    look: Look | None = None,
) -> Image.Image:
    """One palette for every frame, from the first and last frames side by side.

    With the same palette, pixels that did not move are identical from frame to frame, and
    the GIF encoder stores them as transparent: most of a frame costs almost nothing.
    """
    painter = FramePainter(snapshots.x, snapshots.paintings.shape[1], size, look, snapshots.critic)
    ends = [_render_snapshot(painter, snapshots, i) for i in (0, len(snapshots.steps) - 1)]
    return Image.fromarray(np.concatenate(ends, axis=1)).quantize(GIF_COLORS, dither=Image.Dither.NONE)


def to_palette(frame: np.ndarray, palette: Image.Image) -> np.ndarray:
    """The frame with every pixel snapped to the nearest palette colour (no dithering noise)."""
    snapped = Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE)
    return np.asarray(snapped.convert("RGB"))


def write_animation(
    snapshots: Snapshots,
    output: Path,
    fps: float,
    every: int | None,
    size: tuple[int, int],
    w1: W1Log = (),
    look: Look | None = None,
) -> AnimationPlan:
    """Write the animation atomically: to a temporary file, renamed when complete."""
    slowest, fastest = ANIMATION_FPS_RANGE
    if not slowest <= fps <= fastest:
        raise UsageError(f"--fps must be from {slowest:g} to {fastest:g}, got {fps:g}.")
    extension = check_animation_output(output)
    plan = plan_frames(len(snapshots.steps), every)
    frames = render_frames(snapshots, plan, size, w1, look)
    with temporary_sibling(output) as temp:
        if extension == ".gif":
            _write_gif(temp, frames, shared_palette(snapshots, size, look), fps, len(plan.indices))
        else:
            _write_mp4(temp, frames, fps)
        replace_with(temp, output)
    return plan


def _write_gif(
    path: Path, frames: Iterator[np.ndarray], palette: Image.Image, fps: float, count: int
) -> None:
    import imageio.v3 as iio

    frame_ms = 1000.0 / fps
    durations = [frame_ms] * (count - 1) + [max(frame_ms, HOLD_LAST_SECONDS * 1000)]
    gif: Any  # imageio's pillow plugin takes pillow's keywords, which its base type does not declare
    with iio.imopen(path, "w", extension=".gif", plugin="pillow") as gif:
        for frame in frames:
            # duration (ms per frame) and loop=0 (forever) apply when the file is written.
            gif.write(to_palette(frame, palette), is_batch=False, duration=durations, loop=0)


def _write_mp4(path: Path, frames: Iterator[np.ndarray], fps: float) -> None:
    import imageio.v2 as imageio

    hold = max(1, round(HOLD_LAST_SECONDS * fps))
    writer: Any  # the ffmpeg plugin's writer
    with imageio.get_writer(path, format="FFMPEG", mode="I", fps=fps, macro_block_size=2) as writer:
        frame = None
        for frame in frames:
            writer.append_data(frame)
        for _ in range(hold - 1):
            writer.append_data(frame)
