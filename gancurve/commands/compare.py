"""``gancurve compare``: recipe B against recipe A, seed by seed."""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from rich.table import Table

from gancurve.console import out, print_json
from gancurve.core.config import TrainConfig
from gancurve.store.sweeps import SweepDir, find_sweep
from gancurve.sweeps.compare import LOWER_IS_BETTER, median_of, paired_difference, paired_rows, paired_seeds
from gancurve.sweeps.seeds import describe
from gancurve.training.cadence import Cadence


def compare_command(runs_dir: Path, first: str, second: str, metric: str, as_json: bool) -> None:
    """Compare two finished sweeps (A, then B) by the paired difference of ``metric``.

    Everything shown is read on the seeds both sweeps trained, so the table's medians are those
    of the members the paired difference pairs (a sweep's other seeds would tilt them).
    """
    a, b = find_sweep(runs_dir, first), find_sweep(runs_dir, second)
    a_summary, b_summary = a.read_summary(), b.read_summary()
    a_all, b_all = a_summary["members"], b_summary["members"]
    result = paired_difference(a_all, b_all, metric)
    seeds = paired_seeds(a_all, b_all)
    a_rows, b_rows = paired_rows(a_all, seeds), paired_rows(b_all, seeds)
    changes = _recipe_changes(a, b, a_rows, b_rows)
    sides = {"a": a_rows, "b": b_rows}
    if as_json:
        aggregates = {"a_aggregate": a_summary["aggregate"], "b_aggregate": b_summary["aggregate"]}
        paired = {
            "paired_seeds": sorted(seeds),
            **{f"{side}_converged": _converged(rows) for side, rows in sides.items()},
            **{f"{side}_median": median_of(rows, metric) for side, rows in sides.items()},
        }
        print_json({"a": a.name, "b": b.name, "changes": changes, **asdict(result), **paired, **aggregates})
        return
    better = "lower" if LOWER_IS_BETTER[metric] else "higher"
    table = Table(title=f"B = {b.name} against A = {a.name}")
    table.add_column("")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_row("converged", *(f"{_converged(rows)} of {len(rows)}" for rows in sides.values()))
    table.add_row(f"{metric} median", *(_number(median_of(rows, metric)) for rows in sides.values()))
    out.print(table)
    out.print(_pairing(seeds, len(a_all), len(b_all)), markup=False, soft_wrap=True)
    out.print(
        f"What differs: {'; '.join(changes) if changes else 'nothing in the recipe, steps or cadence'}",
        markup=False,
        soft_wrap=True,
    )
    out.print(
        f"Paired {metric} difference B − A over {result.seeds} seeds: median {result.median:+.4f} "
        f"(95% bootstrap interval {result.low:+.4f} to {result.high:+.4f}); B better on "
        f"{result.b_better} of {result.seeds} seeds, A on {result.a_better} ({better} {metric} is better).",
        markup=False,
        soft_wrap=True,
    )


def _pairing(seeds: list[int], a_count: int, b_count: int) -> str:
    """Which seeds were paired, and, when the sweeps' seeds differ, what was left out."""
    which = describe(tuple(sorted(seeds)))
    if len(seeds) == a_count == b_count:
        return f"Paired on all {len(seeds)} seeds ({which})."
    return (
        f"Paired on seeds {which} only ({len(seeds)} of A's {a_count} and of B's {b_count}): "
        "the other seeds are left out of the table and the difference."
    )


def _converged(rows: list[dict[str, Any]]) -> int:
    return sum(row["verdict"] == "converged" for row in rows)


def _number(value: float) -> str:
    if math.isnan(value):
        return "-"
    return ("∞" if value > 0 else "-∞") if math.isinf(value) else f"{value:.4f}"


def _step(rows: list[dict[str, Any]]) -> int | None:
    """The step the members were scored at (all of a sweep's share it)."""
    return max((row["step"] for row in rows if isinstance(row.get("step"), int)), default=None)


def _recipe_changes(
    a: SweepDir, b: SweepDir, a_rows: list[dict[str, Any]], b_rows: list[dict[str, Any]]
) -> list[str]:
    """How B differs from A (the seed aside): its recipe, then how long it trained (the members'
    step), how often it measured (the cadence) and on which device, all of which move the metrics."""
    facts, configs = [], []
    for sweep in (a, b):
        try:
            facts.append(sweep.read_facts())
            configs.append(TrainConfig.from_dict(facts[-1]["config"]))
        except (KeyError, TypeError, ValueError):
            return ["(a sweep.json has no readable config)"]
    changes = [change for change in configs[0].differences(configs[1]) if not change.startswith("seed:")]
    a_step, b_step = (_step(rows) for rows in (a_rows, b_rows))
    if a_step != b_step:
        changes.append(f"steps: {a_step} -> {b_step}")
    cadences: list[dict[str, Any]] = [
        cadence if isinstance(cadence := fact.get("cadence"), dict) else {} for fact in facts
    ]
    for field in fields(Cadence):
        if field.name != "steps" and cadences[0].get(field.name) != cadences[1].get(field.name):
            changes.append(f"{field.name}: {cadences[0].get(field.name)} -> {cadences[1].get(field.name)}")
    if facts[0].get("device") != facts[1].get("device"):
        changes.append(f"device: {facts[0].get('device')} -> {facts[1].get('device')}")
    return changes
