"""Who wrote a record and when: the versions and the time every ``config.json``, ``sweep.json`` and
``grid.json`` carries, so that a result read back later says what produced it."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from importlib import metadata

import numpy as np

from gancurve.version import __version__


def provenance() -> dict[str, str | None]:
    """gancurve's, numpy's and torch's versions and the time, in UTC to the second."""
    return {
        "gancurve_version": __version__,
        "numpy_version": np.__version__,
        "torch_version": installed_torch(),
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@functools.lru_cache(maxsize=1)
def installed_torch() -> str | None:
    """The installed torch's version, read from its package metadata (None: not installed).

    Not ``torch.__version__``: torch is never imported for this, and whether this process happened
    to import it (a GPU run did, a CPU run does not; a Dask worker may not) must not change the
    record — a sweep on a cluster writes the same ``config.json`` as one here.
    """
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None
