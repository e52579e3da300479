"""``gancurve sweep``: seeds, members that are ordinary runs, the summary, resume, divergence."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import read_checkpoint_file, run_cli

from gancurve.core.engines import layout
from gancurve.core.recipes import choose
from gancurve.errors import UsageError
from gancurve.store.rundir import RunDir, member_name, member_seed
from gancurve.store.sweeps import check_seeds
from gancurve.sweeps.opening import SweepRequest, open_sweep
from gancurve.sweeps.seeds import describe, parse_seeds
from gancurve.sweeps.session import SilentSweepReporter
from gancurve.sweeps.summary import aggregate, member_row, wilson_interval
from gancurve.training.cadence import Cadence
from gancurve.training.signals import StopFlag

SMALL = ["--log-every", "20", "--snapshot-every", "20", "--eval-every", "60", "--checkpoint-every", "60"]


@pytest.mark.parametrize(
    ("spec", "seeds"),
    [("3", (1, 2, 3)), ("1-4", (1, 2, 3, 4)), ("1-3,37,99", (1, 2, 3, 37, 99)), ("0,5-6", (0, 5, 6))],
)
def test_seeds_parse(spec: str, seeds: tuple[int, ...]) -> None:
    assert parse_seeds(spec) == seeds
    assert parse_seeds(describe(seeds)) == seeds


@pytest.mark.parametrize(
    ("spec", "message"),
    [("", "empty"), ("0", "at least 1"), ("5-3", "backwards"), ("a", "not a seed"), ("1,2,1", "twice"),
     ("1-", "not a seed"), ("1-20000", "more than")],
)  # fmt: skip
def test_bad_seeds_are_refused_with_a_sentence(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_seeds(spec)


@pytest.mark.parametrize(
    "spec",
    ["4294967296", "99999999999999999999999", "10000000", "9" * 5000, "1-9999,10000-19999", "²", "1-²"],
)
def test_huge_seed_counts_are_refused_before_any_list_is_built(spec: str) -> None:
    """Issue 21, item 4: these raised MemoryError/OverflowError/ValueError, or took 443 MB first."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(UsageError, match=r"at most 10,000|larger than the largest|not a seed"):
            parse_seeds(spec)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # bytes: the refusal builds nothing the size of the count


def test_seeds_read_back_from_disk_are_checked_like_the_option() -> None:
    """check_seeds: the same limits for seeds that come from a file (its name in the message)."""
    assert check_seeds([3, 1, 2], "sweep.json") == (3, 1, 2)
    bad: list[tuple[list[object], str]] = [
        (list(range(20_000)), "20,000 seeds"), ([1, 1], "twice"), ([1, "2"], "not a seed"),
        ([True], "not a seed"), ([2**63], "largest seed"), ([], "no seed"), ([-1], "not a seed"),
    ]  # fmt: skip
    for seeds, message in bad:
        with pytest.raises(UsageError, match=message) as caught:
            check_seeds(seeds, "runs/x/sweep.json")
        assert "runs/x/sweep.json" in str(caught.value)


def test_bad_seeds_on_the_command_line_exit_2_with_one_line(tmp_path: Path) -> None:
    code, _, stderr = run_cli("sweep", "--seeds", "5-3", "--runs-dir", str(tmp_path))
    assert code == 2 and stderr.count("\n") == 1 and "backwards" in stderr
    assert not any(tmp_path.iterdir())  # nothing created


def test_member_names_round_trip() -> None:
    assert member_name(7) == "seed-007" and member_name(1234) == "seed-1234"
    assert member_seed("seed-007") == member_seed("seed-7") == 7 and member_seed("run-7") is None


def test_wilson_interval_matches_the_published_values() -> None:
    """Hand-checked against the textbook table (Newcombe 1998): 5/10, 0/10 and 10/10 at 95%."""
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    low, high = wilson_interval(81, 263)  # Newcombe's example: 0.3080 (0.2553 to 0.3662)
    assert (low, high) == pytest.approx((0.2553, 0.3662), abs=1e-4)


def test_aggregate_counts_and_ranks_the_worst_first() -> None:
    metrics = {"w1": 0.05, "residual": 0.02, "in_bounds": 0.95}
    rows = [
        member_row(1, "seed-001", 100, "converged", "", metrics),
        member_row(2, "seed-002", 100, "converged", "", {**metrics, "w1": 0.07}),
        member_row(3, "seed-003", 40, "diverged", "blew up", None),
        member_row(4, "seed-004", 100, "collapsed", "", {**metrics, "w1": 0.3}),
    ]
    outcome = aggregate(rows)
    assert outcome["converged"] == 2 and outcome["success_rate"] == 0.5
    assert outcome["success_rate_95"] == list(wilson_interval(2, 4))
    assert outcome["collapsed"] == 1 and outcome["diverged"] == 1
    assert outcome["w1_max"] == math.inf and outcome["w1_median"] == pytest.approx((0.07 + 0.3) / 2)
    assert [w["seed"] for w in outcome["worst"]] == [3, 4, 2, 1]
    assert outcome["residual_mean"] == pytest.approx(0.02)  # the diverged member has no residual


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-seed, 120-step sweep named 'trio', trained through the CLI."""
    runs = tmp_path_factory.mktemp("runs")
    code, stdout, stderr = run_cli(
        "sweep", "--seeds", "1-2,5", "--steps", "120", "--runs-dir", str(runs), "--name", "trio", *SMALL
    )
    assert code == 0, stderr
    assert "converged" in stdout or "still learning" in stdout
    return runs


def test_a_sweep_writes_its_files_and_one_run_per_seed(swept: Path) -> None:
    sweep = swept / "trio"
    assert {p.name for p in sweep.iterdir()} == {
        "sweep.json", "summary.csv", "summary.json", "seed-001", "seed-002", "seed-005"
    }  # fmt: skip
    facts = json.loads((sweep / "sweep.json").read_text())
    assert facts["seeds"] == [1, 2, 5] and facts["cadence"]["steps"] == 120
    summary = json.loads((sweep / "summary.json").read_text())
    assert [row["seed"] for row in summary["members"]] == [1, 2, 5]
    assert summary["aggregate"]["members"] == 3
    assert (sweep / "summary.csv").read_text().splitlines()[0].startswith("seed,run,step,verdict,w1")
    for seed in (1, 2, 5):
        member = json.loads((sweep / f"seed-{seed:03d}" / "config.json").read_text())
        assert member["config"]["seed"] == seed


def test_a_member_is_exactly_the_run_train_makes(swept: Path, tmp_path: Path) -> None:
    code, _, stderr = run_cli("train", "--seed", "5", "--steps", "120", "--runs-dir", str(tmp_path),
                              "--name", "alone", *SMALL)  # fmt: skip
    assert code == 0, stderr
    _, mine = read_checkpoint_file(swept / "trio" / "seed-005" / "checkpoint.safetensors")
    _, theirs = read_checkpoint_file(tmp_path / "alone" / "checkpoint.safetensors")
    assert mine.keys() == theirs.keys()
    assert all(np.array_equal(mine[key], theirs[key]) for key in mine)
    # The same rows, but for D's columns (against the optimal D, its slope at the real painting),
    # which a run alone logs at every logged step with its critic frames and a sweep's member at
    # evaluations only (docs/metrics.md).
    from gancurve.training.session import CRITIC_KEYS

    member = RunDir(swept / "trio" / "seed-005").read_metrics()
    alone = RunDir(tmp_path / "alone").read_metrics()
    assert [{k: v for k, v in row.items() if k not in CRITIC_KEYS} for row in member] == [
        {k: v for k, v in row.items() if k not in CRITIC_KEYS} for row in alone
    ]
    for mine_row, alone_row in zip(member, alone, strict=True):
        for key in CRITIC_KEYS:
            assert mine_row.get(key, alone_row[key]) == alone_row[key]
    assert any("d_star_gap" not in row for row in member)
    assert any("d_slope_real" in row for row in member) and any("d_slope_real" not in row for row in member)


def test_the_summary_row_is_what_evaluate_says(swept: Path) -> None:
    code, stdout, _ = run_cli("evaluate", "--run", "trio/seed-2", "--runs-dir", str(swept), "--json")
    assert code == 0
    evaluation = json.loads(stdout)
    row = json.loads((swept / "trio" / "summary.json").read_text())["members"][1]
    assert row["run"] == "seed-002" and row["step"] == evaluation["step"] == 120
    assert row["w1"] == pytest.approx(evaluation["generator"]["w1"], abs=1e-12)
    assert row["verdict"] == evaluation["verdict"]["label"]


@pytest.mark.parametrize(
    "command",
    [
        ["sample", "-n", "3", "--format", "json"],
        ["plot", "{tmp}/member.png"],
        ["animate", "{tmp}/member.gif"],
        ["export", "samples", "{tmp}/member.npz", "-n", "4"],
        ["export", "metrics", "{tmp}/member.json"],
    ],
)
def test_every_command_reads_a_member(swept: Path, tmp_path: Path, command: list[str]) -> None:
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    code, _, stderr = run_cli(*args, "--run", "trio/seed-001", "--runs-dir", str(swept))
    assert code == 0, stderr


def test_a_member_continues_alone_with_train_resume(swept: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(swept / "trio", runs / "trio")
    code, _, stderr = run_cli("train", "--resume", "--name", "trio/seed-005", "--steps", "140",
                              "--runs-dir", str(runs), *SMALL)  # fmt: skip
    assert code == 0, stderr
    assert json.loads((runs / "trio" / "seed-005" / "config.json").read_text())["cadence"]["steps"] == 140


def test_resuming_a_sweep_equals_running_it_straight(tmp_path: Path) -> None:
    def sweep(name: str, steps: int, *extra: str) -> None:
        code, _, stderr = run_cli("sweep", "--name", name, "--steps", str(steps), "--runs-dir",
                                  str(tmp_path), *SMALL, *extra)  # fmt: skip
        assert code == 0, stderr

    sweep("straight", 180, "--seeds", "3-5")
    sweep("resumed", 120, "--seeds", "3-5")
    # A crash mid-save: member seed-004 of 'resumed' is back at its step-60 checkpoint.
    sweep("behind", 60, "--seeds", "3-5")
    shutil.rmtree(tmp_path / "resumed" / "seed-004")
    shutil.copytree(tmp_path / "behind" / "seed-004", tmp_path / "resumed" / "seed-004")
    sweep("resumed", 180, "--resume")
    straight = json.loads((tmp_path / "straight" / "summary.json").read_text())
    resumed = json.loads((tmp_path / "resumed" / "summary.json").read_text())
    assert straight == resumed
    for seed in ("seed-003", "seed-004", "seed-005"):
        _, mine = read_checkpoint_file(tmp_path / "resumed" / seed / "checkpoint.safetensors")
        _, theirs = read_checkpoint_file(tmp_path / "straight" / seed / "checkpoint.safetensors")
        assert all(np.array_equal(mine[key], theirs[key]) for key in theirs)
        assert (tmp_path / "resumed" / seed / "metrics.csv").read_text() == (
            tmp_path / "straight" / seed / "metrics.csv"
        ).read_text()


def test_resume_refuses_other_seeds_and_a_missing_sweep(swept: Path) -> None:
    code, _, stderr = run_cli("sweep", "--resume", "--name", "trio", "--seeds", "1-4", "--steps", "200",
                              "--runs-dir", str(swept))  # fmt: skip
    assert code == 2 and "drop --seeds" in stderr
    code, _, stderr = run_cli("sweep", "--resume", "--name", "nope", "--runs-dir", str(swept))
    assert code == 1 and "No sweep 'nope'" in stderr and stderr.count("\n") == 1


def test_a_diverging_member_is_recorded_and_the_others_finish(tmp_path: Path) -> None:
    request = SweepRequest(
        runs_dir=tmp_path, name="wild", seeds=(1, 2, 3),
        cadence=Cadence(steps=200, log_every=20, snapshot_every=20, eval_every=20, checkpoint_every=100),
        choices=choose({}, 200),
    )  # fmt: skip
    with open_sweep(request) as session:
        # The test hook: seed 2 alone learns a thousand times too fast.
        session.engine.hyper[1, [layout.LR_G, layout.LR_D]] = 1.0
        outcome = session.train(SilentSweepReporter(), StopFlag())
    rows = {row["seed"]: row for row in outcome.rows}
    assert rows[2]["verdict"] == "diverged" and rows[2]["step"] < 200
    assert rows[1]["step"] == rows[3]["step"] == 200 and rows[1]["verdict"] != "diverged"
    assert outcome.aggregate["diverged"] == 1 and outcome.aggregate["worst"][0]["seed"] == 2
    summary = json.loads((tmp_path / "wild" / "summary.json").read_text())
    assert summary["members"][1]["verdict"] == "diverged" and summary["members"][1]["w1"] is None
    assert (tmp_path / "wild" / "seed-002" / "config.json").is_file()  # its run directory stays


def test_plot_draws_the_sweep_figure(swept: Path, tmp_path: Path) -> None:
    code, stdout, stderr = run_cli("plot", "trio", "--runs-dir", str(swept))
    assert code == 0, stderr
    assert Path(stdout.strip()) == swept / "trio" / "plot.png"
    code, _, stderr = run_cli("plot", str(tmp_path / "sweep.svg"), "--run", "trio", "--runs-dir", str(swept))
    assert code == 0, stderr
    svg = (tmp_path / "sweep.svg").read_text()
    assert "the worst seed" in svg and "one dot per seed" in svg  # the panels' titles


def test_plot_of_an_unfinished_sweep_says_how_to_finish_it(tmp_path: Path) -> None:
    sweep = tmp_path / "half"
    sweep.mkdir()
    (sweep / "sweep.json").write_text(json.dumps({"seeds": [1, 2]}))
    code, _, stderr = run_cli("plot", "--run", "half", "--runs-dir", str(tmp_path))
    assert code == 1 and "gancurve sweep --resume" in stderr and stderr.count("\n") == 1


def test_resume_to_fewer_steps_than_done_says_where_the_sweep_is(swept: Path) -> None:
    code, _, stderr = run_cli(
        "sweep", "--resume", "--name", "trio", "--steps", "100", "--runs-dir", str(swept)
    )
    assert code == 2 and "already at step 120" in stderr


def test_a_member_changed_behind_the_sweeps_back_needs_force(swept: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(swept / "trio", runs / "trio")
    code, _, stderr = run_cli("train", "--resume", "--name", "trio/seed-005", "--steps", "140", "--force",
                              "--lr-d", "2e-4", "--runs-dir", str(runs), *SMALL)  # fmt: skip
    assert code == 0, stderr
    code, _, stderr = run_cli(
        "sweep", "--resume", "--name", "trio", "--steps", "180", "--runs-dir", str(runs)
    )
    assert code == 2 and "seed-005" in stderr and "lr_d" in stderr and "--force" in stderr


def test_a_sweep_on_the_torch_engine_writes_the_same_kind_of_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GPU path of a sweep, run on the CPU: the torch engine behind the same loop and files."""
    from gancurve.core.engines.batched_torch import TorchBatchedEngine
    from gancurve.sweeps import opening as sweep_session

    monkeypatch.setattr(
        sweep_session, "_make_engine", lambda configs, device: TorchBatchedEngine(configs, "cpu")
    )
    request = SweepRequest(
        runs_dir=tmp_path, name="gpu-path", seeds=(1, 2),
        cadence=Cadence(steps=60, log_every=20, snapshot_every=20, eval_every=60, checkpoint_every=60),
        choices=choose({}, 200),
    )  # fmt: skip
    with open_sweep(request) as session:
        assert isinstance(session.engine, TorchBatchedEngine)
        outcome = session.train(SilentSweepReporter(), StopFlag())
    assert [row["step"] for row in outcome.rows] == [60, 60]
    code, _, stderr = run_cli("sample", "--run", "gpu-path/seed-2", "--runs-dir", str(tmp_path), "-n", "2")
    assert code == 0, stderr


def test_a_sweep_whose_every_member_diverged_early_says_so(tmp_path: Path) -> None:
    """Every member blown up before the last step (--lr-g 1e23): the summary says diverged, every
    seed, exit 0 as for any sweep that finished; it printed nothing and wrote no summary, and
    plot's 'finish it with sweep --resume' led to a resume that again did nothing."""
    wild = ["--seeds", "2", "--steps", "100", "--lr-g", "1e23", "--name", "wild", "--device", "cpu"]
    code, stdout, stderr = run_cli("sweep", *wild, "--runs-dir", str(tmp_path))
    assert code == 0, stderr
    summary = json.loads((tmp_path / "wild" / "summary.json").read_text())
    assert [row["verdict"] for row in summary["members"]] == ["diverged", "diverged"]
    assert "0 of 2" in stdout and stderr.count("Training diverged at step 50") == 2
    assert "animate" not in stdout  # nothing was saved to animate ("has no snapshots.npz")
