"""``gancurve sweep``: train many seeds of one recipe at once, then read the outcome as a rate."""

from __future__ import annotations

import shlex
from dataclasses import asdict

from rich.table import Table

from gancurve.api import sweep_run
from gancurve.commands.evaluate import VERDICT_STYLES
from gancurve.console import err, out, print_json
from gancurve.core.metrics import POINT_TOLERANCE
from gancurve.store.rundir import RunDir
from gancurve.store.sweeps import resume_command
from gancurve.sweeps.grid import RecipeOutcome
from gancurve.sweeps.opening import SweepRequest
from gancurve.sweeps.session import SweepOutcome
from gancurve.training.signals import StopFlag, exit_code_for


def sweep_command(request: SweepRequest, stop: StopFlag, as_json: bool, cluster: str | None = None) -> int:
    """Run the sweep (on the Dask cluster ``cluster`` names, when given: ``local:N``,
    ``tcp://host:port``); return the exit code (0, or 130/143 when stopped by a signal)."""
    spec = None
    if cluster is not None:
        from gancurve.sweeps.cluster import cluster_spec

        spec = cluster_spec(cluster)
    swept = sweep_run(request, stop, shown=not as_json, cluster=spec)
    outcome, seconds, model_steps = swept.outcome, swept.seconds, swept.model_steps
    if as_json:
        print_json(_json(outcome, seconds))
    elif outcome.aggregate is not None:
        _print_outcome(outcome, seconds, model_steps)
    if outcome.stopped_late:
        err.print("The stop request came once the summary was written: the sweep is complete.", markup=False)
    if outcome.interrupted_by is not None:
        trained = outcome.step >= swept.steps
        members = swept.members
        if spec is not None and outcome.unsaved:  # (members come back whole, a shard at a time)
            written = members - outcome.unsaved
            what = f"{written:,} of {members:,} members are trained and written; the others train on resume"
        elif spec is not None:
            what = "every member is trained and written, the summary is not written yet"
        elif not trained:
            what = "each member continues from its last checkpoint"
        elif outcome.unsaved:  # the stop cut the saving short: those members train those steps again
            what = (
                f"every member is trained, {members - outcome.unsaved:,} of {members:,} saved (the others "
                "continue from their last checkpoint); the summary is not written yet"
            )
        else:
            what = "every member is trained and saved, the summary is not written yet"
        err.print(
            f"Stopped{'' if spec else f' at step {outcome.step}'}: {what}. Finish with:\n"
            f"  {resume_command(outcome.sweep.path, swept.steps)}"
            + (f" --cluster {shlex.quote(cluster)}" if cluster is not None else ""),
            markup=False,
            soft_wrap=True,
        )
        return exit_code_for(outcome.interrupted_by)
    return 0


def _json(outcome: SweepOutcome, seconds: float) -> dict[str, object]:
    if outcome.recipes is not None:
        return {
            "grid": outcome.sweep.name,
            "path": str(outcome.sweep.path),
            "device": outcome.device,
            "step": outcome.step,
            "seconds": round(seconds, 3),
            "interrupted": outcome.interrupted_by is not None,
            "recipes": [asdict(recipe) for recipe in outcome.recipes],
        }
    return {
        "sweep": outcome.sweep.name,
        "path": str(outcome.sweep.path),
        "device": outcome.device,
        "step": outcome.step,
        "seconds": round(seconds, 3),
        "interrupted": outcome.interrupted_by is not None,
        "aggregate": outcome.aggregate,
        "members": outcome.rows,
    }


def _print_outcome(outcome: SweepOutcome, seconds: float, model_steps: int) -> None:
    if outcome.recipes is not None:
        _print_grid(outcome, outcome.recipes, seconds, model_steps)
        return
    summary = outcome.aggregate
    assert summary is not None  # (printed only when the summary was written)
    members = summary["members"]
    low, high = summary["success_rate_95"]
    speed = f"{model_steps / seconds:,.0f} model-steps/s" if seconds > 0 and model_steps else "-"
    table = Table(title=f"Sweep {outcome.sweep.name} — {members} seeds at step {outcome.step:,}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("time", f"{seconds:.1f} s ({speed}, {outcome.device})")
    rate = f"{summary['success_rate']:.0%} (95%: {low:.0%}–{high:.0%})"
    table.add_row("converged", f"{summary['converged']} of {members} = {rate}")
    w1 = " / ".join(_number(summary[key]) for key in ("w1_median", "w1_p90", "w1_max"))
    table.add_row("W1 median / p90 / max", w1)
    table.add_row("residual (mean)", _number(summary["residual_mean"]))
    table.add_row("in bounds (mean)", _number(summary["in_bounds_mean"]))
    counts = f"{summary['still_learning']} / {summary['collapsed']} / {summary['diverged']}"
    table.add_row("still learning / collapsed / diverged", counts)
    for key in ("dropped_modes", "ignores_condition"):
        if summary.get(key):
            table.add_row(key.replace("_", " "), str(summary[key]))
    if "near_point" in summary:  # a point law: how many end at the point
        near_low, near_high = summary["near_point_95"]
        rate = f"{summary['near_point_rate']:.0%} (95%: {near_low:.0%}–{near_high:.0%})"
        near = f"{summary['near_point']} of {members} = {rate}"
        table.add_row(f"mean |â − point| ≤ {POINT_TOLERANCE}", near)
    if "d_slope_real_median" in summary:
        table.add_row("D's slope at the real painting (median)", _number(summary["d_slope_real_median"]))
    out.print(table)
    worst = Table(title="The worst seeds")
    for column in ("seed", "run", "verdict", "W1"):
        worst.add_column(column, justify="right" if column in ("seed", "W1") else "left")
    for row in summary["worst"]:
        style = VERDICT_STYLES.get(row["verdict"], "")
        worst.add_row(str(row["seed"]), row["run"], f"[{style}]{row['verdict']}[/]", _number(row["w1"]))
    out.print(worst)
    # The worst seed that has something to show (one that blew up before its first save has not).
    shown = [
        row for row in summary["worst"] if RunDir(outcome.sweep.path / row["run"]).snapshots_path.is_file()
    ]
    if shown:
        run = f"{outcome.sweep.name}/{shown[0]['run']}"
        out.print(
            f"See the worst one learn: gancurve animate --run {shlex.quote(run)}",
            markup=False,
            soft_wrap=True,
        )
    _print_where_and_warnings("Sweep", outcome)


def _print_grid(
    outcome: SweepOutcome, recipes: list[RecipeOutcome], seconds: float, model_steps: int
) -> None:
    """Each recipe's outcome, then each recipe against the first, seed by seed: two tables, so
    that both fit 80 columns (a recipe's label wraps at its spaces rather than lose a number)."""
    seeds = recipes[0].aggregate["members"]
    speed = f"{model_steps / seconds:,.0f} model-steps/s" if seconds > 0 and model_steps else "-"
    table = Table(
        title=f"Grid {outcome.sweep.name}: {len(recipes)} recipes × {seeds} seeds, step {outcome.step:,}",
        caption=f"{seconds:.1f} s ({speed}, {outcome.device})",
    )
    _recipe_column(table)
    for column in ("converged", "W1 median", "residual", "in bounds"):
        table.add_column(column, justify="right", no_wrap=True)
    for recipe in recipes:
        a = recipe.aggregate
        numbers = [_number(a[key]) for key in ("w1_median", "residual_mean", "in_bounds_mean")]
        table.add_row(recipe.recipe, f"{a['converged']}/{a['members']}", *numbers)
    out.print(table)
    if len(recipes) > 1:
        versus = Table(title="Against the first recipe, seed by seed")
        _recipe_column(versus)
        for column in ("ΔW1", "95% interval", "better"):
            versus.add_column(column, justify="right", no_wrap=True)
        for recipe in recipes[1:]:
            paired = recipe.versus_first
            assert paired is not None  # every recipe but the first has one
            versus.add_row(
                recipe.recipe,
                f"{paired.median:+.4f}",
                f"{paired.low:+.3f} to {paired.high:+.3f}",
                f"{paired.b_better}/{paired.seeds}",
            )
        out.print(versus)
        out.print(
            f"ΔW1: the median over the seeds of (this recipe − the first, {recipes[0].recipe}), with "
            "its 95% bootstrap interval; better: on how many seeds this recipe's W1 is lower.",
            markup=False,
        )
    out.print(
        f"Each recipe is an ordinary sweep: gancurve plot {outcome.sweep.name}/{recipes[0].sweep}",
        markup=False,
        soft_wrap=True,
    )
    _print_where_and_warnings("Grid", outcome)


def _recipe_column(table: Table) -> None:
    """A grid table's first column: the recipe's label, wrapped (never cut) when space is short."""
    table.add_column("recipe", overflow="fold")


def _print_where_and_warnings(kind: str, outcome: SweepOutcome) -> None:
    """Where the sweep or grid lives (stdout), then what went wrong on the way (stderr)."""
    out.print(f"{kind} directory: {outcome.sweep.path}", markup=False, soft_wrap=True)
    for warning in outcome.warnings:
        err.print(f"Warning: {warning}", style="yellow", markup=False, soft_wrap=True)


def _number(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return "∞" if value == float("inf") else f"{value:.4f}"
