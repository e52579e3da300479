"""Runs, sweeps and grids in a notebook: their HTML cards (``_repr_html_``) and the live view.

Both draw with :class:`~gancurve.render.frames.FramePainter`, the frame of ``gancurve animate``:
G's paintings on the artist's band, with the step, W1 and D's numbers. A card shows the
checkpoint's G (what ``evaluate`` scores); the live view redraws the latest snapshot while
training runs (:class:`LiveView`, for ``gc.train(live=True)``).

IPython is imported only by :func:`notebook_screen`, when a live view is asked for.
"""

from __future__ import annotations

import base64
import html
import io
import math
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from gancurve.core.artist import make_artist
from gancurve.core.condition import make_condition
from gancurve.core.config import TrainConfig
from gancurve.core.metrics import POINT_TOLERANCE
from gancurve.core.objectives import OBJECTIVES
from gancurve.core.recipes import describe
from gancurve.errors import UsageError
from gancurve.render.frames import FramePainter, Look
from gancurve.results.sampling import draw_samples
from gancurve.store.rundir import RunDir

if TYPE_CHECKING:
    from gancurve.results.evaluation import Evaluation
    from gancurve.training.history import History
    from gancurve.training.session import Reporter

#: A card's thumbnail: ``animate``'s frame at 400×300, snapped to a few colours (~13 KB).
THUMBNAIL_SIZE = (400, 300)
THUMBNAIL_COLOURS = 64
#: The curves a thumbnail shows (as many as a snapshot paints by default).
THUMBNAIL_CURVES = 16
#: The live view's frame: ``animate``'s size without the critic panel.
LIVE_SIZE = (560, 420)
#: The live view draws at most this often (seconds): a few frames a second …
FRAME_INTERVAL = 0.3
#: … and its time (setting up its figure included) stays under this share of the time training
#: has run, once the first frame is shown: training slows by about this much, whatever the
#: machine (benchmarks/bench_live.py measures it).
DRAWING_SHARE = 0.07


# -- the cards ---------------------------------------------------------------------------------


def look_of(config: TrainConfig) -> Look:
    """What a run's frames show besides its paintings (no critic panel: it needs every frame)."""
    return Look(OBJECTIVES[config.loss], make_artist(config), make_condition(config), critic=False)


def png_bytes(frame: np.ndarray, colours: int | None = None) -> bytes:
    """An RGB frame as PNG; with ``colours``, snapped to that many first (a much smaller file)."""
    image = Image.fromarray(frame)
    if colours is not None:
        image = image.quantize(colours, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    # The fastest compression: the live view encodes a few frames a second while training runs.
    image.save(buffer, format="PNG", compress_level=1 if colours is None else 6)
    return buffer.getvalue()


def thumbnail(run: RunDir, w1: float | None, d_accuracy: float, d_score: float) -> bytes:
    """The checkpoint's G painting its first ideas on the artist's band, as a small PNG."""
    samples = draw_samples(run, THUMBNAIL_CURVES, seed=0)
    painter = FramePainter(samples.x, THUMBNAIL_CURVES, THUMBNAIL_SIZE, look_of(run.train_config()))
    frame = painter.render(samples.step, samples.y, d_accuracy, d_score, w1)
    return png_bytes(frame, THUMBNAIL_COLOURS)


def run_card(name: str, config: TrainConfig, run: RunDir, evaluation: Evaluation) -> str:
    """A run's card: its recipe, step, verdict, W1 (and the artist's own, the floor), a thumbnail."""
    g, floor = evaluation.generator, evaluation.artist
    picture = thumbnail(run, g["w1"], g["d_accuracy"], g["d_score"])
    rows = [
        ("recipe", describe(config)),
        ("step", f"{evaluation.step:,}"),
        ("verdict", f"{evaluation.verdict.label} — {evaluation.verdict.reason}"),
        ("W1 to the artist", f"{g['w1']:.3f} (the artist's own: {floor['w1']:.3f})"),
        ("in bounds", f"{g['in_bounds']:.3f}"),
        ("scored on", f"{evaluation.samples:,} paintings, as run.evaluate() (gancurve evaluate)"),
    ]
    return _card(f"gancurve.Run {name!r}", rows, picture, f"G's paintings at step {evaluation.step:,}")


def sweep_card(
    name: str, config: TrainConfig, aggregate: dict[str, Any], median: tuple[RunDir, dict[str, Any]] | None
) -> str:
    """A sweep's card: its recipe, the rate of success with its Wilson interval, W1's median and
    p90, the verdicts, and a thumbnail of the median seed (``median``: its run and summary row)."""
    low, high = aggregate["success_rate_95"]
    counts = ", ".join(
        f"{aggregate[key]} {key.replace('_', ' ')}"
        for key in ("collapsed", "diverged", "still_learning", "dropped_modes", "ignores_condition")
        if aggregate.get(key)
    )
    rows = [
        ("recipe", describe(config)),
        ("members", f"{aggregate['members']:,}"),
        (
            "converged",
            f"{aggregate['converged']:,} of {aggregate['members']:,} = {_percent(aggregate['success_rate'])} "
            f"(95% Wilson interval {_percent(low)}–{_percent(high)})",
        ),
        ("W1 median · p90", f"{_number(aggregate['w1_median'])} · {_number(aggregate['w1_p90'])}"),
        ("other verdicts", counts or "none"),
    ]
    if "near_point" in aggregate:  # a point law (docs/metrics.md, "A point")
        near_low, near_high = aggregate["near_point_95"]
        rate = f"{_percent(aggregate['near_point_rate'])} (95% {_percent(near_low)}–{_percent(near_high)})"
        near = f"{aggregate['near_point']:,} of {aggregate['members']:,} = {rate}"
        rows.append((f"at the point (mean |â − a| ≤ {POINT_TOLERANCE})", near))
    picture, caption = None, ""
    if median is not None:
        run, row = median
        w1 = row["w1"] if row["w1"] is not None and math.isfinite(row["w1"]) else None
        picture = thumbnail(run, w1, row["d_accuracy"], row["d_score"])
        caption = f"the median seed ({row['seed']}): G's paintings at step {row['step']:,}"
    return _card(f"gancurve.Sweep {name!r}", rows, picture, caption)


def grid_card(name: str, recipes: Sequence[dict[str, Any]]) -> str:
    """A grid's card: one row per recipe (its label, success rate with the Wilson interval, W1's
    median and p90, and its W1 minus the first recipe's, paired by seed)."""
    header = ("recipe", "converged", "95% interval", "W1 median", "W1 p90", "W1 − first (95%)")
    lines = []
    for recipe in recipes:
        a, versus = recipe["aggregate"], recipe.get("versus_first")
        low, high = a["success_rate_95"]
        paired = (
            f"{versus['median']:+.3f} ({versus['low']:+.3f} to {versus['high']:+.3f})"
            if versus is not None
            else "—"
        )
        cells = (
            recipe["recipe"],
            f"{a['converged']:,}/{a['members']:,}",
            f"{_percent(low)}–{_percent(high)}",
            _number(a["w1_median"]),
            _number(a["w1_p90"]),
            paired,
        )
        lines.append(cells)
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>" for cells in lines
    )
    title = html.escape(f"gancurve.Grid {name!r}: {len(recipes)} recipes, paired by seed")
    return f"<div><strong>{title}</strong><table><tr>{head}</tr>{body}</table></div>"


def unshowable(line: str) -> str:
    """A card that is one line: what could not be read, and why."""
    return f"<p>{html.escape(line)}</p>"


def _card(title: str, rows: list[tuple[str, str]], picture: bytes | None, caption: str) -> str:
    table = "".join(
        f"<tr><th style='text-align:left'>{html.escape(key)}</th><td style='text-align:left'>"
        f"{html.escape(value)}</td></tr>"
        for key, value in rows
    )
    image = ""
    if picture is not None:
        width, height = THUMBNAIL_SIZE
        data = base64.b64encode(picture).decode("ascii")
        image = (
            f"<img src='data:image/png;base64,{data}' width='{width}' height='{height}' "
            f"alt='{html.escape(caption, quote=True)}' title='{html.escape(caption, quote=True)}'>"
        )
    return (
        "<div style='display:flex;gap:1em;align-items:flex-start;flex-wrap:wrap'>"
        f"{image}<div><strong>{html.escape(title)}</strong><table>{table}</table></div></div>"
    )


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _number(value: float | None) -> str:
    return "—" if value is None else "∞" if math.isinf(value) else f"{value:.3f}"


# -- the live view -----------------------------------------------------------------------------

NOT_A_NOTEBOOK = (
    "live=True draws in a Jupyter notebook, and this is not one (no IPython kernel); here, watch "
    "progress=True, or look at run.animate() after training."
)


class Screen:
    """One picture in the notebook's cell, shown once and then replaced in place."""

    def __init__(self, display: Callable[..., Any], image: Callable[..., Any]) -> None:
        self._display, self._image = display, image
        self._handle: Any = None

    def show(self, png: bytes) -> None:
        """Show ``png``, in place of the picture shown before."""
        picture = self._image(data=png, format="png")
        if self._handle is None:
            self._handle = self._display(picture, display_id=True)
        else:
            self._handle.update(picture)


def notebook_screen() -> Screen:
    """The cell's screen; a ``UsageError`` outside a Jupyter kernel (a terminal IPython cannot
    show pictures either)."""
    try:
        from IPython import get_ipython
        from IPython.display import Image as IPythonImage
        from IPython.display import display
    except ImportError:
        raise UsageError(NOT_A_NOTEBOOK) from None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        raise UsageError(NOT_A_NOTEBOOK)
    return Screen(display, IPythonImage)


class LiveView:
    """A training reporter that also redraws G's latest snapshot, the band and W1 in the cell.

    Everything the inner reporter does (the progress bar) goes on. At a logged row, when a new
    snapshot is there, the last frame is :data:`FRAME_INTERVAL` old and the drawing so far is
    within :data:`DRAWING_SHARE` of the time, the snapshot is drawn on one reused figure and
    replaces the picture in the cell; the first comes at once, the last at the end.

    It reads what the session recorded (the snapshots of the fixed ideas) and changes nothing of
    training: the run is the same bit for bit. (Drawing in a thread was measured and does not pay:
    matplotlib holds the GIL, which the loop between engine calls then waits for.)
    """

    def __init__(
        self, inner: Reporter, history: History, x: np.ndarray, curves: int, look: Look, screen: Screen
    ) -> None:
        self.inner, self.history, self.screen = inner, history, screen
        self.x, self.curves, self.look = x, curves, look
        self.painter: FramePainter | None = None
        self.w1: float | None = None
        self.painted: int | None = None  # the step of the snapshot on screen
        self.began = 0.0  # when training began (perf_counter)
        self.spent = 0.0  # seconds spent drawing, setting up included
        self.painted_at = -math.inf
        self.shown = 0  # frames shown

    def __enter__(self) -> LiveView:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.paint()  # the cell ends on the final state

    def start(self, total: int, done: int) -> None:
        """The inner reporter's start; a resumed run shows where it starts from at once."""
        self.inner.start(total, done)
        self.began = time.perf_counter()
        self.painter = FramePainter(self.x, self.curves, LIVE_SIZE, self.look)
        self.spent = time.perf_counter() - self.began
        measured = [row["w1"] for row in self.history.rows if "w1" in row]
        self.w1 = measured[-1] if measured else None
        self.paint()

    def advance(self, step: int, row: dict[str, float]) -> None:
        """The inner reporter's advance, and a frame when one is due."""
        self.inner.advance(step, row)
        if "w1" in row:
            self.w1 = row["w1"]
        now = time.perf_counter()
        due = now - self.painted_at >= FRAME_INTERVAL and self.spent <= DRAWING_SHARE * (now - self.began)
        if due or self.painted is None:
            self.paint()

    def warn(self, message: str) -> None:
        """As the inner reporter warns."""
        self.inner.warn(message)

    def paint(self) -> None:
        """Draw the latest snapshot and show it, unless it is on screen already."""
        history = self.history
        if self.painter is None or not history.snapshot_steps or history.snapshot_steps[-1] == self.painted:
            return
        began = time.perf_counter()
        step = history.snapshot_steps[-1]
        frame = self.painter.render(
            step,
            history.snapshot_paintings[-1],
            history.snapshot_d_accuracy[-1],
            history.snapshot_d_score[-1],
            self.w1,
        )
        self.screen.show(png_bytes(frame))
        self.painted, self.painted_at, self.shown = step, time.perf_counter(), self.shown + 1
        self.spent += self.painted_at - began
