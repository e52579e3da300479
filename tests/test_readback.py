"""Issue 21: what the user types and what is read back from disk, attacked.

Every bad value or damaged file ends in one line on stderr and a non-zero exit code, never a
traceback, and no file is changed by the refusal.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import threading
import time
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


def _feed_a_waiting_reader(fifo: Path) -> None:
    """Give text to whoever opened ``fifo`` for reading (nobody: nothing to do)."""
    time.sleep(2)
    with contextlib.suppress(OSError):  # ENXIO: no reader, the pipe was refused unopened
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(descriptor, b"{}")
        os.close(descriptor)


@pytest.mark.parametrize(
    ("file", "args", "code"),
    [("sw/summary.json", ["plot", "sw"], 1), ("gl/summary.json", ["plot", "gl"], 1),
     ("sw/summary.json", ["compare", "sw", "gl/lr-g-0.0001"], 1), ("sw/sweep.json", ["sweep", "--resume",
     "--name", "sw"], 1), ("gl/grid.json", ["sweep", "--resume", "--name", "gl"], 1),
     ("sw/seed-001/config.json", ["sample", "--run", "sw/seed-001"], 1)],
    ids=["summary", "grid-summary", "compare", "sweep.json", "grid.json", "config.json"],
)  # fmt: skip
@pytest.mark.parametrize("damage", ["nested", "huge integer", "pipe"])
def test_a_json_file_read_back_that_json_cannot_read_is_one_line(
    runs: Path, file: str, args: list[str], code: int, damage: str
) -> None:
    """[[[… nested 100,000 deep raised RecursionError, an integer of 5,000 digits ValueError (both
    tracebacks); a pipe in the file's place was read (it waited for ever, deaf to Ctrl-C; a link
    to /dev/zero, no regular file either, filled the memory). Each is one line, nothing changed."""
    path = runs / file
    if damage == "nested":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif damage == "huge integer":
        path.write_text('{"seeds": 1' + "0" * 5000 + "}")
    elif not file.endswith("summary.json"):
        pytest.skip("a run, sweep or grid is found by its file, looked at as a file first")
    else:
        path.unlink()
        os.mkfifo(path)
        threading.Thread(target=_feed_a_waiting_reader, args=(path,), daemon=True).start()
    said = {"nested": "nested too deeply", "huge integer": "digits", "pipe": "not a regular file"}[damage]
    fails_in_one_line([*args, "--runs-dir", str(runs)], code, said, unchanged=runs)


def test_a_file_to_write_that_is_a_pipe_is_refused_not_replaced(runs: Path, tmp_path: Path) -> None:
    """A member's config.json linked to a pipe (or a device): the resume's atomic rename replaced
    the link's target with a regular file; linked to /dev/zero and run as root, it replaced the
    machine's /dev/zero. An output the user names that is a pipe was replaced the same way."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    config = runs / "sw" / "seed-001" / "config.json"
    config.unlink()
    config.symlink_to(fifo)
    fails_in_one_line(["sweep", "--resume", "--name", "sw", "--runs-dir", str(runs)], 1, "a pipe or a socket")
    output = ["export", "samples", "--run", "sw/seed-002", "--runs-dir", str(runs), str(fifo)]
    fails_in_one_line(output, 1, "is a device, a pipe or a socket, not a file")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and config.is_symlink()


def test_a_summary_as_written_is_read_back_whole(made: Path) -> None:
    """The checks refuse nothing the writers write (a sweep, a grid and each of its recipes)."""
    from gancurve.store.grids import GridDir
    from gancurve.store.sweeps import SweepDir

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


# -- item 7: a runs directory (or a run's name) the system cannot look at ------------------------------

LONG = "x" * 300  # one name past the file systems' 255 bytes


@pytest.mark.parametrize(
    "command",
    [["evaluate"], ["sample"], ["plot"], ["animate", "{tmp}/a.gif"], ["compare", "a", "b"],
     ["export", "metrics", "{tmp}/m.csv"], ["sweep", "--seeds", "1", *SMALL], ["train", *SMALL]],
    ids=lambda args: args[0] if args[0] != "export" else "export-metrics",
)  # fmt: skip
@pytest.mark.parametrize("given_as", ["option", "variable"])
def test_a_runs_dir_with_a_name_too_long_is_one_line_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], given_as: str
) -> None:
    """This was an OSError traceback (File name too long) in evaluate, sweep and the others."""
    runs_dir = str(tmp_path / LONG)
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in command]
    if given_as == "option":
        args += ["--runs-dir", runs_dir]
    else:
        monkeypatch.setenv("GANCURVE_RUNS_DIR", runs_dir)
    said = fails_in_one_line(args, 2, "the name is too long")
    assert ("--runs-dir" if given_as == "option" else "$GANCURVE_RUNS_DIR") in said
    assert "(300 characters)" in said and LONG not in said  # the path is shown, cut short


def test_runs_dir_paths_that_cannot_be_looked_at_are_one_line(tmp_path: Path) -> None:
    """A link loop ("File exists" before), a link to nothing, a file in the way: each says what it is."""
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    (tmp_path / "file").write_text("")
    for runs_dir, said in [("loop", "symbolic links form a loop"), ("gone", "a symbolic link to nothing"),
                           ("file/runs", "a part of that path is a file")]:  # fmt: skip
        for command in (["train", *SMALL], ["evaluate"]):
            fails_in_one_line([*command, "--runs-dir", str(tmp_path / runs_dir)], 2, said)


def test_a_run_name_that_is_a_link_loop_or_too_long_is_one_line(runs: Path) -> None:
    """A link loop as a run's name said "already exists" ("File exists" for a runs dir); a name of
    300 characters was a traceback."""
    (runs / "loop").symlink_to("loop")
    (runs / "sw" / "loop").symlink_to("loop")
    where = ["--runs-dir", str(runs)]
    for name in ("loop", LONG):
        said = "symbolic links form a loop" if name == "loop" else "the name is too long"
        fails_in_one_line(["train", "--name", name, *SMALL, *where], 2, said, unchanged=runs)
        fails_in_one_line(["sweep", "--seeds", "1", "--name", name, *SMALL, *where], 2, said, unchanged=runs)
        fails_in_one_line(["evaluate", "--run", name, *where], 2, said)
        fails_in_one_line(["plot", "--run", f"sw/{name}", *where], 2, said)
        fails_in_one_line(["compare", name, "sw", *where], 2, said)


# -- item 9 and the tour: plot's argument names a run, sweep or grid first ----------------------------


@pytest.mark.parametrize("name", ["gl/lr-g-0.0001", "gl", "sw", "sw/seed-1", "sw/seed-002"])
def test_plot_draws_what_its_argument_names_even_with_a_dot(runs: Path, name: str) -> None:
    """The grid's hint 'gancurve plot gl/lr-g-0.0001' failed: a name with a dot was taken for a file."""
    code, stdout, stderr = run_cli("plot", name, "--runs-dir", str(runs))
    assert code == 0, stderr
    written = Path(stdout.strip())
    assert written.is_file() and written.parent.relative_to(runs).parts[0] == name.split("/")[0]


def test_plot_takes_any_other_argument_for_the_figure_file(runs: Path, tmp_path: Path) -> None:
    code, _, stderr = run_cli(
        "plot", str(tmp_path / "fig.svg"), "--run", "sw/seed-001", "--runs-dir", str(runs)
    )
    assert code == 0 and (tmp_path / "fig.svg").is_file(), stderr
    said = fails_in_one_line(
        ["plot", "nothing", "--runs-dir", str(runs)], 2, "No run, sweep or grid 'nothing'"
    )
    assert "use a .png, .svg or .pdf" in said


# -- item 17: a sweep where one run is needed; names with their sweep ------------------------------------


@pytest.mark.parametrize(
    ("name", "example"),
    [("sw", "sw/seed-001"), ("gl", "gl/lr-g-0.0001/seed-001"), ("gl/lr-g-0.0002", "gl/lr-g-0.0002/seed-001")],
)
def test_a_sweep_given_for_one_run_suggests_its_first_member(runs: Path, name: str, example: str) -> None:
    said = fails_in_one_line(["evaluate", "--run", name, "--runs-dir", str(runs)], 1, f"e.g. {example}.")
    assert "not one run" in said
    resume = ["train", "--resume", "--name", name, *SMALL, "--runs-dir", str(runs)]
    fails_in_one_line(resume, 1, f"continue it with 'gancurve sweep --resume --name {name}'", unchanged=runs)


def test_a_members_name_says_its_sweep(made: Path) -> None:
    from gancurve.store.rundir import RunDir

    assert RunDir(made / "sw" / "seed-002").label == "sw/seed-002"
    assert RunDir(made / "gl" / "lr-g-0.0001" / "seed-001").label == "gl/lr-g-0.0001/seed-001"
    assert RunDir(made / "solo").label == "solo"


# -- the newcomer: a bare plot or evaluate reads the most recently trained run, a member included ------


def test_the_latest_run_is_the_latest_trained_a_sweeps_member_included(runs: Path) -> None:
    """After a sweep, a bare evaluate read the older single run, while the docs said "the most
    recently trained run"; train --resume without --name still continues single runs only."""
    where = ["--runs-dir", str(runs)]
    assert run_cli("train", "--name", "solo", *SMALL, *where)[0] == 0
    code, stdout, stderr = run_cli("sweep", "--seeds", "2", "--name", "later", *SMALL, *where)
    assert code == 0, stderr
    code, stdout, stderr = run_cli("plot", *where)
    assert code == 0, stderr
    assert Path(stdout.strip()).parent.parent == runs / "later"  # one of its members
    code, stdout, stderr = run_cli("evaluate", "--json", *where)
    assert code == 0 and json.loads(stdout)["run"].startswith("seed-"), stderr
    code, _, stderr = run_cli("train", "--resume", *SMALL[:1], "180", *SMALL[2:], *where)
    assert code == 0, stderr
    assert json.loads((runs / "solo" / "metrics.csv").read_text().splitlines()[-1].split(",")[0]) == 180


# -- item 13: sample --a beyond float32, and JSON that is JSON -------------------------------------------


def _strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity, as every other JSON reader does."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def conditional(made: Path) -> Path:
    """A 100-step run 'ca' trained with --condition a, beside the sweeps."""
    args = [
        "train",
        "--condition",
        "a",
        "--name",
        "ca",
        "--runs-dir",
        str(made),
        *SMALL[:1],
        "100",
        *SMALL[2:],
    ]
    code, _, stderr = run_cli(*args)
    assert code == 0, stderr
    return made


@pytest.mark.parametrize("value", ["1e308", "-1e39", "inf", "nan"])
def test_an_a_that_float32_cannot_hold_is_refused(conditional: Path, value: str) -> None:
    """1e308 was accepted: NaN paintings, numpy warnings with source paths, and NaN in the JSON."""
    args = ["sample", "--run", "ca", f"--a={value}", "--format", "json", "--runs-dir", str(conditional)]
    said = fails_in_one_line(args, 2, "--a must be a finite number of float32")
    assert "3.403e+38" in said


def test_a_large_a_that_float32_holds_gives_strict_json_and_no_warnings(conditional: Path) -> None:
    code, stdout, stderr = run_cli("sample", "--run", "ca", "--a=3e38", "--format", "json", "-n", "3",
                                   "--runs-dir", str(conditional))  # fmt: skip
    assert code == 0 and "Warning" not in stderr and ".py:" not in stderr, stderr
    assert len(_strict_json(stdout)["y"]) == 3


def test_samples_and_metrics_that_are_not_finite_are_null_in_json(tmp_path: Path) -> None:
    """No output format writes NaN/Infinity as "JSON": samples (stdout and files), metrics."""
    import numpy as np

    from gancurve.results.exports import export_metrics
    from gancurve.results.sampling import Samples, to_json, write_samples

    y = np.array([[0.5, np.nan], [np.inf, -np.inf]], np.float32)
    samples = Samples(x=np.array([0.0, 1.0]), y=y, a_hat=np.array([1.0, np.nan]),
                      residual=np.array([np.inf, 0.0]), step=3)  # fmt: skip
    data = _strict_json(to_json(samples))
    assert data["y"] == [[0.5, None], [None, None]] and data["a_hat"] == [1.0, None]
    write_samples(samples, "json", tmp_path / "s.json")
    assert _strict_json((tmp_path / "s.json").read_text())["residual"] == [None, 0.0]
    export_metrics(
        [{"step": 1.0, "w1": float("inf")}, {"step": 2.0, "w1": float("nan")}], tmp_path / "m.json"
    )
    assert [row["w1"] for row in _strict_json((tmp_path / "m.json").read_text())] == [None, None]


# -- the newcomer's pictures: every panel says what its axes are, an empty panel says why --------------


def _figure_of(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The figure ``gancurve plot ARGS`` draws (caught before it is written)."""
    import gancurve.render.plot as plot_module

    caught: list[Any] = []
    monkeypatch.setattr(plot_module, "write_plot", lambda figure, output: caught.append(figure))
    code, _, stderr = run_cli("plot", *args)
    assert code == 0 and len(caught) == 1, stderr
    return caught[0]


def _panel(figure: Any, letter: str) -> Any:
    return next(axes for axes in figure.axes if axes.get_title().startswith(f"({letter})"))


def test_the_losses_and_the_final_w1_panels_have_y_labels(
    made: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _figure_of(["sw/seed-001", "--runs-dir", str(made)], monkeypatch)
    assert "loss" in _panel(run, "d").get_ylabel()
    assert "run sw/seed-001 " in run.get_suptitle()  # the member named with its sweep
    sweep = _figure_of(["sw", "--runs-dir", str(made)], monkeypatch)
    assert "seeds" in _panel(sweep, "b").get_ylabel()


def test_a_grid_of_a_few_steps_says_why_its_panel_a_has_no_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 steps measure W1 once (at the end): panel (a) was empty, without a word."""
    args = ["--seeds", "2", "--steps", "100", "--lr-g", "0.0001,0.0002", "--runs-dir", str(tmp_path)]
    assert run_cli("sweep", "--name", "few", *args)[0] == 0
    figure = _figure_of(["few", "--runs-dir", str(tmp_path)], monkeypatch)
    panel = _panel(figure, "a")
    assert any("measured once, at step 100" in text.get_text() for text in panel.texts)
    assert all(line.get_marker() == "o" for line in panel.get_lines() if len(line.get_xdata()) == 1)


def test_the_animations_critic_panel_says_what_a_is_in_plain_words(
    trained_runs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "a (the painting a·basis + offset of the artist's family)"."""
    from gancurve.render import critic_strip

    labels: list[str] = []
    original = critic_strip.CriticStrip.__init__

    def spy(self: Any, axes: Any, *rest: Any) -> None:
        original(self, axes, *rest)
        labels.append(axes.get_xlabel())

    monkeypatch.setattr(critic_strip.CriticStrip, "__init__", spy)
    code, _, stderr = run_cli(
        "animate", str(tmp_path / "a.gif"), "--run", "tiny", "--runs-dir", str(trained_runs_dir)
    )
    assert code == 0 and labels, stderr
    assert "basis" not in labels[0] and "offset" not in labels[0] and "fitted a" in labels[0]
