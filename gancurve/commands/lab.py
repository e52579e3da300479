"""``gancurve lab``: serve the live page until Ctrl-C, then save the run if it was saved once."""

from __future__ import annotations

import threading
import webbrowser

from gancurve.console import err, out
from gancurve.lab.server import LOCAL_HOSTS, LabServer
from gancurve.lab.session import Lab, LabRequest
from gancurve.training.signals import exit_code_for


def lab_command(request: LabRequest, host: str, port: int | None, open_browser: bool) -> int:
    """Train live behind the page until a signal; the exit code (130 for Ctrl-C, 143 for SIGTERM)."""
    from gancurve.core.engines.batched import prepare
    from gancurve.progress import preparing_the_step

    if request.engine == "fast" and request.device == "cpu":
        with preparing_the_step():
            prepare()
    lab = Lab(request)
    server = LabServer(lab, host, port)
    if host not in LOCAL_HOSTS:
        names = " (any Host name is accepted)" if server.security.hosts is None else ""
        err.print(
            f"Warning: listening on {host}: anyone who can reach this machine and has the token can "
            f"drive the lab{names}.",
            markup=False,
            soft_wrap=True,
        )
    out.print(f"gancurve lab: {server.url}", markup=False, soft_wrap=True)
    err.print("Ctrl-C stops it (a run saved once is saved again first).", markup=False, soft_wrap=True)
    lab.start()
    if open_browser:  # (in a thread: finding a browser may take a moment, and the page is served now)
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    stopped_by = None
    try:
        stopped_by = server.run()
    finally:
        was_saved = lab.attached is not None
        said = lab.close(save=True)
        if not said and not was_saved:
            said = "Stopped; nothing was saved (Save as run keeps a run on disk)."
        if said:
            err.print(said, markup=False, soft_wrap=True)
    return exit_code_for(stopped_by) if stopped_by is not None else 0
