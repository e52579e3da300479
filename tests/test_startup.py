"""Start-up cost: ``--help`` pays for neither torch nor matplotlib, and the CPU path never imports torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_python

HEAVY_FOR_HELP = {"torch", "matplotlib", "imageio"}


def imported_modules(*args: str, cwd: Path | None = None) -> set[str]:
    """The modules ``python -X importtime -m gancurve ARGS`` imported (the command must succeed)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gancurve", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "typer" in imported  # the import log was read correctly
    return imported


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["sweep", "--help"], ["sample", "--help"]])
def test_help_imports_neither_torch_nor_matplotlib(args: list[str]) -> None:
    assert not top_level(imported_modules(*args)) & HEAVY_FOR_HELP


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--steps", "120", "--name", "fresh", "--device", "cpu"],
        ["train", "--steps", "120", "--name", "auto"],  # --device auto, on a machine without a GPU
        ["train", "--resume", "--name", "tiny", "--steps", "400"],
        ["sample", "--run", "tiny", "-n", "5"],
        ["evaluate", "--run", "tiny", "-n", "500"],
        ["plot", "{out}/p.png", "--run", "tiny"],
        ["animate", "{out}/a.gif", "--run", "tiny", "--every", "3"],
        ["export", "samples", "{out}/s.npz", "--run", "tiny"],
        ["export", "metrics", "{out}/m.csv", "--run", "tiny"],
        ["sweep", "--seeds", "2", "--steps", "60", "--name", "s"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_the_cpu_path_imports_no_torch(args: list[str], trained_runs_dir: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    for item in (trained_runs_dir / "tiny").iterdir():  # a copy: resuming must not change the shared run
        (runs / "tiny").mkdir(exist_ok=True)
        (runs / "tiny" / item.name).write_bytes(item.read_bytes())
    filled = [arg.format(out=tmp_path) for arg in args]
    assert "torch" not in top_level(imported_modules(*filled, "--runs-dir", str(runs)))


def test_the_reference_engine_does_import_torch(tmp_path: Path) -> None:
    """The check above can see torch when it is there."""
    args = ["train", "--steps", "60", "--engine", "reference", "--device", "cpu", "--runs-dir", str(tmp_path)]
    assert "torch" in top_level(imported_modules(*args))


def test_the_entry_point_spares_the_garbage_collector() -> None:
    """Fewer collections while numba loads, and none of the loaded objects at exit: ~0.3 s of
    ``train`` (benchmarks/bench_e2e.py; gancurve/__main__.py says why)."""
    script = (
        "import gc, sys\n"
        "from gancurve.__main__ import GC_THRESHOLDS, main\n"
        "sys.argv = ['gancurve', '--help']\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert done.code == 0\n"
        "assert gc.get_threshold() == GC_THRESHOLDS, gc.get_threshold()\n"
        "assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()\n"
    )
    run_python(script)
