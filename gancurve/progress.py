"""The live progress bar of ``gancurve train`` (stderr)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from gancurve.console import err

#: Without a terminal (piped, CI), how long loading the compiled step may take before one line says
#: why nothing happens: loading it from numba's cache takes well under this, compiling ~20 s.
SLOW_LOAD_SECONDS = 1.0


def preparing_the_step(enabled: bool = True) -> contextlib.AbstractContextManager[object]:
    """A spinner while the compiled training step loads (compiles, the first time after an install);
    without a terminal, one line on stderr if it takes long (it is compiling)."""
    if not enabled:
        return contextlib.nullcontext()
    if not err.is_terminal:
        return _line_if_slow("Compiling the training step once, ~20 s …")
    return err.status(
        "Loading the compiled training step (the first run after an install compiles it, ~20 s) …"
    )


@contextlib.contextmanager
def _line_if_slow(line: str) -> Iterator[None]:
    """Print ``line`` to stderr if the block is still running after ``SLOW_LOAD_SECONDS``."""
    timer = threading.Timer(SLOW_LOAD_SECONDS, lambda: err.print(line, markup=False, soft_wrap=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class RichReporter:
    """Shows steps, speed, D's view (its accuracy, for the tutorial's loss), D score and (once
    evaluated) W1, as a context manager."""

    def __init__(self, enabled: bool = True, view: str = "D accuracy", warnings: bool = True) -> None:
        self.view = view
        self.warnings = warnings  # print warnings on stderr (the Python API gives them as Python's)
        self.progress = Progress(
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TextColumn("{task.fields[speed]}"),
            TimeRemainingColumn(compact=True),
            TextColumn("{task.fields[stats]}"),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self.task: TaskID | None = None
        self.w1_text = ""
        # Without a terminal (a log file, CI) the bar cannot redraw: print a line every 10% instead.
        self.plain_lines = enabled and not err.is_terminal
        self.total = 0
        self.next_line_at = 0

    def __enter__(self) -> RichReporter:
        return self  # the bar starts with the work (start): an error before it leaves stderr one line

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.task is not None:
            self.progress.__exit__(exc_type, exc, traceback)

    def start(self, total: int, done: int) -> None:
        """Create the bar at ``done`` of ``total`` steps."""
        if self.task is None:
            self.progress.start()
        self.task = self.progress.add_task("train", total=total, completed=done, speed="", stats="")
        self.total = total
        self.next_line_at = done + max(1, (total - done) // 10)

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Move the bar to ``step`` and show the latest numbers."""
        if self.task is None:
            return
        if "w1" in row:
            self.w1_text = f" · W1 {row['w1']:.3f}"
        speed = self.progress.tasks[self.task].speed
        stats = f"{self.view} {row['d_accuracy']:.2f} · score {row['d_score']:.2f}{self.w1_text}"
        self.progress.update(self.task, completed=step, speed=f"{speed:,.0f}/s" if speed else "", stats=stats)
        if self.plain_lines and step >= self.next_line_at:
            line = f"step {step:,}/{self.total:,} · {stats}"
            self.progress.console.print(line, markup=False, soft_wrap=True)
            self.next_line_at = step + max(1, self.total // 10)

    def warn(self, message: str) -> None:
        """Print above the bar, which keeps running below."""
        if self.warnings:
            self.progress.console.print(f"Warning: {message}", style="yellow", markup=False, soft_wrap=True)


class RichSweepReporter(RichReporter):
    """One bar for a whole sweep: steps, model-steps per second, median W1, collapses."""

    def start(self, total: int, done: int, members: int = 1) -> None:
        """Create the bar at ``done`` of ``total`` steps for ``members`` runs."""
        super().start(total, done)
        self.members = members
        self.phase_task: TaskID | None = None
        self.phase_name, self.phase_total, self.phase_next_line = "", 0, 0

    def advance(self, step: int, row: dict[str, float]) -> None:
        """Move the bar to ``step`` and show the live numbers of the sweep."""
        if self.task is None:
            return
        speed = self.progress.tasks[self.task].speed
        w1 = row["w1_median"]
        stats = (f"median W1 {w1:.3f}" if w1 == w1 else "median W1 -") + (
            f" · collapsing {int(row['collapsing'])} · diverged {int(row['diverged'])}"
        )
        rate = f"{speed * self.members:,.0f} model-steps/s" if speed else ""
        self.progress.update(self.task, completed=step, speed=rate, stats=stats)
        if self.plain_lines and step >= self.next_line_at:
            line = f"step {step:,}/{self.total:,} · {self.members} runs · {stats}"
            self.progress.console.print(line, markup=False, soft_wrap=True)
            self.next_line_at = step + max(1, self.total // 10)

    def phase(self, name: str, total: int) -> None:
        """After training: a bar of ``total`` members for ``name`` (saving, scoring)."""
        self.phase_task = None
        if self.task is not None and total:
            self.phase_task = self.progress.add_task(name, total=total, speed="", stats=f"{name} members")
        self.phase_name, self.phase_total, self.phase_next_line = name, total, max(1, total // 10)

    def phase_advance(self, done: int) -> None:
        """``done`` members of the phase are done."""
        if self.phase_task is None:
            return
        speed = self.progress.tasks[self.phase_task].speed
        self.progress.update(
            self.phase_task, completed=done, speed=f"{speed:,.0f} members/s" if speed else ""
        )
        if self.plain_lines and (done >= self.phase_next_line or done == self.phase_total):
            line = f"{self.phase_name} members {done:,}/{self.phase_total:,}"
            self.progress.console.print(line, markup=False, soft_wrap=True)
            self.phase_next_line = done + max(1, self.phase_total // 10)


class RichClusterReporter(RichReporter):
    """One bar for a whole study on a Dask cluster: members done, shards running, workers connected,
    and the median W1 of the members done so far."""

    def start(self, total: int, done: int, members: int = 1) -> None:
        """Create the bar at ``done`` of ``total`` members."""
        super().start(total, done)

    def advance(self, step: int, row: dict[str, float]) -> None:
        """``step`` members are done; ``row`` holds ``running``, ``workers`` and ``w1_median``."""
        if self.task is None:
            return
        w1 = row["w1_median"]
        stats = f"{int(row['running'])} shards running · {int(row['workers'])} workers · " + (
            f"median W1 {w1:.3f}" if w1 == w1 else "median W1 -"
        )
        speed = self.progress.tasks[self.task].speed
        self.progress.update(
            self.task, completed=step, speed=f"{speed:,.1f} members/s" if speed else "", stats=stats
        )
        if self.plain_lines and step >= self.next_line_at:
            line = f"members {step:,}/{self.total:,} · {stats}"
            self.progress.console.print(line, markup=False, soft_wrap=True)
            self.next_line_at = step + max(1, self.total // 10)
