"""The Dask worker plugin of a LocalCluster that ``--cluster local:N`` starts (imports ``distributed``:
loaded only with a cluster)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from distributed import WorkerPlugin


class CtrlCIsTheClients(WorkerPlugin):
    """The worker process ignores SIGINT: a terminal's Ctrl-C reaches the whole process group, and
    these workers are the command's, which stops them itself (each printed a traceback of its own)."""

    name = "gancurve-ctrl-c"

    def setup(self, worker: Any) -> None:
        """Runs on the worker's event loop, in its main thread, where a signal's handler is set."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
