"""Issue 21: what the user types and what is read back from disk, attacked.

Every bad value or damaged file ends in one line on stderr and a non-zero exit code, never a
traceback, and no file is changed by the refusal.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

SMALL = ["--steps", "120", "--log-every", "20", "--snapshot-every", "40", "--eval-every", "60",
         "--checkpoint-every", "60"]  # fmt: skip


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs directory with a 2-seed sweep 'sw' and a grid 'gl' of two learning rates (2 seeds)."""
    runs = tmp_path_factory.mktemp("runs")
    for extra in (["--name", "sw"], ["--name", "gl", "--lr-g", "0.0001,0.0002"]):
        code, _, stderr = run_cli("sweep", "--seeds", "2", "--runs-dir", str(runs), *SMALL, *extra)
        assert code == 0, stderr
    return runs


@pytest.fixture
def runs(made: Path, tmp_path: Path) -> Path:
    """A copy of ``made`` that a test may damage."""
    shutil.copytree(made, tmp_path / "runs", symlinks=True)
    return tmp_path / "runs"


def digests(directory: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.rglob("*") if p.is_file()}


def fails_in_one_line(args: list[str], code: int, fragment: str, unchanged: Path | None = None) -> str:
    """Run the CLI; it must exit with ``code`` and print one error line holding ``fragment``."""
    before = digests(unchanged) if unchanged else {}
    exit_code, _, stderr = run_cli(*args)
    lines = stderr.strip().splitlines()
    assert exit_code == code, stderr
    assert lines and lines[-1].startswith("Error: ") and sum(line.startswith("Error") for line in lines) == 1
    assert fragment in lines[-1] and "Traceback" not in stderr, stderr
    if unchanged:
        assert digests(unchanged) == before
    return lines[-1]


def _edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# -- item 5: summary.json with values of the wrong type ---------------------------------------------


@pytest.mark.parametrize(
    ("where", "change", "said"),
    [
        ("sw", lambda s: s.update(members="oops"), "'members' is not a list"),
        ("sw", lambda s: s["members"][0].update(w1="0.5"), "member 1: its w1 is not a number"),
        ("sw", lambda s: s["members"][1].update(seed=None), "member 2: its seed"),
        ("sw", lambda s: s["members"][0].update(run="../gl"), "is not a member's name"),
        ("sw", lambda s: s["aggregate"].update(w1_median="0.1"), "w1_median is not a number"),
        ("sw", lambda s: s.update(aggregate=[]), "aggregate is not a record"),
        ("gl", lambda s: s.update(recipes=5), "'recipes' is not a list"),
        ("gl", lambda s: s["recipes"][1].update(versus_first=None), "recipe 2: its difference"),
        ("gl", lambda s: s["recipes"][1]["versus_first"].update(median="x"), "not numbers"),
        ("gl", lambda s: s["recipes"][0].update(sweep="/etc"), "recipe 1 has no label or no plain sweep"),
        ("gl/lr-g-0.0002", lambda s: s["members"][0].update(verdict=3), "its verdict is not text"),
    ],
    ids=["members-text", "w1-text", "seed-null", "run-path", "median-text", "aggregate-list",
         "recipes-5", "versus-missing", "versus-text", "sweep-path", "recipe-member-verdict"],
)  # fmt: skip
def test_a_summary_with_values_of_the_wrong_type_is_damaged(
    runs: Path, where: str, change: Callable[[Any], None], said: str
) -> None:
    """These raised TypeError (or KeyError) in plot and compare; now one line names the file."""
    _edit_json(runs / where / "summary.json", change)
    picture = str(runs / "p.png")
    error = fails_in_one_line(
        ["plot", picture, "--run", where, "--runs-dir", str(runs)], 1, said, unchanged=runs
    )
    assert "summary.json is damaged" in error
    if not where.startswith("gl"):  # (compare takes sweeps; a grid's recipes are sweeps)
        fails_in_one_line(["compare", where, "gl/lr-g-0.0001", "--runs-dir", str(runs)], 1, said)
    elif "/" in where:
        fails_in_one_line(["compare", "sw", where, "--runs-dir", str(runs)], 1, said)


def test_a_summary_as_written_is_read_back_whole(made: Path) -> None:
    """The checks refuse nothing the writers write (a sweep, a grid and each of its recipes)."""
    from gancurve.sweep.grid import GridDir
    from gancurve.sweep.store import SweepDir

    for sweep in ("sw", "gl/lr-g-0.0001", "gl/lr-g-0.0002"):
        assert len(SweepDir(made / sweep).read_summary()["members"]) == 2
    assert len(GridDir(made / "gl").read_summary()["recipes"]) == 2


def test_a_recipe_whose_median_difference_is_infinite_still_plots(runs: Path) -> None:
    """Most seeds diverged: the median ΔW1 is ∞, written null; the figure draws it without a bar."""
    _edit_json(
        runs / "gl" / "summary.json", lambda s: s["recipes"][1]["versus_first"].update(median=None, high=None)
    )
    code, _, stderr = run_cli("plot", str(runs / "g.png"), "--run", "gl", "--runs-dir", str(runs))
    assert code == 0, stderr
    assert (runs / "g.png").stat().st_size > 10_000


# -- item 6: a damaged snapshots.npz ---------------------------------------------------------------


def _flip_a_data_byte(path: Path) -> None:
    """A zip whose directory is intact but one stored byte is wrong: its CRC no longer matches."""
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [lambda path: path.write_bytes(b"PK\3\4garbage"), _flip_a_data_byte],
    ids=["not-a-zip", "bad-crc"],
)
def test_a_damaged_snapshots_file_is_one_line_naming_it(runs: Path, damage: Callable[[Path], None]) -> None:
    """These raised zipfile.BadZipFile in sweep --resume and animate; nothing may change."""
    snapshots = runs / "sw" / "seed-001" / "snapshots.npz"
    damage(snapshots)
    resume = ["sweep", "--resume", "--name", "sw", "--runs-dir", str(runs), *SMALL[:1], "240", *SMALL[2:]]
    fails_in_one_line(resume, 1, f"{snapshots} is damaged", unchanged=runs)
    animate = ["animate", str(runs.parent / "a.gif"), "--run", "sw/seed-001", "--runs-dir", str(runs)]
    fails_in_one_line(animate, 1, f"{snapshots} is damaged", unchanged=runs)
    assert not (runs.parent / "a.gif").exists()
