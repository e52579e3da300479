"""The notebooks in docs/notebooks run as committed, in a fresh Jupyter kernel, and stay out of git's way.

Their cells assert what their text claims, so executing them is the test: a notebook that stops
teaching what it says fails here. They are committed without outputs (small diffs, no stale
pictures); Jupyter fills them in when a reader runs them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "docs" / "notebooks"
NAMES = ["tour", "lesson"]

#: Seconds one cell may take: far above what they need (a few seconds), but the first training
#: after a fresh checkout also compiles the CPU engine (numba, ~30 s).
CELL_TIMEOUT = 300


def test_the_notebooks_are_the_ones_tested() -> None:
    assert sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_is_committed_without_outputs(name: str) -> None:
    notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, f"{name}.ipynb has no code"
    with_outputs = [
        i for i, cell in enumerate(code) if cell["outputs"] or cell["execution_count"] is not None
    ]
    assert not with_outputs, (
        f"{name}.ipynb's code cells {with_outputs} hold outputs; clear them before committing "
        "(Jupyter: Edit > Clear Outputs of All Cells; or jupyter nbconvert --clear-output --inplace)"
    )


def _kernel_manager(spec_dir: Path) -> object:
    """A kernel of this very interpreter (sys.executable), whatever kernels Jupyter knows of: a
    user's own python3 kernel may belong to another environment, without this gancurve."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernel = spec_dir / "gancurve-test"
    kernel.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "gancurve tests",
        "language": "python",
    }
    (kernel / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir)])
    return KernelManager(kernel_name="gancurve-test", kernel_spec_manager=specs)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_a_notebook_runs_in_a_fresh_kernel(name: str, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import gancurve\nprint(gancurve.__file__)"))
    workdir, temp = tmp_path / "cwd", tmp_path / "tmp"
    workdir.mkdir()
    temp.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("MPLBACKEND", "GANCURVE_RUNS_DIR")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["TMPDIR"] = str(temp)  # the notebook's temporary runs directory lands here, and is cleaned up
    client = NotebookClient(
        notebook,
        km=_kernel_manager(tmp_path / "kernels"),
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(workdir)}},  # the kernel's working directory
    )
    started = time.perf_counter()
    client.execute(env=env)  # a failing assert raises CellExecutionError with the cell's traceback
    print(f"{name}.ipynb ran in {time.perf_counter() - started:.1f} s")

    assert not any(workdir.iterdir()), "the notebook wrote into its working directory"
    runs = [path for path in temp.iterdir() if path.name.startswith(f"gancurve-{name}-")]
    assert len(runs) == 1 and any(runs[0].iterdir()), "its runs belong in one temporary runs directory"
    imported = notebook.cells[-1].outputs[0]["text"].strip()
    assert Path(imported) == ROOT / "gancurve" / "__init__.py", "the kernel ran another gancurve"
    figures = [
        cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.endswith("\nfigure")
    ]
    shown = [
        cell for cell in figures if any("image/png" in output.get("data", {}) for output in cell.outputs)
    ]
    assert figures and len(shown) == len(figures), "a cell that ends in a figure shows it inline"
