"""Grids: options given several values make one sweep of several recipes over the same seeds,
paired member by member, summarised recipe by recipe and compared with the first."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.console import out
from gancurve.errors import UsageError
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.rundir import RunDir
from gancurve.store.runs import is_run_name
from gancurve.sweeps.grid import GridPoint, expand, number_text

SMALL = ["--steps", "120", "--log-every", "20", "--snapshot-every", "40", "--eval-every", "60",
         "--checkpoint-every", "60"]  # fmt: skip


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 × 2 grid (loss × ema) over seeds 1-3, 120 steps."""
    runs = tmp_path_factory.mktemp("runs")
    code, stdout, stderr = run_cli("sweep", "--seeds", "3", "--loss", "minimax,hinge", "--ema", "0,0.9",
                                   "--name", "g", "--runs-dir", str(runs), "--json", *SMALL)  # fmt: skip
    assert code == 0, stderr
    assert [recipe["recipe"] for recipe in json.loads(stdout)["recipes"]] == [
        "loss=minimax ema=0",
        "loss=minimax ema=0.9",
        "loss=hinge ema=0",
        "loss=hinge ema=0.9",
    ]
    return runs / "g"


def test_the_grid_is_every_combination_first_axis_slowest() -> None:
    points = expand({"loss": ("minimax", "hinge"), "ema": (0.0, 0.999)})
    assert [p.values for p in points] == [
        {"loss": "minimax", "ema": 0.0}, {"loss": "minimax", "ema": 0.999},
        {"loss": "hinge", "ema": 0.0}, {"loss": "hinge", "ema": 0.999},
    ]  # fmt: skip
    assert GridPoint({"loss": "hinge", "lr_g": 0.0008}).slug == "loss-hinge_lr-g-0.0008"


def test_each_recipe_is_an_ordinary_sweep_with_its_own_config(grid: Path) -> None:
    recipes = json.loads((grid / "grid.json").read_text())["recipes"]
    assert [r["sweep"] for r in recipes] == ["loss-minimax_ema-0", "loss-minimax_ema-0.9", "loss-hinge_ema-0",
                                             "loss-hinge_ema-0.9"]  # fmt: skip
    for recipe in recipes:
        config = json.loads((grid / recipe["sweep"] / "sweep.json").read_text())["config"]
        assert (config["loss"], config["ema"]) == (recipe["values"]["loss"], recipe["values"]["ema"])
        assert sorted(p.name for p in (grid / recipe["sweep"]).glob("seed-*")) == [
            "seed-001",
            "seed-002",
            "seed-003",
        ]


def test_member_k_of_every_recipe_starts_alike_and_draws_alike(grid: Path) -> None:
    """The pairing: an EMA does not change training, so two recipes that differ only in it hold
    the very same weights; recipes with other losses differ, but drew exactly the same numbers."""
    for seed in ("seed-001", "seed-003"):
        plain, averaged, hinge = (
            load_checkpoint(RunDir(grid / name / seed)).state
            for name in ("loss-minimax_ema-0", "loss-minimax_ema-0.9", "loss-hinge_ema-0")
        )
        for network, weights in plain.weights.items():
            assert all(np.array_equal(weights[k], averaged.weights[network][k]) for k in weights)
        assert np.array_equal(plain.rng, hinge.rng)  # the same draws, the same number of them
        assert not np.array_equal(
            plain.weights["generator"]["net.2.bias"], hinge.weights["generator"]["net.2.bias"]
        )


def test_the_summary_compares_every_recipe_with_the_first_seed_by_seed(grid: Path) -> None:
    rows = list(csv.DictReader((grid / "summary.csv").open()))
    assert rows[0]["sweep"] == "loss-minimax_ema-0" and rows[0]["w1_vs_first_median"] == ""
    # An EMA leaves training alone but changes what is scored: the paired difference is measured.
    first = json.loads((grid / "loss-minimax_ema-0" / "summary.json").read_text())["members"]
    hinge = json.loads((grid / "loss-hinge_ema-0" / "summary.json").read_text())["members"]
    differences = sorted(b["w1"] - a["w1"] for a, b in zip(first, hinge, strict=True))
    assert float(rows[2]["w1_vs_first_median"]) == pytest.approx(differences[1], rel=1e-5)  # 3 seeds
    better = int(rows[2]["better_than_first"]) + int(rows[2]["worse_than_first"])
    assert better == 3


def test_readers_find_a_grids_recipes_and_members(grid: Path, tmp_path: Path) -> None:
    runs = str(grid.parent)
    code, _, stderr = run_cli("sample", "--run", "g/loss-hinge_ema-0/seed-2", "--runs-dir", runs, "-n", "2")
    assert code == 0, stderr
    recipes = ["g/loss-minimax_ema-0", "g/loss-hinge_ema-0"]
    code, stdout, stderr = run_cli("compare", *recipes, "--runs-dir", runs, "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["seeds"] == 3 and "loss: minimax -> hinge" in json.loads(stdout)["changes"]
    for name, output in (("g", tmp_path / "grid.png"), ("g/loss-hinge_ema-0.9", tmp_path / "sweep.png")):
        code, _, stderr = run_cli("plot", str(output), "--run", name, "--runs-dir", runs)
        assert code == 0 and output.stat().st_size > 10_000, stderr
    code, _, stderr = run_cli("compare", "g", "g/loss-hinge_ema-0", "--runs-dir", runs)
    assert code == 1 and "grid" in stderr


def test_a_grid_resumes_every_recipe(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    small = ["--log-every", "20", "--snapshot-every", "20", "--eval-every", "40", "--checkpoint-every", "40"]
    code, _, stderr = run_cli(
        "sweep", "--seeds", "2", "--r1", "0,1", "--steps", "40", "--name", "r", *runs, *small
    )
    assert code == 0, stderr
    code, _, stderr = run_cli("sweep", "--resume", "--name", "r", "--steps", "80", *runs, *small)
    assert code == 0, stderr
    for recipe in ("r1-0", "r1-1"):
        assert load_checkpoint(RunDir(tmp_path / "r" / recipe / "seed-002")).step == 80
    code, _, stderr = run_cli("sweep", "--resume", "--name", "r", "--steps", "120", "--r1", "0,2", *runs)
    assert code == 2 and "own recipes" in stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--loss", "minimax,cross-entropy"], "--loss must be one of minimax"), (["--ema", "0,1.5"], "decay"),
     (["--lr-g", "1e-4,x"], "'x' is not a number"), (["--loss", "hinge,hinge"], "twice")],
)  # fmt: skip
def test_bad_grid_values_are_one_line_and_exit_2(args: list[str], said: str, tmp_path: Path) -> None:
    code, _, stderr = run_cli("sweep", "--seeds", "2", *args, "--runs-dir", str(tmp_path))
    assert code == 2 and stderr.count("\n") == 1 and said in stderr, stderr
    assert not any(tmp_path.iterdir())


def test_a_grid_that_fails_to_start_leaves_nothing(tmp_path: Path) -> None:
    """Invalid hyperparameters in one recipe (a negative learning rate) are found before any
    directory is made."""
    code, _, stderr = run_cli("sweep", "--seeds", "2", "--lr-g", "1e-4,-1", "--runs-dir", str(tmp_path))
    assert code == 2 and "--lr-g" in stderr
    assert not any(tmp_path.iterdir())


def test_a_recipes_name_holds_every_digit_its_value_needs() -> None:
    """Two values that ``:g`` writes alike (0.0001 and 0.0001000001) name two sweeps, and a name
    reads back as its value; values that are one value are refused, never one shared directory."""
    assert GridPoint({"lr_g": 0.0001000001}).slug == "lr-g-0.0001000001"
    assert GridPoint({"lr_g": 0.0001, "ema": 0.0}).slug == "lr-g-0.0001_ema-0"  # as brief as before
    for value in (0.0001000001, 1 / 3, 1e20, 5e-324, 1234567.0, 0.1 + 0.2):
        text = number_text(value)
        assert float(text) == value and is_run_name(text), text
    with pytest.raises(UsageError, match="same recipe"):
        expand({"loss": ("hinge", "minimax", "hinge")})


def test_a_grid_of_values_close_together_keeps_each_recipes_members(tmp_path: Path) -> None:
    code, _, stderr = run_cli("sweep", "--seeds", "2", "--lr-g", "0.0001,0.0001000001", "--name", "g08",
                              "--runs-dir", str(tmp_path), "--steps", "40", "--eval-every", "40")  # fmt: skip
    assert code == 0, stderr
    recipes = json.loads((tmp_path / "g08" / "grid.json").read_text())["recipes"]
    assert [r["sweep"] for r in recipes] == ["lr-g-0.0001", "lr-g-0.0001000001"]
    for recipe, lr in zip(recipes, (0.0001, 0.0001000001), strict=True):
        sweep = tmp_path / "g08" / recipe["sweep"]
        assert json.loads((sweep / "sweep.json").read_text())["config"]["lr_g"] == lr
        assert load_checkpoint(RunDir(sweep / "seed-002")).config.lr_g == lr


@pytest.mark.parametrize(
    ("option", "values"), [("--lr-g", "1e-4,0.0001"), ("--ema", "0,0.0"), ("--r1", "1,2,1.0")]
)
def test_one_value_written_two_ways_is_refused(option: str, values: str, tmp_path: Path) -> None:
    """The duplicate check compares values, not their text."""
    code, _, stderr = run_cli("sweep", "--seeds", "2", option, values, "--steps", "40",
                              "--runs-dir", str(tmp_path))  # fmt: skip
    assert code == 2 and stderr.count("\n") == 1 and "twice" in stderr, stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("values", ["nan,nan", "1e-4,nan,nan", "nan,inf"])
def test_a_value_its_rule_refuses_is_named_before_any_recipe_is(values: str, tmp_path: Path) -> None:
    """NaN is no value twice (nan != nan): 'nan,nan' was 'the recipes lr_g=nan and lr_g=nan are
    the same recipe', not that a learning rate is a positive finite number."""
    code, _, stderr = run_cli("sweep", "--seeds", "2", "--lr-g", values, "--steps", "40",
                              "--runs-dir", str(tmp_path))  # fmt: skip
    assert code == 2 and stderr.count("\n") == 1, stderr
    assert "--lr-g must be a positive finite number, got nan" in stderr
    assert not any(tmp_path.iterdir())


def test_two_recipe_files_of_one_name_are_not_called_the_same_recipe(tmp_path: Path) -> None:
    """a/mine.toml and b/mine.toml differ but would share the directory recipe-mine.toml: that
    is what the refusal says (it said they were the same recipe); one file named by two paths
    is the same recipe."""
    for folder, lr in (("a", "2e-4"), ("b", "3e-4")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "mine.toml").write_text(f"lr_g = {lr}\n")
    runs = tmp_path / "runs"
    for recipes, said in (
        (f"{tmp_path / 'a' / 'mine.toml'},{tmp_path / 'b' / 'mine.toml'}", "rename one file"),
        (f"{tmp_path / 'a' / 'mine.toml'},{tmp_path / 'b' / '..' / 'a' / 'mine.toml'}", "the same recipe"),
    ):
        code, _, stderr = run_cli("sweep", "--seeds", "1", "--steps", "20", "--recipe", recipes,
                                  "--runs-dir", str(runs))  # fmt: skip
        assert code == 2 and stderr.count("\n") == 1 and said in stderr, stderr
    assert not runs.exists()


@pytest.fixture(scope="module")
def grid_and_victim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs directory with a 2-recipe grid 'r' and a sweep 'victim' beside it, 40 steps each."""
    runs = tmp_path_factory.mktemp("runs")
    small = ["--seeds", "2", "--steps", "40", "--eval-every", "40", "--runs-dir", str(runs)]
    for extra in (["--name", "r", "--r1", "0,1"], ["--name", "victim"]):
        code, _, stderr = run_cli("sweep", *small, *extra)
        assert code == 0, stderr
    return runs


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("name", "said"),
    [("../victim", "../victim"), ("", "''"), ("r1-0/../../victim", "victim"), ("..", "'..'"),
     ("/tmp", "/tmp"), (7, "7"), ("r1-0", "two recipes")],
)  # fmt: skip
def test_a_grid_json_recipe_outside_the_grid_is_refused(
    name: object, said: str, grid_and_victim: Path, tmp_path: Path
) -> None:
    """A grid.json someone shared or edited cannot make --resume train into another sweep."""
    runs = tmp_path / "runs"
    shutil.copytree(grid_and_victim, runs)
    facts = json.loads((runs / "r" / "grid.json").read_text())
    facts["recipes"][1]["sweep"] = name
    (runs / "r" / "grid.json").write_text(json.dumps(facts))
    before = _files(runs)
    code, _, stderr = run_cli("sweep", "--resume", "--name", "r", "--steps", "80", "--runs-dir", str(runs))
    assert code == 1 and stderr.count("\n") == 1 and "grid.json" in stderr and said in stderr, stderr
    assert _files(runs) == before  # nothing written, the victim untouched


def test_the_grid_tables_fit_80_columns_without_cutting_a_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped (or COLUMNS=80), every number and every word of every label is printed whole, and an
    interval reads "low to high" (an ellipsis would look like a cut cell)."""
    monkeypatch.setattr(out, "_width", 80)  # what a pipe, or COLUMNS=80, gives the console
    code, stdout, stderr = run_cli(
        "sweep", "--seeds", "2", "--loss", "minimax,hinge", "--lr-g", "0.0001,0.0001000001",
        "--ema", "0,0.999", "--name", "wide", "--runs-dir", str(tmp_path), *SMALL[:2], "--eval-every", "120",
    )  # fmt: skip
    assert code == 0, stderr
    tables = [line for line in stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert "…" not in stdout and len(tables) > 20 and max(map(len, tables)) <= 80, stdout
    words = stdout.split()
    summary = json.loads((tmp_path / "wide" / "summary.json").read_text())["recipes"]
    for recipe in summary:
        assert all(part in words for part in recipe["recipe"].split()), recipe["recipe"]
        aggregate, versus = recipe["aggregate"], recipe["versus_first"]
        assert f"{aggregate['w1_median']:.4f}" in words and f"{aggregate['in_bounds_mean']:.4f}" in words
        if versus is not None:
            assert f"{versus['median']:+.4f}" in words
            assert f"{versus['low']:+.3f} to {versus['high']:+.3f}" in stdout
