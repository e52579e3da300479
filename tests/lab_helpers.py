"""Helpers shared by the lab's tests: a lab served on a free port, and a tab's socket."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from gancurve.lab.server import LabServer
from gancurve.lab.session import Lab, LabRequest


class Tab:
    """One tab's socket: commands and their replies, the frames in between."""

    def __init__(self, url: str, **options: Any) -> None:
        self.socket: ClientConnection = connect(url, open_timeout=10, **options)
        self.setup: dict[str, Any] = {}
        self.frame: dict[str, Any] = {}

    def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.socket.recv(timeout=10))
        if message["type"] == "setup":
            self.setup = message
        elif message["type"] == "frame":
            self.frame = message
            self.socket.send("drawn")  # as the page does once it has drawn a frame
        return message

    def command(self, **command: Any) -> dict[str, Any]:
        self.socket.send(json.dumps(command))
        return self.reply()

    def reply(self) -> dict[str, Any]:
        while True:
            message = self.receive()
            if message["type"] == "reply":
                return message

    def next_frame(self) -> dict[str, Any]:
        while self.receive()["type"] != "frame":
            pass
        return self.frame

    def close(self) -> None:
        self.socket.close()


class Running:
    """A lab and its server on a free port, for one test."""

    def __init__(self, runs_dir: Path, playing: bool = False, **given: object) -> None:
        self.runs_dir = runs_dir
        request = LabRequest(
            runs_dir=runs_dir, name=None, run=None, given=dict(given), steps=10_000, playing=playing
        )
        self.lab = Lab(request)
        self.server = LabServer(self.lab, "127.0.0.1", free_port())
        self.server.start()
        self.lab.start()
        self.port = self.server.port
        self.token = self.server.security.token
        self.base = f"http://127.0.0.1:{self.port}"

    def tab(self, **options: Any) -> Tab:
        return Tab(f"ws://127.0.0.1:{self.port}/ws?token={self.token}", **options)

    def wait_idle(self) -> int:
        """Wait until the steps asked for are taken; the step then."""
        deadline = time.monotonic() + 60
        while self.lab.play.pending and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        return int(self.lab.state()["step"])

    def stop(self) -> None:
        self.server.stop()
        self.lab.close(save=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
