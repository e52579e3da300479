"""``gancurve lab``'s server without a browser: who is refused, tabs coming and going, garbage,
controls that apply at the next step, bad values refused, and the run it saves."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from helpers import run_cli
from lab_helpers import Running, Tab, free_port
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from gancurve.core.engines import layout
from gancurve.lab.server import COOKIE
from gancurve.lab.session import Lab, LabRequest
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.rundir import RunDir

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")

# The compiled step loads from numba's cache (~0.4 s); the first test after a change compiles it.


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    lab = Running(tmp_path / "runs")
    try:
        yield lab
    finally:
        lab.stop()


def paused(running: Running) -> Tab:
    tab = running.tab()
    assert tab.command(do="pause")["ok"]
    return tab


# -- who is refused -----------------------------------------------------------------------------


def test_every_request_needs_the_token_and_this_servers_host_and_origin(running: Running) -> None:
    base, token = running.base, running.token
    with httpx.Client() as client:
        assert client.get(f"{base}/").status_code == 403
        assert client.get(f"{base}/?token=wrong").status_code == 403
        assert client.get(f"{base}/static/lab.js").status_code == 403
        assert client.get(f"{base}/api/state?token={token[:-1]}").status_code == 403
        # DNS rebinding: another site's name resolving to 127.0.0.1
        rebound = client.get(f"{base}/?token={token}", headers={"Host": f"evil.example:{running.port}"})
        assert rebound.status_code == 400
        foreign = client.get(f"{base}/api/state?token={token}", headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403
        page = client.get(f"{base}/?token={token}")
        assert page.status_code == 200 and "<canvas" in page.text
        assert page.cookies.get(COOKIE) == token
        # the page's own files then come with the cookie, the token's other carrier
        script = client.get(f"{base}/static/lab.js")
        assert script.status_code == 200 and "WebSocket" in script.text
        assert client.get(f"{base}/static/nothing.js").status_code == 404
        header = httpx.get(f"{base}/api/state", headers={"Authorization": f"token {token}"})
        assert header.status_code == 200 and header.json()["generation"] == 0
    url = f"ws://127.0.0.1:{running.port}/ws"
    for refused in (
        {"uri": url},
        {"uri": f"{url}?token=wrong"},
        {"uri": f"{url}?token={token}", "origin": "http://evil.example"},  # cross-site socket hijacking
        {  # DNS rebinding: the socket reaches 127.0.0.1 under another site's name
            "uri": f"ws://evil.example:{running.port}/ws?token={token}",
            "sock": socket.create_connection(("127.0.0.1", running.port)),
        },
    ):
        uri = refused.pop("uri")
        with pytest.raises(InvalidStatus) as caught:
            connect(str(uri), open_timeout=10, **refused)  # type: ignore[arg-type]
        assert caught.value.response.status_code == 403
        if "sock" in refused:
            refused["sock"].close()  # type: ignore[attr-defined]
    tab = running.tab(origin=f"http://127.0.0.1:{running.port}")  # the page's own origin is welcome
    assert tab.next_frame()["type"] == "frame"
    tab.close()


def test_refusals_are_one_log_line_each_never_a_traceback(
    running: Running, capfd: pytest.CaptureFixture[str]
) -> None:
    httpx.get(f"{running.base}/?token=wrong")
    httpx.get(f"{running.base}/nowhere?token={running.token}")
    time.sleep(0.1)
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert "wrong one (403)" in lines[0] and "GET /nowhere" in lines[1] and "(404)" in lines[1]
    assert all(running.token not in line for line in lines)  # the token never goes to the log


@pytest.mark.slow
def test_a_thousand_garbage_requests_are_refused_and_the_lab_goes_on(
    running: Running, capfd: pytest.CaptureFixture[str]
) -> None:
    random.seed(23)
    token = running.token
    statuses: list[int] = []
    with httpx.Client(timeout=10) as client:
        for index in range(700):
            method = random.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
            path = random.choice(
                ["/", "/ws", "/static/", "/static/../../etc/passwd", "/api/state", "/%00", "/x" * 50]
            )
            query = random.choice(
                ["", f"?token={token}", "?token=", "?token=%ff%fe", f"?token={token}&token=x"]
            )
            headers = random.choice(
                [
                    {},
                    {"Origin": "null"},
                    {"Cookie": "\x7f=;;;"},
                    {"Authorization": "token"},
                    {"Content-Type": "??"},
                ]
            )
            body = os.urandom(random.randrange(0, 2000)) if method in ("POST", "PUT", "PATCH") else None
            answer = client.request(method, f"{running.base}{path}{query}", headers=headers, content=body)
            statuses.append(answer.status_code)
            if index % 100 == 0:  # and now and then, a socket that says nonsense
                tab = running.tab()
                tab.socket.send(os.urandom(50))
                assert tab.reply()["ok"] is False
                tab.socket.send("{" * 3000)
                assert tab.reply()["ok"] is False
                tab.close()
    for _ in range(300):  # raw bytes that are no HTTP at all
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as raw:
            raw.sendall(os.urandom(random.randrange(1, 600)) + b"\r\n\r\n")
            raw.settimeout(5)
            with contextlib.suppress(OSError):
                raw.recv(1024)
    assert all(400 <= status < 500 or status == 200 for status in statuses), sorted(set(statuses))
    assert any(status == 200 for status in statuses) and any(status >= 400 for status in statuses)
    time.sleep(0.2)
    tab = paused(running)  # still serving, still training
    before = running.wait_idle()
    assert tab.command(do="step", count=3)["ok"]
    assert running.wait_idle() == before + 3
    tab.close()
    log = capfd.readouterr().err
    assert "Traceback" not in log and "Exception" not in log
    assert all(line.startswith("gancurve lab: ") for line in log.splitlines())


# -- tabs ---------------------------------------------------------------------------------------


def test_two_tabs_see_the_same_lab_and_either_steers_it(running: Running) -> None:
    first, second = paused(running), running.tab()
    assert first.command(do="step", count=7)["ok"]
    step = running.wait_idle()
    for tab in (first, second):
        while tab.next_frame()["step"] != step:
            pass
    assert second.command(do="set", option="lr_d", value="0.0005")["ok"]
    while first.receive()["type"] != "setup" or "0.0005" not in json.dumps(first.setup["controls"]):
        pass
    first.close()
    second.close()


def test_a_tab_closed_mid_stream_leaves_the_others_and_training_going(running: Running) -> None:
    leaving = running.tab()
    leaving.next_frame()
    leaving.socket.socket.shutdown(socket.SHUT_RDWR)  # gone without a goodbye, mid-stream
    leaving.socket.socket.close()
    staying = running.tab()
    assert (
        staying.command(do="speed", value=0)["ok"] and staying.command(do="play")["ok"]
    )  # full speed: frames keep coming
    first = staying.next_frame()["step"]
    for _ in range(20):
        staying.next_frame()
    assert staying.frame["step"] > first
    staying.close()


def test_frames_come_at_most_thirty_a_second_the_newest_first(running: Running) -> None:
    tab = running.tab()
    assert tab.command(do="speed", value=0)["ok"] and tab.command(do="play")["ok"]
    started, count, steps = time.monotonic(), 0, []
    while time.monotonic() - started < 1.0:
        steps.append(tab.next_frame()["step"])
        count += 1
    assert 5 <= count <= 36, count
    assert steps == sorted(steps)
    time.sleep(2.0)  # a tab that draws nothing for two seconds ...
    tab.socket.send(json.dumps({"do": "pause"}))
    waiting = 0
    while (message := tab.receive())["type"] != "reply":
        waiting += message["type"] == "frame"
    # ... finds the one frame it was sent, not two seconds of them (60 if they queued: they did,
    # in the socket's buffers, until the tab had to say it had drawn the last one)
    assert waiting <= 1, waiting
    later = tab.next_frame()["step"]
    assert later == running.lab.state()["step"]  # and, paused, it is sent the newest
    tab.close()


# -- the controls ---------------------------------------------------------------------------------


def test_step_pause_and_a_learning_rate_applied_at_the_next_step(running: Running) -> None:
    tab = paused(running)
    start = running.wait_idle()
    time.sleep(0.2)
    assert running.wait_idle() == start  # paused: no step
    assert tab.command(do="step", count=10)["ok"]
    assert running.wait_idle() == start + 10
    reply = tab.command(do="set", option="lr_g", value="8e-4")
    assert reply["ok"] and f"from step {start + 11:,}" in reply["message"], reply
    engine = running.lab.session.trainer.engine  # type: ignore[attr-defined]
    assert engine.hyper[0, layout.LR_G] == 8e-4 and engine.hyper[0, layout.LR_D] == 1e-4
    assert running.wait_idle() == start + 10  # changed, not stepped
    state = running.lab.state()
    assert state["config"]["lr_g"] == 8e-4 and state["generation"] == 0
    assert state["changes"] == [
        {
            "step": start + 10,
            "option": "--lr-g",
            "before": "0.0001",
            "after": "0.0008",
            "applied": "next step",
        }
    ]
    loss = tab.command(do="set", option="loss", value="hinge")
    assert loss["ok"] and "from step" in loss["message"]
    assert engine.hyper[0, layout.LOSS] == 3 and running.lab.session.config.loss == "hinge"
    tab.command(do="step", count=1)
    assert running.wait_idle() == start + 11
    tab.close()


def test_a_change_the_engine_cannot_make_between_steps_starts_the_run_again(running: Running) -> None:
    tab = paused(running)
    tab.command(do="step", count=5)
    running.wait_idle()
    for option, value in (("artist", "bump"), ("loss", "wasserstein-gp"), ("hidden", "64")):
        reply = tab.command(do="set", option=option, value=value)
        assert reply["ok"] and "starts again from step 0" in reply["message"], reply
        assert running.lab.state()["step"] == 0
        tab.command(do="step", count=2)
        running.wait_idle()
    state = running.lab.state()
    assert (
        state["generation"] == 3 and state["config"]["artist"] == "bump" and state["config"]["hidden"] == 64
    )
    reset = tab.command(do="reset", seed="7")
    assert reset["ok"] and running.lab.state()["config"]["seed"] == 7 and running.lab.state()["step"] == 0
    tab.close()


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ({"do": "set", "option": "lr_g", "value": "fast"}, "--lr-g must be a positive finite number"),
        ({"do": "set", "option": "lr_g", "value": "-1"}, "--lr-g must be a positive finite number"),
        ({"do": "set", "option": "ema", "value": "1"}, "--ema must be a decay from 0 up to"),
        ({"do": "set", "option": "betas", "value": "0.5"}, "--betas must be two numbers"),
        ({"do": "set", "option": "loss", "value": "magic"}, "--loss must be one of minimax"),
        ({"do": "set", "option": "modes", "value": "3"}, "--modes belongs to the parabola-modes artist"),
        (
            {"do": "set", "option": "hidden", "value": "99999"},
            "--hidden must be a whole number from 1 to 4,096",
        ),
        ({"do": "set", "option": "nonsense", "value": "1"}, "'nonsense' is not a training option"),
        ({"do": "set", "option": "recipe", "value": "/etc/passwd"}, "--recipe must be one of tutorial, best"),
        ({"do": "step", "count": 0}, "A step takes a whole number of steps"),
        ({"do": "step", "count": "10"}, "A step takes a whole number of steps"),
        ({"do": "speed", "value": 7}, "The speed is one of"),
        ({"do": "reset", "seed": "-3"}, "--seed must be a whole number"),
        ({"do": "save", "name": "../elsewhere"}, "run name"),
        ({"do": "fly"}, "Unknown command 'fly'"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_and_nothing_changes(
    running: Running, command: dict[str, Any], said: str
) -> None:
    tab = paused(running)
    tab.command(do="step", count=3)
    before = running.wait_idle(), running.lab.state()
    reply = tab.command(**command)
    assert reply["ok"] is False and said in reply["message"], reply
    assert (running.wait_idle(), running.lab.state()) == before
    assert not list(running.runs_dir.glob("*")) or not any(running.runs_dir.iterdir())
    tab.close()


# -- saving -------------------------------------------------------------------------------------


def _train(runs_dir: Path, name: str, *args: str) -> RunDir:
    code, _out, err = run_cli("train", "--runs-dir", str(runs_dir), "--name", name, "--device", "cpu", *args)
    assert code == 0, err
    return RunDir(runs_dir / name)


def _same_run(a: RunDir, b: RunDir) -> None:
    assert a.read_metrics() == b.read_metrics()
    first, second = load_checkpoint(a), load_checkpoint(b)
    assert first.step == second.step and first.config == second.config
    for network in ("generator", "discriminator"):
        for key, value in first.state.weights[network].items():
            np.testing.assert_array_equal(value, second.state.weights[network][key])
    np.testing.assert_array_equal(a.read_snapshots().paintings, b.read_snapshots().paintings)


@pytest.mark.slow
def test_save_as_run_writes_the_run_train_writes_and_evaluate_reads_it(
    running: Running, tmp_path: Path
) -> None:
    tab = paused(running)
    tab.command(do="step", count=300)
    assert running.wait_idle() == 300
    reply = tab.command(do="save", name="lesson")
    assert reply["ok"] and "gancurve evaluate --run lesson" in reply["message"], reply
    saved = RunDir(running.runs_dir / "lesson")
    # the run gancurve train --steps 300 writes, bit for bit (the lab stepped it in other chunks)
    _same_run(saved, _train(tmp_path / "train", "lesson", "--steps", "300"))
    assert json.loads(saved.lab_path.read_text())["changes"] == []
    code, out, err = run_cli("evaluate", "--run", "lesson", "--runs-dir", str(running.runs_dir))
    assert code == 0 and "Verdict:" in out, err
    # a change, more steps and a second save go into the same run, as train --resume --force would
    assert tab.command(do="set", option="lr_g", value="0.0004")["ok"]
    tab.command(do="step", count=200)
    assert running.wait_idle() == 500
    assert tab.command(do="save")["ok"]
    forced = tmp_path / "train"
    code, _out, err = run_cli(
        "train", "--resume", "--name", "lesson", "--runs-dir", str(forced), "--steps", "500",
        "--device", "cpu", "--lr-g", "0.0004", "--force",
    )  # fmt: skip
    assert code == 0, err
    _same_run(saved, RunDir(forced / "lesson"))
    changes = saved.read_lab_changes()
    assert changes == [
        {"step": 300, "option": "--lr-g", "before": "0.0001", "after": "0.0004", "applied": "next step"}
    ]
    taken = tab.command(do="save", name="lesson2")
    assert taken["ok"] and running.lab.state()["saved"] == "lesson2"
    tab.close()


def test_a_name_that_is_taken_is_refused_and_the_run_there_is_left_alone(
    running: Running, tmp_path: Path
) -> None:
    existing = _train(running.runs_dir, "mine", "--steps", "100")
    before = existing.checkpoint_path.read_bytes()
    tab = paused(running)
    tab.command(do="step", count=2)
    running.wait_idle()
    reply = tab.command(do="save", name="mine")
    assert reply["ok"] is False and "already exists" in reply["message"]
    assert existing.checkpoint_path.read_bytes() == before and not existing.lab_path.exists()
    tab.close()


@pytest.mark.slow
def test_ctrl_c_saves_a_run_saved_once_and_exits_130(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "gancurve", "lab", "--no-browser", "--runs-dir", str(tmp_path),
               "--port", str(port), "--host", "0.0.0.0", "--lr-d", "2e-4"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("gancurve lab: http://127.0.0.1:"), line
        tab = Tab(line.split()[-1].replace("http://", "ws://").replace("/?token", "/ws?token"))
        assert tab.command(do="pause")["ok"]
        tab.command(do="step", count=40)
        time.sleep(1)
        saved = tab.command(do="save", name="kept")
        assert saved["ok"], saved
        step = int(saved["message"].split(" at step ")[1].split(":")[0].replace(",", ""))
        tab.command(do="step", count=30)
        time.sleep(1)
        tab.close()
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    lines = err.splitlines()
    assert sum("Warning: listening on 0.0.0.0" in line for line in lines) == 1
    assert f"Saved run 'kept' at step {step + 30:,}." in err and "Traceback" not in err
    run = RunDir(tmp_path / "kept")
    assert load_checkpoint(run).step == step + 30 and load_checkpoint(run).config.lr_d == 2e-4


@pytest.mark.slow
def test_a_run_continued_live_goes_on_exactly_as_train_resume_and_saves_into_itself(tmp_path: Path) -> None:
    runs, alone = tmp_path / "runs", tmp_path / "alone"
    _train(runs, "tiny", "--steps", "100")
    _train(alone, "tiny", "--steps", "100")
    lab = Lab(LabRequest(runs_dir=runs, name=None, run="tiny", given={}, steps=10_000))
    lab.start()
    try:
        assert lab.state()["step"] == 100 and lab.state()["saved"] == "tiny" and not lab.play.playing
        assert lab.submit({"do": "step", "count": 50}).result(30)["ok"]
        while lab.play.pending:
            time.sleep(0.01)
        assert (runs / "tiny" / ".lock").is_file()  # held while the lab has the run
    finally:
        said = lab.close(save=True)  # as Ctrl-C does: a run that is on disk is saved again
    assert said == "Saved run 'tiny' at step 150."
    resume = (
        "train",
        "--resume",
        "--name",
        "tiny",
        "--runs-dir",
        str(alone),
        "--steps",
        "150",
        "--device",
        "cpu",
    )
    code, _out, err = run_cli(*resume)
    assert code == 0, err
    _same_run(RunDir(runs / "tiny"), RunDir(alone / "tiny"))


def test_a_recipe_applies_at_the_next_step_with_every_choice_it_sets(running: Running) -> None:
    tab = paused(running)
    tab.command(do="step", count=4)
    running.wait_idle()
    reply = tab.command(do="set", option="recipe", value="best")
    assert reply["ok"] and "--recipe tutorial → best from step 5" in reply["message"], reply
    config = running.lab.session.config
    assert (config.loss, config.lr_g, config.beta1, config.lr_schedule) == (
        "non-saturating",
        8e-4,
        0.0,
        "linear-decay",
    )
    assert (config.decay_start, config.decay_end) == (5000, 10_000)  # over the second half of --steps
    assert running.lab.state()["generation"] == 0 and running.lab.state()["step"] == 4
    assert tab.command(do="set", option="lr_g", value="0.0002")["ok"]  # an option given wins over it
    assert running.lab.session.config.lr_g == 2e-4 and running.lab.session.config.loss == "non-saturating"
    tab.close()


def test_options_given_with_a_continued_run_are_changes_from_its_step(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _train(runs, "tiny", "--steps", "60")
    lab = Lab(LabRequest(runs_dir=runs, name=None, run="tiny", given={"lr_d": 3e-4}, steps=10_000))
    try:
        assert lab.session.config.lr_d == 3e-4
        assert lab.changes == [
            {"step": 60, "option": "--lr-d", "before": "0.0001", "after": "0.0003", "applied": "next step"}
        ]
    finally:
        lab.close(save=False)


def test_a_warning_while_training_reaches_the_page(tmp_path: Path) -> None:
    running = Running(tmp_path / "runs", lr_g=1000.0, lr_d=1000.0)  # G collapses within 500 steps
    try:
        tab = running.tab()
        tab.command(do="step", count=500)
        running.wait_idle()
        while not tab.setup.get("messages"):
            tab.receive()
        assert "G may be collapsing" in tab.setup["messages"][-1]
        tab.close()
    finally:
        running.stop()
