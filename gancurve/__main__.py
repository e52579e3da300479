"""The entry point of ``gancurve`` and ``python -m gancurve``."""

from __future__ import annotations

import gc
import os
import signal
from types import FrameType

#: The collector's thresholds for a command's process (CPython's defaults: 700, 10, 10).
GC_THRESHOLDS = (10_000, 20, 20)


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
    # A command is a short process that loads large libraries (with numba's compiler, ~120,000
    # objects the collector tracks): CPython's default thresholds re-scan them over and over
    # (`train`: 2 full and 23 middle collections), and again while the interpreter shuts down, for
    # memory the OS is about to take back (0.2 s). Measured in benchmarks/bench_e2e.py: `train`
    # ~0.35 s faster. Collections still run, less often; frozen objects are never freed early.
    gc.set_threshold(*GC_THRESHOLDS)
    from gancurve.cli import main as run_cli

    try:
        run_cli()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
