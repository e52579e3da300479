"""Ctrl-C and SIGTERM as a request to stop after the current step."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from gancurve.errors import GancurveError


def exit_code_for(signum: int) -> int:
    """The exit code of a command stopped by a signal: 128 + its number, as shells report it."""
    return 128 + signum


class StoppedError(GancurveError):
    """Stopped by a signal before anything was worth saving; exits with the signal's code."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code_for(signum)


class StopFlag:
    """Set by a signal handler; the loop checks it between steps."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.requests = 0  # how many signals came: a sweep stopped in training saves its members
        # unless asked a second time (see gancurve.sweeps.session)

    def __bool__(self) -> bool:
        return self.signal is not None

    def request(self, signum: int) -> None:
        """A stop request (what the handler does with a signal)."""
        self.signal = signum
        self.requests += 1


@contextlib.contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[StopFlag]:
    """Turn Ctrl-C and SIGTERM into a request to stop after the current step."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        flag.request(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
