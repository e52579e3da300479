"""``gancurve export``: model files that load elsewhere and match G, and the run's data."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, run_python

from gancurve.core.networks import paint
from gancurve.results import model_export
from gancurve.store.checkpoint import load_networks
from gancurve.store.rundir import RunDir

HAS_ONNX = (
    importlib.util.find_spec("onnx") is not None and importlib.util.find_spec("onnxruntime") is not None
)

LOADERS = {
    ".pt2": "import torch; m = torch.export.load(path).module()",
    ".pt": "import torch; m = torch.jit.load(path)",
}


def expected_paintings(run: Path, ideas: np.ndarray) -> np.ndarray:
    """What G paints, computed by gancurve's own numpy forward pass (an independent path)."""
    weights, _, _ = load_networks(RunDir(run))
    return paint(weights["generator"], ideas)


@pytest.mark.parametrize("suffix", [".pt2", ".pt"])
def test_model_export_runs_without_gancurve(suffix: str, trained_runs_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / f"g{suffix}"
    code, stdout, _ = run_cli("export", "model", str(output), "--runs-dir", str(trained_runs_dir))
    assert code == 0 and "max difference" in stdout
    ideas = np.random.default_rng(0).standard_normal((11, 5)).astype(np.float32)
    np.save(tmp_path / "ideas.npy", ideas)
    script = (
        "import sys; sys.modules['gancurve'] = None\n"  # any import of gancurve would now fail
        f"path = {str(output)!r}\n{LOADERS[suffix]}\n"
        "import numpy as np, torch\n"
        f"x = torch.from_numpy(np.load({str(tmp_path / 'ideas.npy')!r}))\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, m(x).detach().numpy())\n"
    )
    run_python(script)
    got = np.load(tmp_path / "out.npy")
    assert got.shape == (11, 15)
    assert np.abs(got - expected_paintings(trained_runs_dir / "tiny", ideas)).max() <= 1e-5


@pytest.mark.skipif(not HAS_ONNX, reason="needs gancurve[onnx]")
def test_onnx_export_round_trip(trained_runs_dir: Path, tmp_path: Path) -> None:
    import onnxruntime

    output = tmp_path / "g.onnx"
    assert run_cli("export", "model", str(output), "--runs-dir", str(trained_runs_dir))[0] == 0
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    for n in (1, 33):
        ideas = np.random.default_rng(n).standard_normal((n, 5)).astype(np.float32)
        got = session.run(None, {"ideas": ideas})[0]
        assert np.abs(got - expected_paintings(trained_runs_dir / "tiny", ideas)).max() <= 1e-5


def test_onnx_without_the_extra_is_a_clear_error(
    trained_runs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else real(name, *a)
    )
    code, _, err = run_cli("export", "model", str(tmp_path / "g.onnx"), "--runs-dir", str(trained_runs_dir))
    assert code == 1 and "gancurve[onnx]" in err and not list(tmp_path.iterdir())


def test_an_export_that_fails_its_check_leaves_no_file(
    trained_runs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_export, "TOLERANCE", -1.0)  # no export can pass
    code, _, err = run_cli("export", "model", str(tmp_path / "g.pt2"), "--runs-dir", str(trained_runs_dir))
    assert code == 1 and "not written" in err
    assert list(tmp_path.iterdir()) == []


def test_model_format_errors(trained_runs_dir: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("export", "model", str(tmp_path / "g.bin"), "--runs-dir", str(trained_runs_dir))
    assert code == 2 and "Cannot tell the model format" in err
    code, _, _ = run_cli(
        "export", "model", str(tmp_path / "g.bin"), "--format", "export", "--runs-dir", str(trained_runs_dir)
    )
    assert code == 0 and (tmp_path / "g.bin").stat().st_size > 0


def test_export_samples_in_every_format(trained_runs_dir: Path, tmp_path: Path) -> None:
    files = {s: tmp_path / f"s.{s}" for s in ("csv", "json", "npy", "npz")}
    for path in files.values():
        assert run_cli("export", "samples", str(path), "-n", "6", "--runs-dir", str(trained_runs_dir))[0] == 0
    with np.load(files["npz"]) as data:
        y, a_hat, residual, x = data["y"], data["a_hat"], data["residual"], data["x"]
    assert y.shape == (6, 15) and x.shape == (15,) and a_hat.shape == residual.shape == (6,)
    assert np.array_equal(np.load(files["npy"]), y)
    rows = list(csv.DictReader(files["csv"].open()))
    assert np.allclose([float(r["a_hat"]) for r in rows], a_hat) and np.allclose(
        [float(r["x=1"]) for r in rows], y[:, -1]
    )
    data = json.loads(files["json"].read_text())
    assert np.allclose(data["a_hat"], a_hat) and np.allclose(data["x"], x)


def test_export_metrics_matches_the_log(trained_runs_dir: Path, tmp_path: Path) -> None:
    run = RunDir(trained_runs_dir / "tiny")
    assert run_cli("export", "metrics", str(tmp_path / "m.json"), "--runs-dir", str(trained_runs_dir))[0] == 0
    assert run_cli("export", "metrics", str(tmp_path / "m.csv"), "--runs-dir", str(trained_runs_dir))[0] == 0
    assert json.loads((tmp_path / "m.json").read_text()) == run.read_metrics()
    assert (tmp_path / "m.csv").read_text() == run.metrics_path.read_text()
    code, _, err = run_cli("export", "metrics", str(tmp_path / "m.xlsx"), "--runs-dir", str(trained_runs_dir))
    assert code == 2 and "use a .csv or .json" in err
