"""The lab's web server: the page's static files, its state, and one WebSocket per tab (Starlette).

Security is Jupyter's: the server binds 127.0.0.1 unless told otherwise; every request and the
socket must carry the random token (``?token=…`` in the URL, or the cookie the page's first
request sets, or an ``Authorization: token …`` header); the ``Host`` header must name this server
(a page on another site that resolves its own name to 127.0.0.1 — DNS rebinding — is refused); an
``Origin`` header, which browsers send with every socket and cross-site request, must be this
server's own (a page elsewhere cannot drive the lab through the user's browser). A refused request
gets a 4xx and one line in the log, never a traceback.

Frames go to each tab at most :data:`~gancurve.lab.session.FRAME_RATE` a second: the socket's
sender sends the newest frame whenever it has not sent it yet, so a slow tab skips frames instead of
queueing them, and never slows training.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from importlib import resources
from types import FrameType
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from gancurve.errors import GancurveError
from gancurve.lab.session import FRAME_RATE, Lab

log = logging.getLogger("gancurve.lab")

COOKIE = "gancurve_lab_token"
#: The page's files (package data in gancurve/lab/static) and their types.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "lab.js": "text/javascript; charset=utf-8",
    "lab.css": "text/css; charset=utf-8",
}
#: The longest command a tab may send (a command is a few dozen bytes).
MAX_MESSAGE = 4096
#: What a tab sends when it has drawn a frame (not a command: it gets no reply).
DRAWN = "drawn"
#: How long a command may wait for the lab's thread (a step of 10,000 is only queued).
COMMAND_TIMEOUT = 30.0


@dataclass(frozen=True)
class Security:
    """The token, and the hosts this server answers to (None: any — bound to every interface)."""

    token: str
    hosts: frozenset[str] | None

    @classmethod
    def make(cls, host: str, port: int) -> Security:
        """A fresh random token; the Host names of ``host``:``port`` (any for 0.0.0.0 or ::)."""
        token = secrets.token_urlsafe(32)
        if host in ("0.0.0.0", "::"):
            return cls(token, None)
        names = (
            {host, "localhost", "127.0.0.1", "[::1]"} if host in ("127.0.0.1", "localhost", "::1") else {host}
        )
        shown = {f"[{name}]" if ":" in name and not name.startswith("[") else name for name in names}
        return cls(token, frozenset(f"{name}:{port}".lower() for name in shown))

    def problem(self, scope: Scope) -> tuple[int, str] | None:
        """Why a request is refused (its status and the log's reason), or None."""
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "").lower()
        if self.hosts is not None and host not in self.hosts:
            return 400, f"Host {host!r} is not this server"
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"http://{host}":
            return 403, f"Origin {origin!r} is not this server's"
        if not any(secrets.compare_digest(given, self.token) for given in _tokens(scope, headers)):
            return 403, "no token or a wrong one"
        return None


def _tokens(scope: Scope, headers: dict[str, str]) -> list[str]:
    """The tokens a request carries: in the query, the cookie, the Authorization header."""
    found: list[str] = []
    query = scope.get("query_string", b"").decode("latin-1")
    found += parse_qs(query).get("token", [])
    cookie = SimpleCookie()
    with contextlib.suppress(Exception):  # a malformed cookie header carries no token
        cookie.load(headers.get("cookie", ""))
    if COOKIE in cookie:
        found.append(cookie[COOKIE].value)
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("token "):
        found.append(authorization[6:].strip())
    return [token for token in found if token.isascii()]  # (compare_digest takes ASCII text only)


class Guard:
    """Refuses what :meth:`Security.problem` refuses; logs one line for every 4xx answer."""

    def __init__(self, app: ASGIApp, security: Security) -> None:
        self.app, self.security = app, security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self.security.problem(scope)
        if problem is not None:
            status, reason = problem
            _refused(scope, status, reason)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})  # uvicorn answers 403
            else:
                await PlainTextResponse(f"{status}: refused ({reason}).\n", status_code=status)(
                    scope, receive, send
                )
            return

        async def logged(message: Message) -> None:
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                _refused(scope, message["status"], "not found" if message["status"] == 404 else "bad request")
            await send(message)

        await self.app(scope, receive, logged)


def _refused(scope: Scope, status: int, reason: str) -> None:
    client = scope.get("client") or ("?", 0)
    method = scope.get("method", "WEBSOCKET")
    path = scope.get("path", "?")
    log.warning("refused %s %s from %s: %s (%d)", method, path[:80], client[0], reason, status)


def make_app(lab: Lab, security: Security) -> ASGIApp:
    """The lab's application: the page, its files, its state and its socket, behind the guard."""

    async def page(request: Request) -> Response:
        response = _static("index.html")
        # The page's own files and socket then carry the token as this cookie (the URL's is enough
        # for the first request only); SameSite keeps other sites' pages from sending it.
        response.set_cookie(COOKIE, security.token, httponly=True, samesite="strict")
        return response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return PlainTextResponse("404: no such file.\n", status_code=404)
        return _static(name)

    async def state(request: Request) -> Response:
        return JSONResponse(lab.state())

    async def socket(websocket: WebSocket) -> None:
        await _serve_socket(lab, websocket)

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/api/state", state, methods=["GET"]),
        WebSocketRoute("/ws", socket),
    ]
    return Guard(Starlette(routes=routes), security)


def _static(name: str) -> Response:
    data = resources.files("gancurve.lab").joinpath("static").joinpath(name).read_bytes()
    return Response(data, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-store"})


async def _serve_socket(lab: Lab, websocket: WebSocket) -> None:
    """One tab: frames out (the newest, at most FRAME_RATE a second), commands in, replies out."""
    await websocket.accept()
    sending = asyncio.Lock()  # one message at a time on the socket, from either task

    async def send(text: str) -> None:
        async with sending:
            await websocket.send_text(text)

    drawn = asyncio.Event()  # the tab has drawn the last frame it was sent: it may have the next
    drawn.set()
    frames = asyncio.create_task(_send_frames(lab, send, drawn))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") == DRAWN:
                drawn.set()
                continue
            reply = await _reply(lab, message.get("text"))
            await send(json.dumps(reply))
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the tab went away mid-message: nothing to answer
    finally:
        frames.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await frames


async def _send_frames(lab: Lab, send: Any, drawn: asyncio.Event) -> None:
    """The newest frame, once the tab has drawn the one before: a slow tab (or one in the
    background) is sent fewer frames, never a backlog — the socket's buffers would hold seconds
    of them, and the tab would draw the past."""
    sent_setup, sent_frame = "", -1
    try:
        while True:
            if lab.setup_text != sent_setup:
                sent_setup = lab.setup_text
                await send(sent_setup)
            frame = lab.frame
            if frame.number != sent_frame and drawn.is_set():
                drawn.clear()
                sent_frame = frame.number
                await send(frame.text)
            await asyncio.sleep(1 / FRAME_RATE)
    except (WebSocketDisconnect, RuntimeError, OSError):
        return  # the tab closed mid-stream: this sender ends, the others go on


async def _reply(lab: Lab, text: object) -> dict[str, Any]:
    """The answer to one command: ``{"type": "reply", "id": …, "ok": …, "message": …}``."""
    if not isinstance(text, str) or len(text) > MAX_MESSAGE:
        return {"type": "reply", "id": None, "ok": False, "message": "A command is a short JSON object."}
    try:
        command = json.loads(text)
    except ValueError:
        command = None
    if not isinstance(command, dict):
        return {
            "type": "reply",
            "id": None,
            "ok": False,
            "message": 'A command is a JSON object, like {"do": "play"}.',
        }
    ident = command.get("id") if isinstance(command.get("id"), (int, str)) else None
    try:
        answer = await asyncio.wait_for(asyncio.wrap_future(lab.submit(command)), COMMAND_TIMEOUT)
    except asyncio.TimeoutError:
        answer = {"ok": False, "message": "The lab did not answer in time."}
    return {"type": "reply", "id": ident, **answer}


# -- serving ------------------------------------------------------------------------------------

#: Ports tried in turn when none is asked for (as Jupyter does from 8888).
DEFAULT_PORTS = range(8765, 8775)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int | None) -> socket.socket:
    """A listening socket on ``host``:``port`` (None: the first free one of :data:`DEFAULT_PORTS`);
    a ``GancurveError`` in one line when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    ports = DEFAULT_PORTS if port is None else (port,)
    problem: OSError | None = None
    for candidate in ports:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, candidate))
            sock.listen(64)
            return sock
        except OSError as error:
            sock.close()
            problem = error
    tried = f"port {port}" if port is not None else f"ports {ports[0]}-{ports[-1]}"
    reason = problem.strerror if problem is not None and problem.strerror else str(problem)
    raise GancurveError(f"Cannot listen on {host} at {tried}: {reason}; pick another with --port.")


class _Server(uvicorn.Server):
    """uvicorn's server, but a Ctrl-C or SIGTERM is only recorded (``stopped_by``) for the command to
    save and exit with its code, where uvicorn would raise it again once it has shut down."""

    stopped_by: int | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Stop serving on SIGINT or SIGTERM (the main thread only: signals reach no other)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            self.stopped_by = signum
            self.handle_exit(signum, frame)

        previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


class LabServer:
    """The lab's page served on a socket of its own, until a signal (or :meth:`stop`)."""

    def __init__(self, lab: Lab, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.lab, self.host = lab, host
        self.socket = bind(host, port)
        self.port = int(self.socket.getsockname()[1])
        self.security = Security.make(host, self.port)
        _quiet_logging()
        config = uvicorn.Config(
            make_app(lab, self.security), log_config=None, access_log=False, lifespan="off",
            ws_max_size=MAX_MESSAGE * 4, timeout_graceful_shutdown=2,
        )  # fmt: skip
        self.server = _Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address, token included."""
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}/?token={self.security.token}"

    def run(self) -> int | None:
        """Serve until a signal; the signal's number (None: stopped otherwise)."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()
        return self.server.stopped_by

    def start(self) -> None:
        """Serve in a thread of its own (tests, benchmarks); :meth:`stop` ends it."""
        self._thread = threading.Thread(target=self.run, name="gancurve-lab-server", daemon=True)
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            threading.Event().wait(0.01)

    def stop(self) -> None:
        """End a server :meth:`start` began."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to ``sys.stderr`` as it is when a line is written (not when it was made)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _quiet_logging() -> None:
    """One plain line per event on stderr, for the lab's own lines and uvicorn's."""
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("gancurve lab: %(message)s"))
    for name in ("gancurve.lab", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.WARNING)
        logger.propagate = False
