"""The "quality vs. training budget" figure of docs/recipes.md (docs/assets/budget.png).

    python docs/make_budget_figure.py [--runs-dir runs] [--seeds 100] [--train]

One sweep per recipe and budget, named ``RECIPE-STEPS`` (``tutorial-5000``, ``best-40000``, …):
each point is a recipe trained for that many steps — its schedule fitted to that budget — not a
moment of a longer run. With ``--train`` the missing sweeps are trained first (the commands are
the ones docs/recipes.md shows; about 25 minutes on the project's 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

ASSETS = Path(__file__).parent / "assets"
RECIPES = ("tutorial", "best")
BUDGETS = (5_000, 10_000, 20_000, 40_000)
COLOURS = {"tutorial": "#FF7F0E", "best": "#1F77B4"}


def sweep_name(recipe: str, steps: int) -> str:
    return f"{recipe}-{steps}"


def train_missing(runs: Path, seeds: int) -> None:
    for recipe in RECIPES:
        for steps in BUDGETS:
            if not (runs / sweep_name(recipe, steps) / "summary.json").is_file():
                subprocess.run(
                    [sys.executable, "-m", "gancurve", "sweep", "--seeds", str(seeds), "--recipe", recipe,
                     "--steps", str(steps), "--name", sweep_name(recipe, steps), "--runs-dir", str(runs),
                     "--json"],
                    check=True, stdout=subprocess.DEVNULL,
                )  # fmt: skip


def w1_quantiles(runs: Path, recipe: str) -> tuple[list[int], list[float], list[float]]:
    """Budgets with a finished sweep, and the median and p90 of its final W1."""
    budgets, medians, p90s = [], [], []
    for steps in BUDGETS:
        path = runs / sweep_name(recipe, steps) / "summary.json"
        if not path.is_file():
            continue
        aggregate = json.loads(path.read_text())["aggregate"]
        budgets.append(steps)
        medians.append(aggregate["w1_median"])
        p90s.append(aggregate["w1_p90"])
    return budgets, medians, p90s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--train", action="store_true", help="train the sweeps that are missing first")
    args = parser.parse_args()
    if args.train:
        train_missing(args.runs_dir, args.seeds)
    figure = Figure(figsize=(7, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for recipe in RECIPES:
        budgets, medians, p90s = w1_quantiles(args.runs_dir, recipe)
        if not budgets:
            continue
        axes.plot(budgets, medians, "o-", color=COLOURS[recipe], lw=2, label=f"{recipe}: median seed")
        axes.plot(budgets, p90s, "s--", color=COLOURS[recipe], lw=1, label=f"{recipe}: 90th percentile")
    axes.axhline(0.01, color="black", ls=":", lw=1, label="the goal: W1 ≤ 0.01")
    axes.axhspan(0.003, 0.006, color="grey", alpha=0.15, lw=0, label="the artist's own floor (n = 10,000)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.xaxis.set_minor_locator(NullLocator())
    axes.yaxis.set_minor_locator(NullLocator())
    axes.set_xticks(list(BUDGETS), [f"{b:,}" for b in BUDGETS])
    ticks = [0.003, 0.005, 0.01, 0.02, 0.05, 0.1]
    axes.set_yticks(ticks, [f"{tick:g}" for tick in ticks])
    axes.set_ylim(0.003, 0.1)
    axes.set_xlabel("training budget (steps; each recipe's schedule fitted to it)")
    axes.set_ylabel("final W1 of the 100 seeds (log scale)")
    axes.set_title("Quality vs. training budget", weight="bold")
    axes.legend(fontsize=8, frameon=True, framealpha=0.9, loc="lower left", ncol=2)
    output = ASSETS / "budget.png"
    figure.savefig(output)
    print(output)


if __name__ == "__main__":
    main()
