"""``gancurve train``: run the session with a progress bar, then summarise."""

from __future__ import annotations

import shlex

from rich.table import Table

from gancurve.api import train_run
from gancurve.console import err, out, print_json
from gancurve.core.config import TrainConfig
from gancurve.core.objectives import OBJECTIVES
from gancurve.core.recipes import describe
from gancurve.training.resume import TrainRequest
from gancurve.training.session import Outcome
from gancurve.training.signals import StopFlag, exit_code_for


def train_command(request: TrainRequest, stop: StopFlag, as_json: bool) -> int:
    """Train as requested; return the exit code (0, or 130/143 when stopped by a signal).

    ``stop`` is set by Ctrl-C or SIGTERM from the moment the command started (see ``cli``), so a
    signal during start-up is handled here, between steps, never inside an import.
    """
    trained = train_run(request, stop, shown=not as_json)
    outcome = trained.outcome
    done = outcome.step - trained.first_step
    summary = _summary(outcome, trained.config, trained.device, done, trained.seconds)
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)
    if outcome.interrupted_by is not None:
        _print_resume_hint(request, outcome, trained.steps)
        return exit_code_for(outcome.interrupted_by)
    return 0


def _summary(
    outcome: Outcome, config: TrainConfig, device: str, steps_done: int, seconds: float
) -> dict[str, object]:
    return {
        "run": outcome.run.name,
        "path": str(outcome.run.path),
        "recipe": describe(config),
        "loss": config.loss,
        "device": device,
        "step": outcome.step,
        "steps_this_session": steps_done,
        "seconds": round(seconds, 3),
        "interrupted": outcome.interrupted_by is not None,
        "final": outcome.last_row,
        "warnings": outcome.warnings,
    }


def _print_summary(summary: dict[str, object]) -> None:
    final = summary["final"]
    assert isinstance(final, dict)
    steps_done = summary["steps_this_session"]
    assert isinstance(steps_done, int)
    seconds = float(summary["seconds"])  # type: ignore[arg-type]
    table = Table(
        title=f"Run {summary['run']} — step {summary['step']}",
        caption=str(summary["recipe"]),
        show_header=True,
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("at equilibrium", justify="right", style="dim")
    speed = f"{steps_done / seconds:,.0f} steps/s" if seconds > 0 and steps_done else "-"
    table.add_row("time", f"{seconds:.1f} s ({speed}, {summary['device']})", "")
    if final:
        objective = OBJECTIVES[str(summary["loss"])]
        d_loss = objective.d_loss_at_equilibrium
        table.add_row(objective.view, f"{final['d_accuracy']:.3f}", f"{objective.view_at_equilibrium:g}")
        table.add_row("D score", f"{final['d_score']:.3f}", "-" if d_loss is None else f"{0.0 - d_loss:.2f}")
        for key, label, ideal in FINAL_ROWS:
            if key in final:
                table.add_row(label, f"{final[key]:.3f}", ideal)
    out.print(table)
    out.print(f"Run directory: {summary['path']}", markup=False, soft_wrap=True)


#: The quality rows of the final table, when the run measured them: (key, label, ideal).
FINAL_ROWS = (
    ("w1", "W1 to the artist", "0"),
    ("in_bounds", "in bounds", "1"),
    ("modes_captured", "modes captured", "all"),
    ("w1_label_0", "W1, label 0 rows", "0"),
    ("w1_label_1", "W1, label 1 rows", "0"),
    ("a_error", "|â − a| mean", "0"),
)


def _print_resume_hint(request: TrainRequest, outcome: Outcome, steps: int) -> None:
    run = outcome.run.path
    if run.parent == request.runs_dir:  # named in the runs directory
        where = f"--name {run.name}" + (
            f" --runs-dir {shlex.quote(str(request.runs_dir))}" if str(request.runs_dir) != "runs" else ""
        )
    else:  # reached by a path: say the path (a name would be looked up in the runs directory)
        path = str(run) if "/" in str(run) else f"./{run}"
        where = f"--name {shlex.quote(path)}"
    err.print(
        f"Stopped at step {outcome.step}; the checkpoint is saved. Continue with:\n"
        f"  gancurve train --resume {where} --steps {steps} --device {request.device}",
        markup=False,
        soft_wrap=True,
    )
