"""Paired comparisons of two sweeps: the statistics, then the command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.console import out
from gancurve.errors import GancurveError
from gancurve.sweeps.compare import bootstrap_median_interval, paired_difference
from gancurve.sweeps.summary import member_row


def rows(values: dict[int, float | None]) -> list[dict[str, object]]:
    """Summary rows with the given W1 per seed; None is a diverged member."""
    return [
        member_row(
            seed,
            f"seed-{seed:03d}",
            100,
            "diverged" if w1 is None else "converged",
            "",
            None if w1 is None else {"w1": w1},
        )
        for seed, w1 in values.items()
    ]


def test_the_bootstrap_interval_of_a_hand_checked_case() -> None:
    """Three differences: a resample's median is -3 (or 2) when two of its three picks are, with
    probability 7/27 ≈ 0.26 > 2.5% each, so the 95% interval is the whole range [-3, 2]."""
    assert bootstrap_median_interval(np.array([-3.0, -1.0, 2.0])) == (-3.0, 2.0)
    assert bootstrap_median_interval(np.array([0.25])) == (0.25, 0.25)
    low, high = bootstrap_median_interval(np.linspace(-1, 1, 101))  # the median's spread: ~±0.12
    assert -0.3 < low < -0.05 and 0.05 < high < 0.3


def test_pairs_by_seed_and_counts_who_is_better() -> None:
    a = rows({1: 0.05, 2: 0.06, 3: 0.04, 4: None, 5: 0.08})
    b = rows({2: 0.02, 3: 0.05, 1: 0.01, 4: 0.03, 6: 0.01})  # seed 6 is not in A: left out
    result = paired_difference(a, b)
    assert result.seeds == 4
    assert result.b_better == 3 and result.a_better == 1  # seed 3 is worse in B; seed 4 diverged in A
    assert math.isclose(result.median, float(np.median([-0.04, -0.04, 0.01, -math.inf])))
    assert result.low <= result.median <= result.high


def test_two_diverged_members_tie_and_no_shared_seed_is_refused() -> None:
    result = paired_difference(rows({1: None, 2: 0.05}), rows({1: None, 2: 0.05}))
    assert (result.median, result.b_better, result.a_better) == (0.0, 0, 0)
    with pytest.raises(GancurveError, match="share no seed"):
        paired_difference(rows({1: 0.1}), rows({2: 0.1}))


def test_compare_two_sweeps_on_the_command_line(tmp_path: Path) -> None:
    small = ["--seeds", "1-3", "--steps", "80", "--log-every", "40", "--eval-every", "40",
             "--checkpoint-every", "80", "--runs-dir", str(tmp_path)]  # fmt: skip
    for name, extra in (("a", []), ("b", ["--lr-g", "8e-4", "--lr-d", "8e-4"])):
        code, _, stderr = run_cli("sweep", "--name", name, *small, *extra)
        assert code == 0, stderr
    code, stdout, stderr = run_cli("compare", "a", "b", "--runs-dir", str(tmp_path), "--json")
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["seeds"] == 3 and result["b_better"] + result["a_better"] <= 3
    assert result["changes"] == ["lr_g: 0.0001 -> 0.0008", "lr_d: 0.0001 -> 0.0008"]
    a = {
        row["seed"]: row["w1"] for row in json.loads((tmp_path / "a" / "summary.json").read_text())["members"]
    }
    b = {
        row["seed"]: row["w1"] for row in json.loads((tmp_path / "b" / "summary.json").read_text())["members"]
    }
    assert math.isclose(result["median"], float(np.median([b[s] - a[s] for s in (1, 2, 3)])))
    code, stdout, _ = run_cli("compare", "a", "b", "--runs-dir", str(tmp_path))
    assert code == 0 and "B better on" in stdout and "lr_g: 0.0001 -> 0.0008" in stdout


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sweeps a4 (seeds 1-4, 80 steps), d4 (1-4, 40 steps) and c36 (3-6, 80 steps, logged more often)."""
    runs = tmp_path_factory.mktemp("runs")
    for name, seeds, steps, log_every in (("a4", "1-4", "80", "40"), ("d4", "1-4", "40", "40"),
                                          ("c36", "3-6", "80", "20")):  # fmt: skip
        code, _, stderr = run_cli("sweep", "--name", name, "--seeds", seeds, "--steps", steps, "--log-every",
                                  log_every, "--eval-every", "40", "--runs-dir", str(runs))  # fmt: skip
        assert code == 0, stderr
    return runs


def _compare(runs: Path, *args: str) -> tuple[str, dict[str, object]]:
    code, stdout, stderr = run_cli("compare", *args, "--runs-dir", str(runs))
    assert code == 0, stderr
    code, text, stderr = run_cli("compare", *args, "--runs-dir", str(runs), "--json")
    assert code == 0, stderr
    return stdout, json.loads(text)


def _members(runs: Path, name: str) -> dict[int, dict[str, float]]:
    return {row["seed"]: row for row in json.loads((runs / name / "summary.json").read_text())["members"]}


def test_how_long_and_how_often_a_sweep_trained_are_differences(sweeps: Path) -> None:
    stdout, result = _compare(sweeps, "a4", "d4")
    assert result["changes"] == ["steps: 80 -> 40"] and "What differs: steps: 80 -> 40" in stdout
    _, result = _compare(sweeps, "a4", "c36")
    assert result["changes"] == ["log_every: 40 -> 20"]


@pytest.mark.parametrize("metric", ["w1", "ks", "residual", "in_bounds", "coverage"])
def test_the_median_row_shows_the_metric_compared(metric: str, sweeps: Path) -> None:
    stdout, result = _compare(sweeps, "a4", "d4", "--metric", metric)
    for side, name in (("a", "a4"), ("b", "d4")):
        median = float(np.median([row[metric] for row in _members(sweeps, name).values()]))
        assert math.isclose(result[f"{side}_median"], median)
        assert f"{median:.4f}" in stdout.split()
    assert f"{metric} median" in stdout


def test_sweeps_with_other_seeds_are_read_on_the_seeds_both_trained(sweeps: Path) -> None:
    """a4 (1-4) against c36 (3-6) pairs seeds 3 and 4: the output says so, and every number of
    the table is of those seeds only."""
    stdout, result = _compare(sweeps, "a4", "c36")
    assert "Paired on seeds 3-4 only (2 of A's 4 and of B's 4)" in stdout
    assert result["paired_seeds"] == [3, 4] and result["seeds"] == 2
    a = _members(sweeps, "a4")
    paired = float(np.median([a[3]["w1"], a[4]["w1"]]))
    assert math.isclose(result["a_median"], paired) and f"{paired:.4f}" in stdout.split()
    converged = sum(a[seed]["verdict"] == "converged" for seed in (3, 4))
    assert result["a_converged"] == converged and f"{converged} of 2" in stdout
    stdout, result = _compare(sweeps, "a4", "d4")
    assert "Paired on all 4 seeds (1-4)." in stdout and result["paired_seeds"] == [1, 2, 3, 4]


def test_the_comparison_fits_80_columns(sweeps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(out, "_width", 80)  # what a pipe, or COLUMNS=80, gives the console
    stdout, _ = _compare(sweeps, "a4", "c36", "--metric", "in_bounds")
    tables = [line for line in stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert "…" not in stdout and tables and max(map(len, tables)) <= 80, stdout
