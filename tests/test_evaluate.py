"""``gancurve evaluate``, the verdict rules, and the collapse alarm during training."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.core.artist import Artist
from gancurve.core.config import TrainConfig
from gancurve.core.metrics import quality, verdict
from gancurve.store.rundir import RunDir
from gancurve.training.cadence import Cadence
from gancurve.training.session import TrainingSession

ARTIST = Artist()


def test_evaluate_json_has_g_artist_floor_and_verdict(trained_runs_dir: Path) -> None:
    code, stdout, _ = run_cli("evaluate", "--runs-dir", str(trained_runs_dir), "-n", "2000", "--json")
    assert code == 0
    data = json.loads(stdout)
    assert data["run"] == "tiny" and data["step"] == 300 and data["samples"] == 2000
    assert data["artist"]["residual"] < 1e-6 and data["artist"]["in_bounds"] == 1.0
    assert data["generator"]["w1"] > data["artist"]["w1"]  # a 300-step G is worse than the floor
    # 300 steps of the tutorial's recipe (seed 1): W1 0.24, D accuracy 0.64: under way, not there.
    assert data["verdict"]["label"] == "still learning"
    assert math.isclose(data["ideal"]["d_score"], 2 * math.log(0.5))


def test_evaluate_table_for_people(trained_runs_dir: Path) -> None:
    code, stdout, _ = run_cli("evaluate", "--runs-dir", str(trained_runs_dir), "-n", "500")
    assert code == 0 and "W1 to U(1, 2)" in stdout and "Verdict:" in stdout


def test_evaluate_labels_what_it_scored_when_config_json_says_otherwise(
    trained_runs_dir: Path, tmp_path: Path
) -> None:
    """config.json copied from a parabola-modes run over the tutorial run's: the checkpoint says
    what was trained and scored, and the table's rows follow it (KeyError: 'modes_captured')."""
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(trained_runs_dir / "tiny", runs / "tiny")
    facts = json.loads((runs / "tiny" / "config.json").read_text())
    facts["config"] |= {"artist": "parabola-modes", "modes": 6}
    (runs / "tiny" / "config.json").write_text(json.dumps(facts))
    code, stdout, stderr = run_cli("evaluate", "--runs-dir", str(runs), "-n", "500")
    assert code == 0, stderr
    assert "W1 to U(1, 2)" in stdout and "modes" not in stdout.split("Verdict")[0]


def test_evaluate_is_reproducible_for_a_seed(trained_runs_dir: Path) -> None:
    def w1(seed: str) -> float:
        _, stdout, _ = run_cli(
            "evaluate", "--runs-dir", str(trained_runs_dir), "-n", "300", "--seed", seed, "--json"
        )
        return float(json.loads(stdout)["generator"]["w1"])

    assert w1("4") == w1("4") and w1("4") != w1("5")


def test_verdicts() -> None:
    rng = np.random.default_rng(0)
    real = ARTIST.sample(5000, rng, dtype=np.float64)
    assert verdict(quality(real), 0.5).label == "converged"
    assert verdict(quality(real), 0.8).label == "still learning"  # D still tells them apart
    constant = ARTIST.paint(np.full(5000, 1.5))
    assert verdict(quality(constant), 0.5).label == "collapsed"
    assert verdict(quality(real + 10.0), 0.5).label == "diverged"
    nan = real.copy()
    nan[0, 0] = float("nan")
    assert verdict(quality(nan), 0.5).label == "diverged"
    noisy = real + 0.3 * rng.standard_normal(real.shape)
    assert verdict(quality(noisy), 0.5).label == "still learning"  # off the family
    blown_up = ARTIST.paint(rng.uniform(20, 40, 5000))  # far off, yet every number finite
    assert verdict(quality(blown_up), 0.5).label == "diverged"


class RecordingReporter:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.rows: list[dict[str, float]] = []

    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, step: int, row: dict[str, float]) -> None:
        self.rows.append(row)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def test_training_logs_quality_and_warns_once_about_collapse(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "collapse")
    run.path.mkdir()
    session = TrainingSession(run, TrainConfig(), Cadence(steps=40, log_every=10, eval_every=10), "cpu")
    # A generator that ignores its ideas: every painting is the same. Through the engine's own
    # state, so that it holds for every engine (the fast one keeps its weights in numpy).
    state = session.trainer.state()
    state.weights["generator"]["net.0.weight"][...] = 0.0
    session.trainer.load_state(state)
    reporter = RecordingReporter()
    from gancurve.training.signals import StopFlag

    outcome = session.train(reporter, StopFlag())
    assert all("w1" in row and "spread" in row for row in reporter.rows)
    assert reporter.rows[0]["spread"] < 0.01  # collapsed for real, not by chance
    assert len(reporter.warnings) == 1 and "collapsing" in reporter.warnings[0]
    assert outcome.warnings == reporter.warnings


def test_json_output_is_standard_even_for_numbers_that_are_not_finite(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gancurve.console import print_json

    print_json({"w1": float("nan"), "rows": [1.5, float("inf")], "ok": 0.25})
    assert json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(name)) == {
        "w1": None,
        "rows": [1.5, None],
        "ok": 0.25,
    }
