"""``--ema``: the moving average of G is saved with the run, every reader uses it and says so,
``--raw`` gives G itself, and the metrics record both."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import read_checkpoint_file, run_cli, write_checkpoint_file

from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.rundir import RunDir

NOTE = "Used G's moving average (EMA 0.95)"


@pytest.fixture(scope="module")
def averaged_run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    """A 200-step run with an EMA of decay 0.95 (short, so the average and G clearly differ)."""
    runs = tmp_path_factory.mktemp("runs")
    options = ["--steps", "200", "--ema", "0.95", "--lr-g", "1e-3", "--eval-every", "100"]
    code, _, stderr = run_cli("train", *options, "--name", "avg", "--runs-dir", str(runs), "--json")
    assert code == 0, stderr
    return RunDir(runs / "avg")


def test_the_checkpoint_holds_the_average_and_the_config_its_decay(averaged_run: RunDir) -> None:
    state = load_checkpoint(averaged_run).state
    assert state.ema is not None and state.ema.keys() == state.weights["generator"].keys()
    assert json.loads(averaged_run.config_path.read_text())["config"]["ema"] == 0.95
    gap = np.abs(state.ema["net.2.weight"] - state.weights["generator"]["net.2.weight"]).max()
    assert gap > 1e-4


def test_metrics_rows_record_the_average_and_g_itself(averaged_run: RunDir) -> None:
    evaluated = [row for row in averaged_run.read_metrics() if "w1" in row]
    assert evaluated and all("raw_w1" in row and "raw_residual" in row for row in evaluated)
    assert any(row["w1"] != row["raw_w1"] for row in evaluated)


@pytest.mark.parametrize(
    "command",
    [["sample", "-n", "3", "--format", "json"], ["evaluate", "--json", "-n", "500"]],
    ids=["sample", "evaluate"],
)
def test_readers_use_the_average_say_so_and_raw_gives_g(averaged_run: RunDir, command: list[str]) -> None:
    where = ["--run", str(averaged_run.path)]
    code, averaged, stderr = run_cli(*command, *where)
    assert code == 0 and NOTE in stderr and "--raw" in stderr
    code, raw, stderr = run_cli(*command, *where, "--raw")
    assert code == 0 and NOTE not in stderr
    assert json.loads(averaged) != json.loads(raw)


def test_sample_paints_with_the_saved_average(averaged_run: RunDir) -> None:
    from gancurve.core.draws import stream
    from gancurve.core.networks import forward

    state = load_checkpoint(averaged_run).state
    assert state.ema is not None
    ideas = stream(0).standard_normal((3, 5), dtype=np.float32)
    _, stdout, _ = run_cli("sample", "-n", "3", "--format", "json", "--run", str(averaged_run.path))
    painted = np.array(json.loads(stdout)["y"])
    assert np.allclose(painted, forward(state.ema, ideas), atol=1e-5)


def test_plot_and_export_take_raw_too(averaged_run: RunDir, tmp_path: Path) -> None:
    where = ["--run", str(averaged_run.path)]
    for raw in ([], ["--raw"]):
        code, _, stderr = run_cli("plot", str(tmp_path / f"p{len(raw)}.png"), *where, *raw)
        assert code == 0 and (NOTE in stderr) == (not raw), stderr
        code, _, stderr = run_cli("export", "samples", str(tmp_path / f"s{len(raw)}.npz"), *where, *raw)
        assert code == 0 and (NOTE in stderr) == (not raw), stderr
    with np.load(tmp_path / "s0.npz") as averaged, np.load(tmp_path / "s1.npz") as raw_samples:
        assert not np.array_equal(averaged["y"], raw_samples["y"])


def test_a_damaged_average_is_refused_and_nothing_changes(averaged_run: RunDir, tmp_path: Path) -> None:
    import shutil

    copy = RunDir(tmp_path / "runs" / "copy")
    shutil.copytree(averaged_run.path, copy.path)
    metadata, arrays = read_checkpoint_file(copy.checkpoint_path)
    arrays["ema/generator/net.2.bias"] = np.zeros(7, np.float32)
    write_checkpoint_file(copy.checkpoint_path, metadata, arrays)
    before = copy.checkpoint_path.read_bytes()
    code, _, stderr = run_cli("sample", "--run", str(copy.path))
    assert code == 1 and "ema/generator/net.2.bias has shape (7,), expected (15,)" in stderr
    assert len(stderr.strip().splitlines()) == 1 and copy.checkpoint_path.read_bytes() == before


def test_a_bad_decay_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for value in ("1.5", "1", "-0.1"):
        code, _, stderr = run_cli("train", "--ema", value, "--runs-dir", str(tmp_path))
        assert code == 2 and stderr.count("\n") == 1 and "decay from 0 up to" in stderr, stderr
    assert not any(tmp_path.iterdir())
