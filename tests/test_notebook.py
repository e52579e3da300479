"""Runs, sweeps and grids in a notebook: their HTML cards, and the live view of gc.train(live=True)."""

from __future__ import annotations

import base64
import html
import io
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import gancurve as gc
import gancurve.render.notebook as notebook
from gancurve.core.recipes import describe
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.rundir import RunDir


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GANCURVE_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _pictures(card: str) -> list[Image.Image]:
    """The inline PNGs of a card, decoded (a broken one fails here)."""
    data = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", card)
    pictures = []
    for text in data:
        raw = base64.b64decode(text, validate=True)
        assert raw.startswith(b"\x89PNG") and len(raw) < 30_000, len(raw)
        picture = Image.open(io.BytesIO(raw))
        picture.load()
        pictures.append(picture)
    return pictures


def test_a_runs_card_shows_what_was_trained_its_verdict_w1_and_paintings(trained_runs_dir: Path) -> None:
    run = gc.load(str(trained_runs_dir / "tiny"))
    assert isinstance(run, gc.Run)
    card = run._repr_html_()
    q = run.evaluate()  # the card's numbers are evaluate()'s
    for text in (describe(run.config), q.verdict.label, q.verdict.reason, f"{q.generator['w1']:.3f}"):
        assert html.escape(text) in card, text
    assert f"{q.step:,}" in card and "tiny" in card
    [picture] = _pictures(card)
    assert picture.size == notebook.THUMBNAIL_SIZE
    pixels = np.asarray(picture.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 5  # a drawing, not a blank


def test_every_text_in_a_card_is_escaped(victim: RunDir, tmp_path: Path) -> None:
    odd = tmp_path / "<b>&x"
    shutil.copytree(victim.path, odd)
    card = gc.load(str(odd))._repr_html_()
    assert "&lt;b&gt;&amp;x" in card and "<b>&x" not in card
    assert "cannot be shown" not in card


def test_a_damaged_runs_card_and_repr_are_one_line_saying_why(victim: RunDir) -> None:
    victim.checkpoint_path.write_bytes(b"not a checkpoint")
    run = gc.Run(victim)
    card = run._repr_html_()
    assert card.startswith("<p>") and card.count("<") == 2 and "\n" not in card
    assert "cannot be shown" in card and "checkpoint" in card
    victim.config_path.write_text("{")
    assert "cannot be shown" in repr(run) and "\n" not in repr(run)


@pytest.mark.slow
def test_a_sweeps_card_has_its_wilson_interval_and_a_grids_its_recipes(runs: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = gc.sweep(seeds=range(1, 4), steps=200, recipe=["tutorial", "best"], progress=False)
    assert isinstance(grid, gc.Grid)
    card = grid._repr_html_()
    assert card.count("<tr>") == 1 + 2  # the header and one row per recipe
    for label, sweep in grid.recipes.items():
        assert html.escape(label) in card
        aggregate = sweep.aggregate
        low, high = aggregate["success_rate_95"]
        sweep_card = sweep._repr_html_()
        assert f"{100 * low:.0f}%–{100 * high:.0f}%" in sweep_card and f"{100 * low:.0f}%–" in card
        assert f"{aggregate['w1_median']:.3f} · {aggregate['w1_p90']:.3f}" in sweep_card
        assert f"{aggregate['converged']} of {aggregate['members']}" in sweep_card
        assert len(_pictures(sweep_card)) == 1  # the median seed's paintings


def test_live_outside_a_notebook_is_one_usage_error(runs: Path) -> None:
    with pytest.raises(gc.UsageError, match="Jupyter notebook") as raised:
        gc.train(steps=100, live=True, progress=False)
    assert "\n" not in str(raised.value)
    assert not runs.exists() or not any(runs.iterdir())  # refused before any work


class FakeHandle:
    """IPython's DisplayHandle as the live view uses it: what it was given, in order."""

    def __init__(self) -> None:
        self.shown: list[Any] = []

    def update(self, picture: Any) -> None:
        self.shown.append(picture)


def _arrays(runs: Path, name: str) -> dict[str, np.ndarray]:
    state = load_checkpoint(RunDir(runs / name)).state
    arrays = {f"{net}/{key}": v for net, weights in state.weights.items() for key, v in weights.items()}
    return {**arrays, "rng": state.rng}


def test_live_redraws_the_cell_in_place_and_the_run_is_the_same(
    runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ipython = pytest.importorskip("IPython")
    import IPython.display

    handle = FakeHandle()

    def display(picture: Any, display_id: bool = False) -> FakeHandle:
        assert display_id  # a handle to update in place, not a new output per frame
        handle.shown.append(picture)
        return handle

    monkeypatch.setattr(ipython, "get_ipython", lambda: type("Kernel", (), {"kernel": object()})())
    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(notebook, "FRAME_INTERVAL", 0.0)  # every snapshot the drawing keeps up with
    monkeypatch.setattr(notebook, "DRAWING_SHARE", 1e9)
    options: dict[str, Any] = {"steps": 2000, "seed": 5, "snapshot_every": 20, "progress": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.train(name="live", live=True, **options)
        gc.train(name="plain", **options)
    frames = [picture.data for picture in handle.shown]
    assert len(frames) >= 3 and all(frame.startswith(b"\x89PNG") for frame in frames)
    assert len(set(frames)) == len(frames)  # each frame a new snapshot
    assert Image.open(io.BytesIO(frames[-1])).size == notebook.LIVE_SIZE
    live, plain = _arrays(runs, "live"), _arrays(runs, "plain")
    assert live.keys() == plain.keys() and all(np.array_equal(live[k], plain[k]) for k in live)
    for name in ("metrics.csv",):
        assert (runs / "live" / name).read_bytes() == (runs / "plain" / name).read_bytes()
    snapshots = RunDir(runs / "live").read_snapshots(), RunDir(runs / "plain").read_snapshots()
    assert np.array_equal(snapshots[0].paintings, snapshots[1].paintings)
