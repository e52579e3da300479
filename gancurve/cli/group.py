"""The one place where failures become exit codes: the app's Typer group.

The library raises :class:`~gancurve.errors.GancurveError` (exit 1) or its
:class:`~gancurve.errors.UsageError` (exit 2); Typer raises its own parse errors (exit 2).
Each is printed as a single ``Error: …`` line on stderr, never as a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from gancurve.console import error_line
from gancurve.errors import GancurveError

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM, raised in the command like Ctrl-C's KeyboardInterrupt, so every cleanup runs
    (temporary files are removed, nothing is left half-written). Not a KeyboardInterrupt: Typer
    would turn that into a silent exit 130."""


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def _click_exception_type() -> type[Exception]:
    """Recent typer vendors click (its exceptions derive from ``TyperException``); older typer uses click."""
    vendored: type[Exception] | None = getattr(typer, "TyperException", None)
    if vendored is not None:
        return vendored
    click_exception: type[Exception] = importlib.import_module("click").ClickException
    return click_exception


ClickError = _click_exception_type()


class GancurveGroup(TyperGroup):
    """Typer's group with one-line errors: no usage box, no traceback.

    Two methods of Typer's group are overridden (``main`` and ``get_help_option``); both only
    wrap the parent's behaviour, and tests/test_cli_errors.py and tests/test_startup.py fail if
    a Typer release changes what they rely on.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; map expected failures to exit codes (see ``docs/cli.md``)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        result = self._main_with_one_line_errors(args, prog_name, complete_var, **extra)
        sys.exit(result if isinstance(result, int) else 0)

    def _main_with_one_line_errors(
        self, args: Sequence[str] | None, prog_name: str | None, complete_var: str | None, **extra: Any
    ) -> Any:
        try:
            # Inside the try: a Ctrl-C that lands while the handlers are being swapped (it is
            # delivered as soon as Python's own is in place) is one more "Interrupted.".
            with _terminate_like_interrupt():
                return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickError as error:  # bad usage (exit 2) and other parsing failures
            context = getattr(error, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            fail(error.format_message() + hint, getattr(error, "exit_code", 2))  # type: ignore[attr-defined]
        except GancurveError as error:
            fail(str(error), error.exit_code)
        except Terminated:
            fail("Terminated.", EXIT_TERMINATED)
        except (typer.Abort, KeyboardInterrupt):
            fail("Interrupted.", EXIT_INTERRUPTED)

    def get_help_option(self, ctx: Any) -> Any:
        """The group's ``--help``, defaulting to False rather than None.

        Typer coerces a None through pydantic, whose import alone costs 0.1 s of start-up on
        every command; a plain bool is passed through untouched.
        """
        option = super().get_help_option(ctx)
        if option is not None and getattr(option, "default", False) is None:
            option.default = False
        return option


@contextlib.contextmanager
def _terminate_like_interrupt() -> Iterator[None]:
    """While a command runs, Ctrl-C raises KeyboardInterrupt and SIGTERM :class:`Terminated`.

    Only the main thread can listen to signals (tests may run the app in another).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:  # (a signal may land between the two: whatever was set is put back)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_terminated)
        yield
    finally:
        for sig, handler in previous.items():
            if handler is not None:  # None: a handler not set from Python, which Python cannot restore
                signal.signal(sig, handler)


def fail(message: str, code: int) -> NoReturn:
    """One error line on stderr, then exit with ``code``."""
    error_line(message)
    sys.exit(code)
