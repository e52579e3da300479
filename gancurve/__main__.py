"""The entry point of ``gancurve`` and ``python -m gancurve``."""

from __future__ import annotations

import os
import signal
from types import FrameType


def _exit_at_once(signum: int, _frame: FrameType | None) -> None:
    os._exit(128 + signum)  # nothing has been written yet: there is nothing to clean up


def main() -> None:
    """Run the command line.

    Until a command installs its own handling (the group turns Ctrl-C into a clean one-line exit,
    ``train`` into "stop after this step"), Ctrl-C and SIGTERM end the process at once: a signal
    that lands inside an import could otherwise leave a half-imported module or a traceback.
    """
    signal.signal(signal.SIGINT, _exit_at_once)
    signal.signal(signal.SIGTERM, _exit_at_once)
    from gancurve.cli import main as run_cli

    run_cli()


if __name__ == "__main__":
    main()
