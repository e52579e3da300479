"""``gancurve compare``: recipe B against recipe A, seed by seed."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from gancurve.console import out, print_json
from gancurve.core.config import TrainConfig
from gancurve.sweep.compare import LOWER_IS_BETTER, paired_difference
from gancurve.sweep.store import SweepDir, find_sweep


def compare_command(runs_dir: Path, first: str, second: str, metric: str, as_json: bool) -> None:
    """Compare two finished sweeps (A, then B) by the paired difference of ``metric``."""
    a, b = find_sweep(runs_dir, first), find_sweep(runs_dir, second)
    a_summary, b_summary = a.read_summary(), b.read_summary()
    result = paired_difference(a_summary["members"], b_summary["members"], metric)
    changes = _recipe_changes(a, b)
    if as_json:
        aggregates = {"a_aggregate": a_summary["aggregate"], "b_aggregate": b_summary["aggregate"]}
        print_json({"a": a.name, "b": b.name, "changes": changes, **asdict(result), **aggregates})
        return
    better = "lower" if LOWER_IS_BETTER[metric] else "higher"
    table = Table(title=f"B = {b.name} against A = {a.name}")
    table.add_column("")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    for label, key in (("converged", "converged"), (f"{metric} median", f"{metric}_median")):
        table.add_row(label, _cell(a_summary["aggregate"], key), _cell(b_summary["aggregate"], key))
    out.print(table)
    out.print(
        f"What differs: {'; '.join(changes) if changes else 'nothing in the recipe'}",
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


def _cell(aggregate: dict[str, Any], key: str) -> str:
    value = aggregate.get(key)
    if key == "converged":
        return f"{value} of {aggregate['members']}"
    return "-" if value is None else f"{value:.4f}"


def _recipe_changes(a: SweepDir, b: SweepDir) -> list[str]:
    """How B's recipe differs from A's (the seed aside)."""
    configs = []
    for sweep in (a, b):
        try:
            configs.append(TrainConfig.from_dict(sweep.read_facts()["config"]))
        except (KeyError, TypeError, ValueError):
            return ["(a sweep.json has no readable config)"]
    return [change for change in configs[0].differences(configs[1]) if not change.startswith("seed:")]
