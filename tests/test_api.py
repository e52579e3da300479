"""The Python API: the issue's examples as written, the same runs as the CLI, the CLI's sentences."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

import gancurve as gc
from gancurve.core.recipes import TRAINING_OPTIONS, Option
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.runs import find_run
from gancurve.sweeps.grid import GRID_FIELDS_CSV


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runs directory of its own, as ``$GANCURVE_RUNS_DIR`` (the API's default, as the CLI's)."""
    monkeypatch.setenv("GANCURVE_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _arrays(runs: Path, name: str) -> dict[str, np.ndarray]:
    state = load_checkpoint(find_run(runs, name)).state
    arrays = {
        f"{net}/{key}": value for net, weights in state.weights.items() for key, value in weights.items()
    }
    for net, adam in state.adam.items():
        arrays.update({f"adam/{net}/{key}": value for key, value in adam.exp_avg.items()})
    return {**arrays, "rng": state.rng}


@pytest.mark.slow
def test_the_api_and_the_cli_train_the_same_run(runs: Path) -> None:
    gc.train(seed=3, steps=2000, name="api", progress=False)
    code, _, stderr = run_cli("train", "--seed", "3", "--steps", "2000", "--name", "cli")
    assert code == 0, stderr
    api, cli = _arrays(runs, "api"), _arrays(runs, "cli")
    assert api.keys() == cli.keys()
    assert all(np.array_equal(api[key], cli[key]) for key in api), "the checkpoints differ"
    assert (runs / "api" / "metrics.csv").read_bytes() == (runs / "cli" / "metrics.csv").read_bytes()


def test_the_issues_examples_run_as_written(runs: Path, tmp_path: Path) -> None:
    run = gc.train(steps=400, recipe="best", seed=3, progress=False)
    assert isinstance(run, gc.Run) and run.step == 400 and run.config.loss == "non-saturating"
    paintings = run.sample(5)
    assert paintings.shape == (5, 15) and np.isfinite(paintings).all()
    q = run.evaluate()
    assert q.verdict.label and 0 <= q.generator["w1"] < 2 and q.step == 400
    assert list(run.metrics["step"])[-1] == 400 and "w1" in run.metrics
    figure = run.plot()
    assert len(figure.axes) >= 6
    assert run.export(tmp_path / "g.onnx").stat().st_size > 0
    run = gc.train(steps=600, resume=run, progress=False)
    assert run.step == 600

    study = gc.sweep(seeds=range(1, 4), steps=200, recipe=["tutorial", "best"], progress=False)
    assert isinstance(study, gc.Grid) and len(study.summary) == 2
    assert list(study.summary.columns) == list(GRID_FIELDS_CSV)  # as summary.csv has them
    assert study.summary["w1_vs_first_median"].iloc[1] < 0.5
    comparison = study.compare("tutorial", "best")
    assert comparison.seeds == (1, 2, 3) and comparison.difference.seeds == 3
    study.plot(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 0

    single = gc.sweep(seeds="1-3", steps=200, name="one", progress=False)
    assert isinstance(single, gc.Sweep) and list(single.summary["seed"]) == [1, 2, 3]
    assert single.aggregate["members"] == 3
    assert isinstance(gc.load("one"), gc.Sweep) and isinstance(gc.load(str(study.path)), gc.Grid)
    assert gc.load("one/seed-002").name == "one/seed-002"
    assert "one/seed-003" in gc.runs() and run.name in gc.runs()


@pytest.mark.parametrize(
    "option", [o for o in TRAINING_OPTIONS.values() if o.kind is float], ids=lambda o: o.name
)
def test_a_bad_argument_is_the_clis_sentence(option: Option, runs: Path) -> None:
    with pytest.raises(gc.UsageError) as raised:
        gc.train(**{option.name: -1.0})
    code, _, stderr = run_cli("train", option.flag, "-1")
    assert code == 2
    assert str(raised.value).replace(option.name, option.flag, 1) in stderr
    assert not runs.exists() or not any(runs.iterdir())


def test_unknown_and_misplaced_arguments_are_one_sentence(runs: Path) -> None:
    with pytest.raises(gc.UsageError, match="'lr' is not a training option"):
        gc.train(lr=1e-3)
    with pytest.raises(gc.UsageError, match="several make a grid"):
        gc.train(loss=["minimax", "hinge"])
    with pytest.raises(gc.UsageError, match="device must be one of"):
        gc.train(device="tpu")
    with pytest.raises(gc.UsageError, match="give seeds="):
        gc.sweep(seed=3)
    with pytest.raises(gc.GancurveError, match="No run"):
        gc.load("nothing-here")


def test_the_library_prints_nothing_unless_asked(runs: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what training noticed comes as Python's warnings, not prints
        run = gc.train(steps=100, progress=False)
    run.sample(2)
    run.evaluate(n=100)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_importing_gancurve_loads_none_of_the_heavy_libraries() -> None:
    code = (
        "import sys, gancurve; heavy = {'numpy', 'numba', 'torch', 'matplotlib', 'pandas', 'typer'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
