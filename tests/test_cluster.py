"""Sweeps and grids on a real Dask cluster (``sweep --cluster``): a LocalCluster of 2 worker
processes, the numbers and bytes of the in-process sweep, and the faults (a worker killed, the
client killed, a worker of another version, no scheduler, Ctrl-C)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

try:
    import distributed
except ImportError:  # CI installs the dev extra, which holds it: there it must run
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("distributed is not installed: pip install 'gancurve[cluster]'", allow_module_level=True)

import gancurve as gc
from gancurve.api import GancurveWarning
from gancurve.core.config import TrainConfig
from gancurve.errors import GancurveError
from gancurve.store.rundir import TRAINED_FILES
from gancurve.sweeps.cluster import SHARD_MODEL_STEPS, Shard, shard_size, train_shard, versions
from gancurve.training.signals import StopFlag

SEEDS, STEPS = range(1, 7), 300
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def local_cluster(**env: str) -> distributed.LocalCluster:
    """A LocalCluster of 2 worker processes, as ``--cluster local:2`` starts."""
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
        env={**WORKER_ENV, **env},
    )


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The in-process sweep of SEEDS × STEPS on the CPU."""
    runs = tmp_path_factory.mktemp("reference")
    gc.sweep(seeds=SEEDS, steps=STEPS, runs_dir=runs, name="ref", device="cpu", progress=False)
    return runs / "ref"


def assert_same_sweep(a: Path, b: Path, seeds: range | tuple[int, ...] = SEEDS) -> None:
    """Summaries and every member's files byte for byte; config.json but for its time of writing."""
    for name in ("summary.csv", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for seed in seeds:
        member = f"seed-{seed:03d}"
        for name in TRAINED_FILES:
            here, there = a / member / name, b / member / name
            if name == "config.json":
                assert _timeless(here) == _timeless(there), f"{member}/{name}"
            else:
                assert here.read_bytes() == there.read_bytes(), f"{member}/{name}"


def _timeless(config: Path) -> list[str]:
    return [line for line in config.read_text().splitlines() if '"written"' not in line]


@pytest.mark.slow
def test_a_sweep_on_the_cluster_is_the_in_process_sweep_byte_for_byte(
    client: distributed.Client, reference: Path, tmp_path: Path
) -> None:
    study = gc.sweep(seeds=SEEDS, steps=STEPS, runs_dir=tmp_path, name="dist", cluster=client, progress=False)
    assert isinstance(study, gc.Sweep) and study.path == tmp_path / "dist"
    assert_same_sweep(reference, tmp_path / "dist")
    assert client.status == "running"  # the caller's client is left open


@pytest.mark.slow
def test_a_sweep_trained_here_continues_on_the_cluster_as_if_never_stopped(
    client: distributed.Client, reference: Path, tmp_path: Path
) -> None:
    # The workers continue each member from its files, sent with its shard.
    gc.sweep(seeds=SEEDS, steps=STEPS // 2, runs_dir=tmp_path, name="half", device="cpu", progress=False)
    gc.sweep(resume="half", steps=STEPS, runs_dir=tmp_path, cluster=client, progress=False)
    assert_same_sweep(reference, tmp_path / "half")


@pytest.mark.slow
def test_a_grid_on_the_cluster_is_the_in_process_grid(client: distributed.Client, tmp_path: Path) -> None:
    options: dict[str, Any] = {"seeds": range(1, 4), "steps": 200, "loss": ["minimax", "hinge"]}
    options["progress"] = False
    here = gc.sweep(runs_dir=tmp_path / "here", name="g", device="cpu", **options)
    there = gc.sweep(runs_dir=tmp_path / "there", name="g", cluster=client, **options)
    assert isinstance(here, gc.Grid) and isinstance(there, gc.Grid)
    for name in ("summary.csv", "summary.json"):
        assert (here.path / name).read_bytes() == (there.path / name).read_bytes()
    for recipe in ("loss-minimax", "loss-hinge"):
        assert_same_sweep(here.path / recipe, there.path / recipe, range(1, 4))


class StopWhenAllAreIn:
    """A progress reporter that asks the study to stop once every member came back."""

    def __init__(self, stop: StopFlag) -> None:
        self.stop, self.total = stop, 0

    def start(self, total: int, done: int, members: int = 1) -> None:
        self.total = total

    def advance(self, step: int, row: dict[str, float]) -> None:
        if step == self.total:
            self.stop.request(signal.SIGINT)


@pytest.mark.slow
def test_a_stop_once_every_member_is_in_leaves_no_summary_and_resume_writes_it(
    client: distributed.Client, reference: Path, tmp_path: Path
) -> None:
    from gancurve.core.recipes import Choices
    from gancurve.sweeps.cluster import ClusterSpec, run_on_cluster
    from gancurve.sweeps.opening import SweepRequest
    from gancurve.training.cadence import Cadence

    stop = StopFlag()
    request = SweepRequest(
        tmp_path, "s", tuple(SEEDS), Cadence(steps=STEPS), Choices(TrainConfig(), frozenset())
    )
    ran = run_on_cluster(request, ClusterSpec(client=client), stop, StopWhenAllAreIn(stop))
    assert ran.outcome.interrupted_by == signal.SIGINT and ran.outcome.unsaved == 0
    assert not (tmp_path / "s" / "summary.json").exists()
    written = _written(tmp_path / "s")
    assert len(written) == len(SEEDS)
    gc.sweep(resume="s", runs_dir=tmp_path, cluster=client, progress=False)  # trains nothing: scores them
    assert _written(tmp_path / "s") == written
    assert_same_sweep(reference, tmp_path / "s")


@pytest.mark.slow
def test_members_that_diverge_on_the_cluster_are_recorded_as_in_process(
    client: distributed.Client, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"seeds": range(1, 5), "steps": 200, "lr_g": 10.0, "progress": False}
    with pytest.warns(GancurveWarning) as here:
        gc.sweep(runs_dir=tmp_path / "here", name="d", device="cpu", **options)
    with pytest.warns(GancurveWarning) as there:
        gc.sweep(runs_dir=tmp_path / "there", name="d", cluster=client, **options)
    assert [str(w.message) for w in here] == [str(w.message) for w in there]
    assert "diverged" in (tmp_path / "there" / "d" / "summary.csv").read_text()
    for name in ("summary.csv", "summary.json"):
        assert (tmp_path / "here" / "d" / name).read_bytes() == (tmp_path / "there" / "d" / name).read_bytes()


@pytest.mark.slow
def test_a_worker_killed_mid_shard_is_replaced_and_the_sweep_is_the_same(
    reference: Path, tmp_path: Path
) -> None:
    # Every file a worker writes in its scratch waits 0.2 s: a shard lasts seconds, and the kill
    # lands inside one (the client's own writes are not slowed).
    with local_cluster(GANCURVE_TEST_WRITE_DELAY="0.2") as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        failure: list[BaseException] = []

        def study() -> None:
            try:
                gc.sweep(seeds=SEEDS, steps=STEPS, runs_dir=tmp_path, name="k", cluster=client)
            except BaseException as error:
                failure.append(error)

        thread = threading.Thread(target=study)
        thread.start()
        victim = None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            executing = client.run(lambda dask_worker: len(dask_worker.state.executing))
            victim = next((worker for worker, count in executing.items() if count), None)
            time.sleep(0.05)
        assert victim is not None, "no shard ever ran"
        os.kill(pids[victim], signal.SIGKILL)  # mid-shard: it writes for ~2 s
        thread.join(120)
        assert not thread.is_alive() and not failure, failure
        assert pids[victim] not in client.run(os.getpid).values()  # the nanny started another
    assert_same_sweep(reference, tmp_path / "k")


@pytest.mark.slow
def test_a_worker_of_another_version_is_refused_before_anything_is_made(
    client: distributed.Client, tmp_path: Path
) -> None:
    client.register_plugin(OtherVersion(), name="other-version")
    try:
        with pytest.raises(GancurveError) as refused:
            gc.sweep(seeds=SEEDS, steps=STEPS, runs_dir=tmp_path, name="v", cluster=client, progress=False)
    finally:
        client.unregister_worker_plugin("other-version")
    message = str(refused.value)
    assert "runs gancurve 0.0.0-other, this client gancurve " + gc.__version__ in message
    assert "\n" not in message
    assert not (tmp_path / "v").exists()


def test_a_shard_from_a_client_of_another_version_is_refused_by_the_worker(
    client: distributed.Client,
) -> None:
    # A worker that joins once the study runs is not in the first check: the shard checks again.
    from gancurve.training.cadence import Cadence

    theirs = {**versions(), "numpy": "1.0.0"}
    shard = Shard(0, TrainConfig(), (1,), Cadence(steps=10), "cpu", False, theirs)
    with pytest.raises(GancurveError, match=r"runs numpy \S+, this client numpy 1\.0\.0"):
        client.submit(train_shard, shard, pure=False).result()


class OtherVersion(distributed.WorkerPlugin):
    """Makes a real worker report another gancurve (its module's version, as the workers read it)."""

    def setup(self, worker: distributed.Worker) -> None:
        import gancurve.version

        self.real = gancurve.version.__version__
        gancurve.version.__version__ = "0.0.0-other"

    def teardown(self, worker: distributed.Worker) -> None:
        import gancurve.version

        gancurve.version.__version__ = self.real


def test_an_unreachable_scheduler_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    runs = tmp_path / "runs"
    code, _, err = run_cli("sweep", "--seeds", "1-2", "--steps", "100", "--runs-dir", str(runs),
                           "--cluster", f"tcp://127.0.0.1:{port}")  # fmt: skip
    assert code == 1
    # one line, and nothing before it (the progress bar, started before the connection, once
    # left a blank line on stderr when it stopped)
    assert err.count("\n") == 1 and err.startswith("Error: Cannot reach the Dask scheduler")
    assert not runs.exists()


@pytest.mark.parametrize("text", ["local:0", "local:x", "somewhere", "tcp://host"])
def test_a_malformed_cluster_is_a_usage_error(text: str, tmp_path: Path) -> None:
    code, _, err = run_cli("sweep", "--seeds", "1-2", "--runs-dir", str(tmp_path), "--cluster", text)
    assert code == 2 and "--cluster" in err and err.strip().count("\n") == 0
    assert not any(tmp_path.iterdir())


def test_without_distributed_the_cluster_says_how_to_install_it(tmp_path: Path) -> None:
    runs = str(tmp_path / "runs")
    argv = ["gancurve", "sweep", "--seeds", "1-2", "--runs-dir", runs, "--cluster", "local:2"]
    code = (
        "import sys; sys.modules['distributed'] = None; "  # as if it were not installed
        f"sys.argv = {argv!r}; from gancurve.__main__ import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "pipx install 'gancurve[cluster]'" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_the_command_line_and_the_package_never_import_distributed() -> None:
    probe = "import sys, gancurve, gancurve.cli; gancurve.sweep; assert 'distributed' not in sys.modules"
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=120)


def test_shards_take_tens_of_seconds_and_spread_over_the_workers() -> None:
    assert shard_size(10_000, 10_000, 8) == SHARD_MODEL_STEPS // 10_000  # long: by time
    assert shard_size(8, 300, 2) == 2  # small: two shards per worker
    assert shard_size(1, 10**9, 4) == 1


def _client_process(runs: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "gancurve", "sweep", "--seeds", f"{SEEDS[0]}-{SEEDS[-1]}",
            "--steps", str(STEPS), "--runs-dir", str(runs), "--name", "big", "--cluster", "local:2",
            *extra]  # fmt: skip
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
        start_new_session=True,  # its own process group: a Ctrl-C reaches it and its workers alone
    )  # fmt: skip


def _written(sweep: Path) -> dict[str, int]:
    """The members with a checkpoint, and when it was written (ns)."""
    return {
        member.name: (member / "checkpoint.safetensors").stat().st_mtime_ns
        for member in sorted(sweep.glob("seed-*"))
        if (member / "checkpoint.safetensors").is_file()
    }


def _wait_for_a_member(process: subprocess.Popen[str], sweep: Path) -> None:
    deadline = time.monotonic() + 90
    while not _written(sweep) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    assert _written(sweep), "no member was written in time"


def _end(process: subprocess.Popen[str]) -> None:
    """Make sure nothing the client started outlives the test (its workers die with it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


@pytest.mark.slow
def test_a_client_killed_mid_study_resumes_only_the_members_not_written(
    reference: Path, tmp_path: Path
) -> None:
    sweep = tmp_path / "big"
    # Each file the client (and its workers) write waits 0.3 s: the kill lands between two members.
    process = _client_process(tmp_path, env={"GANCURVE_TEST_WRITE_DELAY": "0.3"})
    try:
        _wait_for_a_member(process, sweep)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        _end(process)
    before = _written(sweep)
    assert 0 < len(before) < len(SEEDS), before
    resumed = _client_process(tmp_path, "--resume")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert "workers · median W1" in err  # the study's one bar, as lines without a terminal
    assert_same_sweep(reference, sweep)
    after = _written(sweep)
    assert {name: after[name] for name in before} == before  # what was written is not trained again


@pytest.mark.slow
def test_ctrl_c_exits_130_keeping_every_finished_member(reference: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "big"
    process = _client_process(tmp_path, env={"GANCURVE_TEST_WRITE_DELAY": "0.3"})
    try:
        _wait_for_a_member(process, sweep)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the client and its workers
        _, err = process.communicate(timeout=60)
    finally:
        _end(process)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "--resume --name big" in err and "--cluster local:2" in err
    assert not (sweep / "summary.json").exists()
    kept = _written(sweep)
    assert kept
    for name in kept:  # each kept member is whole: the same bytes as the reference's
        for file in TRAINED_FILES[1:]:
            assert (sweep / name / file).read_bytes() == (reference / name / file).read_bytes()
