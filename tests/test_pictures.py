"""``gancurve plot`` and ``gancurve animate``: files a person can open, and clean failures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from helpers import run_cli

from gancurve.render.animate import plan_frames


def test_animate_gif_has_one_frame_per_snapshot(trained_runs_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "train.gif"
    code, stdout, _ = run_cli(
        "animate", str(output), "--runs-dir", str(trained_runs_dir), "--size", "320x240"
    )
    assert code == 0 and str(output) in stdout
    frames = iio.imread(output, index=None)
    assert frames.shape == (6, 240, 320, 3)  # 300 steps, a snapshot every 50
    assert not np.array_equal(frames[0], frames[-1])  # G's paintings move
    assert iio.immeta(output, index=0).get("loop") == 0  # loops forever
    durations = [iio.immeta(output, index=i)["duration"] for i in range(len(frames))]
    assert durations[-1] > durations[0]  # the ending is held
    assert list(tmp_path.iterdir()) == [output]  # no temporary file left behind


def test_animate_every_thins_frames_and_keeps_the_last(trained_runs_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "thin.gif"
    code, _, _ = run_cli("animate", str(output), "--runs-dir", str(trained_runs_dir), "--every", "4")
    assert code == 0
    # Snapshots 0, 4 and the last (5); the default frame is taller by the critic panel.
    assert iio.imread(output, index=None).shape[:3] == (3, 600, 560)


def test_plan_frames_thins_long_runs_automatically() -> None:
    plan = plan_frames(4000, every=None)
    assert plan.auto_thinned and len(plan.indices) <= 401 and plan.indices[-1] == 3999
    assert plan_frames(10, every=None).indices == list(range(10))


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None, reason="needs gancurve[video]")
def test_animate_mp4(trained_runs_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "train.mp4"
    code, _, _ = run_cli("animate", str(output), "--runs-dir", str(trained_runs_dir), "--fps", "5")
    assert code == 0
    first = iio.imread(output, index=0, plugin="pyav") if importlib.util.find_spec("av") else None
    assert output.stat().st_size > 1000
    if first is not None:
        assert first.shape[:2] == (420, 560)


def test_animate_mp4_without_ffmpeg_is_a_clear_error(
    trained_runs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "imageio_ffmpeg" else real_find_spec(name, *a),
    )
    code, _, stderr = run_cli("animate", str(tmp_path / "x.mp4"), "--runs-dir", str(trained_runs_dir))
    assert code == 1 and "gancurve[video]" in stderr
    assert list(tmp_path.iterdir()) == []


def test_plot_writes_a_png_into_the_run(trained_runs_dir: Path) -> None:
    code, stdout, _ = run_cli("plot", "--runs-dir", str(trained_runs_dir))
    target = trained_runs_dir / "tiny" / "plot.png"
    assert code == 0 and str(target) in stdout.replace("\n", "")
    image = iio.imread(target)
    assert image.shape[0] > 600 and image.shape[1] > 1200
    assert image[..., :3].std() > 10  # not a blank canvas


def test_plot_to_a_chosen_file(trained_runs_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "fig.svg"
    code, _, _ = run_cli("plot", str(output), "--runs-dir", str(trained_runs_dir), "-n", "3")
    assert code == 0 and output.read_text().startswith("<?xml")


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["animate", "out.txt"], 2, "use a .gif or .mp4"),
        (["animate", "missing/dir/out.gif"], 2, "does not exist"),
        (["animate", "out.gif", "--size", "big"], 2, "--size must look like"),
        (["animate", "out.gif", "--fps", "0"], 2, "--fps"),
        (["plot", "out.jpg"], 2, "use a .png, .svg or .pdf"),
    ],
)
def test_picture_errors(
    args: list[str],
    code: int,
    fragment: str,
    trained_runs_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    exit_code, _, stderr = run_cli(*args, "--runs-dir", str(trained_runs_dir))
    assert exit_code == code and fragment in stderr and len(stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_animate_a_run_without_snapshots(trained_runs_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "runs" / "empty"
    empty.mkdir(parents=True)
    (empty / "config.json").write_text((trained_runs_dir / "tiny" / "config.json").read_text())
    code, _, stderr = run_cli("animate", str(tmp_path / "a.gif"), "--runs-dir", str(tmp_path / "runs"))
    assert code == 1 and "no snapshots.npz" in stderr
