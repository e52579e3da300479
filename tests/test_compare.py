"""Paired comparisons of two sweeps: the statistics, then the command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.errors import GancurveError
from gancurve.sweep.compare import bootstrap_median_interval, paired_difference
from gancurve.sweep.summary import member_row


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
