"""Who wrote a record and when: the versions and the time every ``config.json``, ``sweep.json`` and
``grid.json`` carries, so that a result read back later says what produced it."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import numpy as np

from gancurve.version import __version__


def provenance() -> dict[str, str | None]:
    """gancurve's, numpy's and torch's versions (torch's only when this process used it: it is never
    imported for this) and the time, in UTC to the second."""
    torch = sys.modules.get("torch")
    return {
        "gancurve_version": __version__,
        "numpy_version": np.__version__,
        "torch_version": getattr(torch, "__version__", None),
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
