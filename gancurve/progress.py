"""The live progress bar of ``gancurve train`` (stderr)."""

from __future__ import annotations

import contextlib
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.status import Status

from gancurve.console import err


def preparing_the_step(enabled: bool = True) -> Status | contextlib.nullcontext[None]:
    """A spinner while the compiled training step loads (compiles, the first time after an install)."""
    if not enabled:
        return contextlib.nullcontext()
    return err.status(
        "Loading the compiled training step (the first run after an install compiles it, ~20 s) …"
    )


class RichReporter:
    """Shows steps, speed, D's view (its accuracy, for the tutorial's loss), D score and (once
    evaluated) W1, as a context manager."""

    def __init__(self, enabled: bool = True, view: str = "D accuracy") -> None:
        self.view = view
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
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.progress.__exit__(exc_type, exc, traceback)

    def start(self, total: int, done: int) -> None:
        """Create the bar at ``done`` of ``total`` steps."""
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
        self.progress.console.print(f"Warning: {message}", style="yellow", markup=False, soft_wrap=True)


class RichSweepReporter(RichReporter):
    """One bar for a whole sweep: steps, model-steps per second, median W1, collapses."""

    def start(self, total: int, done: int, members: int = 1) -> None:
        """Create the bar at ``done`` of ``total`` steps for ``members`` runs."""
        super().start(total, done)
        self.members = members

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
