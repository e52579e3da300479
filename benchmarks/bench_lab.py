"""Benchmark: ``gancurve lab`` playing at full speed against ``gancurve train``, and its start-up.

Training speed: the same run (seed 1, the tutorial's recipe, the default cadence) is trained by
``train``'s path (``api.train_run``, its own seconds: the loop with its checkpoints every 1,000
steps) and by the lab (its session thread at full speed — it saves only when asked —, its server
sending frames over the WebSocket to a client in another process that reads and parses every
frame, as a browser tab would), alternately, in one process. Each round times the steps from 0 to
``--steps``.

Start-up: ``gancurve lab --no-browser`` as a new process, until the page is usable — the page
served and the first frame read from its socket (numba's cache warm: the first round warms it).

    python benchmarks/bench_lab.py                  # 5 pairs of 5,000 steps, 5 start-ups
    python benchmarks/bench_lab.py --pairs 3 --steps 3000 --starts 3
    python benchmarks/bench_lab.py --pairs 0          # the start-up only

Prints the CPU, each round, the medians, the ratio lab/train (the goal: at least 0.5) and the
start-up's median (the goal: under 2 s).
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import httpx
from machine import cpu_name  # benchmarks/machine.py (run as a script: its folder is on the path)

from gancurve.api import train_run
from gancurve.lab.server import LabServer
from gancurve.lab.session import Lab, LabRequest
from gancurve.training.cadence import CadenceOptions
from gancurve.training.resume import TrainRequest, choices_of
from gancurve.training.signals import StopFlag

#: The client a tab stands for: reads and parses every frame, asking for the next as the page does,
#: until killed, then says how many.
CLIENT = """
import json, signal, sys
from websockets.sync.client import connect
frames = 0
def done(*_):
    print(frames, flush=True); sys.exit(0)
signal.signal(signal.SIGTERM, done)
with connect(sys.argv[1], open_timeout=30) as socket:
    while True:
        if json.loads(socket.recv())["type"] == "frame":
            frames += 1
            socket.send("drawn")  # as the page does once it has drawn a frame
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def train_round(runs_dir: Path, name: str, steps: int) -> float:
    """``gancurve train``'s steps per second for a run of ``steps``, as it reports them (its training
    loop, saves included; opening the run not: the lab's round does not time that either)."""
    request = TrainRequest(
        runs_dir=runs_dir, name=name, device="cpu", cadence=CadenceOptions(steps=steps),
        choices=choices_of({"seed": 1}, steps),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trained = train_run(request, StopFlag(), shown=False, warnings_shown=False)
    return steps / trained.seconds


def lab_round(runs_dir: Path, steps: int) -> tuple[float, float]:
    """The lab's steps per second from 0 to ``steps`` at full speed with a tab reading every frame,
    and the frames a second that tab read."""
    lab = Lab(LabRequest(runs_dir=runs_dir, name=None, run=None, given={}, steps=10_000, playing=False))
    server = LabServer(lab, "127.0.0.1", free_port())
    server.start()
    lab.start()
    url = f"ws://127.0.0.1:{server.port}/ws?token={server.security.token}"
    client = subprocess.Popen([sys.executable, "-c", CLIENT, url], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # the tab connects and reads the paused lab's frames
        for command in ({"do": "speed", "value": 0}, {"do": "play"}):
            lab.submit(command).result(10)
        began = time.perf_counter()
        while lab.session.trainer.step_count < steps:
            time.sleep(0.002)
        seconds = time.perf_counter() - began
        done = lab.session.trainer.step_count
        lab.submit({"do": "pause"}).result(10)
    finally:
        client.send_signal(signal.SIGTERM)
        frames = int((client.communicate(timeout=30)[0] or "0").split()[-1])
        server.stop()
        lab.close(save=False)
    return done / seconds, frames / (seconds + 1.0)


def start_up(runs_dir: Path) -> float:
    """Seconds from starting ``gancurve lab`` to a usable page (served, and a frame on its socket)."""
    from websockets.sync.client import connect

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gancurve",
        "lab",
        "--no-browser",
        "--port",
        str(port),
        "--runs-dir",
        str(runs_dir),
    ]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        assert httpx.get(url, timeout=30).status_code == 200
        with connect(url.replace("http://", "ws://").replace("/?token", "/ws?token"), open_timeout=30) as tab:
            while json.loads(tab.recv(timeout=30))["type"] != "frame":
                pass
        seconds = time.perf_counter() - began
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}; Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as scratch:
        runs_dir = Path(scratch)
        train_round(runs_dir, "warm-up", 200)  # numba's cache loaded, the page's modules imported
        trained, played, frames = [], [], []
        for pair in range(args.pairs):
            trained.append(train_round(runs_dir, f"train-{pair}", args.steps))
            rate, frame_rate = lab_round(runs_dir, args.steps)
            played.append(rate)
            frames.append(frame_rate)
            print(f"pair {pair + 1}: train {trained[-1]:,.0f} steps/s · lab {rate:,.0f} steps/s "
                  f"({frame_rate:.1f} frames/s read)")  # fmt: skip
        if args.pairs:
            train_median, lab_median = statistics.median(trained), statistics.median(played)
            print(f"median: train {train_median:,.0f} steps/s · lab {lab_median:,.0f} steps/s · "
                  f"ratio lab/train {lab_median / train_median:.2f} (goal ≥ 0.50) · "
                  f"{statistics.median(frames):.1f} frames/s to the tab")  # fmt: skip
        start_up(runs_dir)  # a first start warms the disk cache too
        starts = [start_up(runs_dir) for _ in range(args.starts)]
        print(f"start-up to a usable page: {', '.join(f'{s:.2f}' for s in starts)} s; "
              f"median {statistics.median(starts):.2f} s (goal < 2 s)")  # fmt: skip


if __name__ == "__main__":
    main()
