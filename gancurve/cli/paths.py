"""Where runs live, as the commands resolve it (imported lazily: the store is not needed for help)."""

from __future__ import annotations

from pathlib import Path


def runs_dir_of(option: str | None) -> Path:
    """``--runs-dir`` (or ``$GANCURVE_RUNS_DIR``, or ``./runs``) as a path."""
    from gancurve.store.runs import resolve_runs_dir

    return resolve_runs_dir(option)
