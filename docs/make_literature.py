"""The tables and figures of docs/literature.md, from the sweeps its commands train.

    python docs/make_literature.py [--runs-dir runs] [--train]

Each study is a list of sweeps (the commands docs/literature.md shows, 100 seeds at 10,000
steps; Lucic 2018's 24 random recipes per loss, 10 seeds); with ``--train`` the missing ones are
trained first (about 40 minutes on the project's 2-core machine). The script reads them through
the Python API (``gancurve.load``), prints each study's table as Markdown, and writes its figure
to docs/assets/.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import gancurve as gc
from gancurve.sweeps.compare import bootstrap_median_interval
from gancurve.sweeps.summary import wilson_interval

ASSETS = Path(__file__).parent / "assets"
SEEDS = "100"
#: The quality goal of the recipes issue, met by one member.
GOAL = {"w1": 0.01, "residual": 0.01, "in_bounds": 0.99}
#: Bootstrap resamples for the intervals of a mean.
RESAMPLES = 10_000


@dataclass(frozen=True)
class Study:
    """A sweep (or grid) to train: its name and its options beside ``--seeds``."""

    name: str
    options: tuple[str, ...]


DIRAC = (
    Study("dirac-plain", ("--artist", "dirac", "--loss", "minimax,non-saturating")),
    Study("dirac-noise", ("--artist", "dirac", "--instance-noise", "0.05,0.2")),
    Study("dirac-r1", ("--artist", "dirac", "--r1", "1,10")),
    Study("dirac-wgan", ("--artist", "dirac", "--loss", "wasserstein-gp", "--d-steps", "5",
                         "--betas", "0.5,0.9")),
    Study("dirac-sgd", ("--artist", "dirac", "--optimizer", "sgd", "--lr-g", "0.01", "--lr-d", "0.01",
                        "--r1", "0,10", "--instance-noise", "0,0.2")),
)  # fmt: skip
#: The phase portraits: one run each (seed 1), its metrics logged every 10 steps.
PORTRAITS = (
    Study("portrait-minimax", ()),
    Study("portrait-wgan-gp", ("--loss", "wasserstein-gp", "--d-steps", "5", "--betas", "0.5,0.9")),
    Study("portrait-noise", ("--instance-noise", "0.2")),
    Study("portrait-r1", ("--r1", "10")),
    Study("portrait-sgd", ("--optimizer", "sgd", "--lr-g", "0.01", "--lr-d", "0.01")),
    Study("portrait-sgd-r1", ("--optimizer", "sgd", "--lr-g", "0.01", "--lr-d", "0.01", "--r1", "10")),
)
PORTRAIT_CADENCE = ("--artist", "dirac", "--seed", "1", "--log-every", "10", "--eval-every", "10")
MODES = (
    Study("modes8", ("--artist", "parabola-modes", "--modes", "8", "--recipe", "tutorial,best")),
    Study("modes8-loss", ("--artist", "parabola-modes", "--modes", "8",
                          "--loss", "minimax,non-saturating,least-squares,hinge")),
    Study("modes8-lr", ("--artist", "parabola-modes", "--modes", "8", "--recipe", "best",
                        "--lr-g", "2e-4,4e-4,8e-4", "--lr-d", "2e-4,8e-4")),
)  # fmt: skip
GOAL_STUDIES = (
    Study("q-prior", ("--recipe", "best", "--prior", "normal,uniform", "--ema", "0,0.999")),
    Study("q-late", ("--recipe", "best", "--prior", "uniform", "--ema", "0.999", "--ema-start", "0.5",
                     "--lr-schedule", "linear-decay,cosine")),
    Study("q-cos", ("--recipe", "best", "--lr-schedule", "linear-decay,cosine", "--warmup", "0,500")),
    Study("q-h256", ("--recipe", "best", "--prior", "uniform", "--hidden", "256", "--ema", "0.999")),
    Study("ds0", ("--recipe", "best", "--decay-start", "0", "--ema", "0,0.999")),
    Study("ds25", ("--recipe", "best", "--decay-start", "0.25", "--ema", "0,0.999")),
)  # fmt: skip


#: Lucic et al. 2018's question: the best of k random recipes, per loss. The same 24 random
#: recipes (learning rates log-uniform on [1e-4, 2e-3], beta1 ~ U(0, 0.9), beta2 ~ U(0.9, 0.999),
#: a linear decay or none) are trained with each loss, 10 seeds each.
LUCIC_LOSSES = ("non-saturating", "minimax", "least-squares", "hinge")
LUCIC_RECIPES = 24
LUCIC_SEEDS = "10"
LUCIC_BUDGETS = (1, 2, 4, 8, 16)
LUCIC_DRAWS = 5_000


def lucic_recipes(folder: Path) -> list[Path]:
    """Write the 24 random recipes (seeded: always the same ones) as recipe files; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2018)
    paths = []
    for index in range(LUCIC_RECIPES):
        lr_g, lr_d = np.exp(rng.uniform(np.log(1e-4), np.log(2e-3), 2))
        beta1, beta2 = rng.uniform(0, 0.9), rng.uniform(0.9, 0.999)
        schedule = "linear-decay" if rng.random() < 0.5 else "constant"
        path = folder / f"r{index:02d}.toml"
        path.write_text(
            f"lr_g = {lr_g:.3g}\nlr_d = {lr_d:.3g}\nbetas = [{beta1:.3g}, {beta2:.4g}]\n"
            f'lr_schedule = "{schedule}"\n'
        )
        paths.append(path)
    return paths


def train_missing(runs: Path, studies: Sequence[Study]) -> None:
    """Train each study whose summary is not there yet, and the phase portraits' runs."""
    for study in studies:
        if not (runs / study.name / "summary.csv").is_file():
            gancurve("sweep", "--seeds", SEEDS, "--name", study.name, "--runs-dir", str(runs), "--json",
                     *study.options)  # fmt: skip
    recipes = ",".join(str(path) for path in lucic_recipes(runs / "lucic-recipes"))
    for loss in LUCIC_LOSSES:
        if not (runs / f"lucic-{loss}" / "summary.csv").is_file():
            gancurve("sweep", "--seeds", LUCIC_SEEDS, "--recipe", recipes, "--loss", loss,
                     "--name", f"lucic-{loss}", "--runs-dir", str(runs), "--json")  # fmt: skip
    for portrait in PORTRAITS:
        if not (runs / portrait.name / "checkpoint.safetensors").is_file():
            gancurve("train", "--name", portrait.name, "--runs-dir", str(runs), "--device", "cpu", "--json",
                     *PORTRAIT_CADENCE, *portrait.options)  # fmt: skip


def gancurve(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gancurve", *args], check=True, stdout=subprocess.DEVNULL)


def recipes_of(runs: Path, name: str) -> dict[str, gc.Sweep]:
    """A study's sweeps by label: a grid's recipes, or the one sweep."""
    study = gc.load(name, runs_dir=runs)
    if isinstance(study, gc.Grid):
        return dict(study.recipes)
    assert isinstance(study, gc.Sweep), f"{name} is not a sweep"
    return {name: study}


def rate(hits: int, trials: int) -> str:
    """``k/n (low–high%)`` with the 95% Wilson interval."""
    low, high = wilson_interval(hits, trials)
    return f"{hits}/{trials} ({100 * low:.0f}–{100 * high:.0f}%)"


def mean_interval(values: np.ndarray, seed: int = 0) -> str:
    """The mean with its 95% bootstrap interval."""
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(RESAMPLES, values.size), replace=True).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return f"{values.mean():.2f} ({low:.2f}–{high:.2f})"


def goal_met(summary: object) -> np.ndarray:
    """Per member: whether it meets all three parts of the quality goal."""
    table = summary  # a pandas DataFrame, one row per member
    return np.asarray(
        (table["w1"] <= GOAL["w1"]) & (table["residual"] <= GOAL["residual"])  # type: ignore[index]
        & (table["in_bounds"] >= GOAL["in_bounds"])  # type: ignore[index]
    )  # fmt: skip


def modes_table(runs: Path) -> list[tuple[str, np.ndarray]]:
    """Print the modes study's table; return (label, modes captured per seed) for the figure."""
    print("| recipe (8 modes on a line, 100 seeds) | modes captured: mean (95%) | range over seeds |"
          " seeds at 8 | high-quality share | reverse KL |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    counts = []
    for study in MODES:
        for label, sweep in recipes_of(runs, study.name).items():
            table = sweep.summary
            captured = table["modes_captured"].to_numpy(dtype=float)
            print(
                f"| `{study.name}` {label} | {mean_interval(captured)} "
                f"| {captured.min():.0f}–{captured.max():.0f} | {int((captured == 8).sum())} "
                f"| {table['high_quality'].mean():.3f} | {table['mode_kl'].mean():.3f} |"
            )
            counts.append((f"{study.name} {label}", captured))
    return counts


def modes_figure(counts: list[tuple[str, np.ndarray]]) -> Path:
    """How many modes each seed captured, one row per recipe."""
    figure = Figure(figsize=(9, 0.38 * len(counts) + 1.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for row, (_, captured) in enumerate(counts):
        shares = np.bincount(captured.astype(int), minlength=9)[1:] / captured.size
        for modes, share in enumerate(shares, start=1):
            if share:
                axes.scatter(modes, row, s=900 * share, color="#1F77B4", alpha=0.75, lw=0)
        axes.plot(captured.mean(), row, "|", color="black", ms=14, mew=2)
    axes.set_yticks(range(len(counts)), [label for label, _ in counts], fontsize=8)
    axes.invert_yaxis()
    axes.set_xticks(range(1, 9))
    axes.set_xlim(0.5, 8.5)
    axes.set_xlabel("modes captured of 8 (disc area: share of the 100 seeds; bar: the mean)")
    axes.set_title("One plain-GAN baseline: modes captured, by recipe and seed", weight="bold")
    output = ASSETS / "literature_modes.png"
    figure.savefig(output)
    return output


def swings(sweep: gc.Sweep, column: str) -> np.ndarray:
    """Per member: the standard deviation of a logged column over the second half of training
    (its evaluations every 500 steps): how much it still moves once the approach is over."""
    values = []
    for seed in sweep.summary["seed"]:
        metrics = sweep.member(int(seed)).metrics.dropna(subset=[column])
        half = metrics[metrics["step"] > metrics["step"].max() / 2]
        values.append(float(half[column].std()))
    return np.array(values)


def dirac_table(runs: Path) -> None:
    """Print the Dirac study's table."""
    print("| recipe (`--artist dirac`, 100 seeds) | G at the point (W1 ≤ 0.05) | W1 median | G's mean: median"
          " \\|â − 1.5\\| | G's spread | G's swing | D's slope ‖∇ₓD‖ median | D at rest (slope ≤ 0.05) |"
          " D's swing |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for study in DIRAC:
        for label, sweep in recipes_of(runs, study.name).items():
            table = sweep.summary
            near = int((table["w1"] <= 0.05).sum())
            slope = table["d_slope_real"].to_numpy(dtype=float)
            rest = int((slope <= 0.05).sum())
            g_swing, d_swing = swings(sweep, "a_offset"), swings(sweep, "d_slope_a")
            print(
                f"| `{study.name}` {label} | {rate(near, len(table))} | {table['w1'].median():.4f} "
                f"| {table['a_offset'].abs().median():.4f} | {table['spread'].median():.4f} "
                f"| {np.median(g_swing):.4f} | {np.median(slope):.3f} | {rate(rest, len(table))} "
                f"| {np.median(d_swing):.3f} |"
            )


#: The paired comparisons of the Dirac study: each method against the plain GAN, seed by seed.
DIRAC_PAIRS = (
    ("dirac-plain/loss-minimax", "dirac-noise/instance-noise-0.2"),
    ("dirac-plain/loss-minimax", "dirac-r1/r1-1e01"),
    ("dirac-plain/loss-minimax", "dirac-wgan"),
    ("dirac-sgd/r1-0_instance-noise-0", "dirac-sgd/r1-1e01_instance-noise-0"),
)


def dirac_pairs(runs: Path) -> None:
    """Print the paired differences (method − plain) of D's slope and G's swing, with the 95%
    paired bootstrap interval of their median."""
    print("| method − plain GAN (same seeds) | D's slope ‖∇ₓD‖: median difference (95%) |"
          " G's swing: median difference (95%) |")  # fmt: skip
    print("| --- | ---: | ---: |")
    for plain_name, method_name in DIRAC_PAIRS:
        plain, method = gc.load(plain_name, runs_dir=runs), gc.load(method_name, runs_dir=runs)
        assert isinstance(plain, gc.Sweep) and isinstance(method, gc.Sweep)
        cells = []
        for differences in (
            method.summary["d_slope_real"].to_numpy() - plain.summary["d_slope_real"].to_numpy(),
            swings(method, "a_offset") - swings(plain, "a_offset"),
        ):
            low, high = bootstrap_median_interval(differences)
            cells.append(f"{np.median(differences):+.4f} ({low:+.4f}…{high:+.4f})")
        print(f"| `{method_name}` − `{plain_name}` | {cells[0]} | {cells[1]} |")


def phase_portrait(runs: Path) -> Path:
    """G's offset from the point against D's slope along the family, every 10 steps of one run."""
    columns = 3
    rows = -(-len(PORTRAITS) // columns)
    figure = Figure(figsize=(4 * columns, 3.3 * rows), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.subplots(rows, columns, squeeze=False)
    for axes, portrait in zip(grid.flat, PORTRAITS, strict=False):
        run = gc.load(portrait.name, runs_dir=runs)
        assert isinstance(run, gc.Run), f"{portrait.name} is not a run"
        metrics = run.metrics.dropna(subset=["a_offset", "d_slope_a"])
        late = metrics[metrics["step"] > 1000]  # after the first approach, which spans 20x the scale
        x, y = late["a_offset"].to_numpy(), late["d_slope_a"].to_numpy()
        axes.plot(x, y, "-", color="#999999", lw=0.4)
        axes.scatter(x, y, c=late["step"], cmap="viridis", s=3, zorder=3, vmin=1000, vmax=10000)
        axes.plot(x[-1:], y[-1:], "o", mfc="none", mec="red", ms=9, zorder=4)
        axes.axhline(0, color="black", lw=0.5)
        axes.axvline(0, color="black", lw=0.5)
        axes.set_xlim(-0.06, 0.06)
        axes.set_ylim(-1.2, 1.2)
        options = " ".join(portrait.options) or "minimax, Adam"
        axes.set_title(f"{portrait.name.removeprefix('portrait-')}: {options}", fontsize=9)
        axes.set_xlabel("G: mean â − 1.5", fontsize=8)
        axes.set_ylabel("D: slope dl/da at the point", fontsize=8)
    for axes in grid.flat[len(PORTRAITS) :]:
        axes.set_visible(False)
    figure.suptitle(
        "The Dirac-GAN's phase portrait, seed 1, steps 1,000–10,000 (colour: step; red ring: the end)",
        weight="bold",
    )
    output = ASSETS / "literature_dirac.png"
    figure.savefig(output)
    return output


def lucic_table(runs: Path) -> Path:
    """Print, per loss, the median W1 (over the seeds) of the best of k random recipes, for each
    budget k, by a bootstrap over the 24 trained recipes (the same draws of recipes for every loss:
    paired); and how often each loss's best is at least as good as the non-saturating loss's.
    Write the figure."""
    pools = {}
    for loss in LUCIC_LOSSES:
        recipes = recipes_of(runs, f"lucic-{loss}")
        pools[loss] = np.array([recipes[label].summary["w1"].median() for label in sorted(recipes)])
    rng = np.random.default_rng(0)
    draws = {k: rng.integers(0, LUCIC_RECIPES, size=(LUCIC_DRAWS, k)) for k in LUCIC_BUDGETS}
    best = {loss: {k: pool[draws[k]].min(axis=1) for k in LUCIC_BUDGETS} for loss, pool in pools.items()}
    print(
        "| loss | "
        + " | ".join(f"best of {k}" for k in LUCIC_BUDGETS)
        + " | as good as non-saturating (k = 1 / 16) |"
    )
    print("| --- |" + " ---: |" * (len(LUCIC_BUDGETS) + 1))
    reference = best["non-saturating"]
    for loss in LUCIC_LOSSES:
        cells = []
        for k in LUCIC_BUDGETS:
            low, middle, high = np.percentile(best[loss][k], [5, 50, 95])
            cells.append(f"{middle:.4f} ({low:.4f}–{high:.4f})")
        ties = [float(np.mean(best[loss][k] <= reference[k])) for k in (1, LUCIC_BUDGETS[-1])]
        print(f"| {loss} | " + " | ".join(cells) + f" | {ties[0]:.0%} / {ties[1]:.0%} |")
    figure = Figure(figsize=(7, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for loss in LUCIC_LOSSES:
        bands = np.array([np.percentile(best[loss][k], [5, 50, 95]) for k in LUCIC_BUDGETS])
        line = axes.plot(LUCIC_BUDGETS, bands[:, 1], "o-", label=loss)[0]
        axes.fill_between(LUCIC_BUDGETS, bands[:, 0], bands[:, 2], color=line.get_color(), alpha=0.12, lw=0)
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xticks(list(LUCIC_BUDGETS), [str(k) for k in LUCIC_BUDGETS])
    axes.set_xlabel("budget: random recipes tried (learning rates, betas, schedule)")
    axes.set_ylabel("W1 of the best one (median over 10 seeds)")
    axes.set_title("Best of k random recipes, by loss (median; 5–95% of draws)", weight="bold")
    axes.legend(fontsize=8)
    output = ASSETS / "literature_lucic.png"
    figure.savefig(output)
    return output


def goal_table(runs: Path) -> None:
    """Print the quality goal's table: how many seeds meet all three parts."""
    print("| recipe (100 seeds, 10,000 steps) | goal met (95% Wilson) | W1 median | W1 ≤ 0.01 |"
          " residual ≤ 0.01 |"
          " in bounds ≥ 0.99 |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for study in GOAL_STUDIES:
        for label, sweep in recipes_of(runs, study.name).items():
            table = sweep.summary
            print(
                f"| `{study.name}` {label} | {rate(int(goal_met(table).sum()), len(table))} "
                f"| {table['w1'].median():.4f} | {int((table['w1'] <= GOAL['w1']).sum())} "
                f"| {int((table['residual'] <= GOAL['residual']).sum())} "
                f"| {int((table['in_bounds'] >= GOAL['in_bounds']).sum())} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    parser.add_argument("--train", action="store_true", help="train the sweeps that are missing first")
    args = parser.parse_args()
    if args.train:
        train_missing(args.runs_dir, (*DIRAC, *MODES, *GOAL_STUDIES))
    print("## Mescheder 2018 on --artist dirac\n")
    dirac_table(args.runs_dir)
    dirac_pairs(args.runs_dir)
    print(phase_portrait(args.runs_dir), "\n")
    print("## The plain GAN's mode count\n")
    print(modes_figure(modes_table(args.runs_dir)), "\n")
    print("## Lucic 2018: the best of k random recipes\n")
    print(lucic_table(args.runs_dir), "\n")
    print("## The quality goal\n")
    goal_table(args.runs_dir)


if __name__ == "__main__":
    main()
