"""gancurve: train a tiny GAN that learns to draw parabolas — from the command line or from Python.

::

    import gancurve as gc

    run = gc.train(steps=10_000, recipe="best", seed=3)
    run.sample(5)          # (5, 15) paintings
    run.evaluate()         # exact metrics and the verdict
    study = gc.sweep(seeds=range(1, 101), recipe=["tutorial", "best"])

Importing the package is cheap on purpose (no torch, numba or matplotlib): the API's names are
loaded the first time one is used (:mod:`gancurve.api`), so ``import gancurve`` and ``gancurve
--help`` stay instant.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gancurve.version import __version__

if TYPE_CHECKING:  # the names as type checkers and editors see them (imported lazily below)
    from gancurve.api import GancurveWarning, Grid, Run, Sweep, load, runs, sweep, train  # noqa: F401
    from gancurve.errors import GancurveError, UsageError  # noqa: F401

#: The public names, and the module each comes from.
_PUBLIC = {
    "train": "gancurve.api",
    "sweep": "gancurve.api",
    "load": "gancurve.api",
    "runs": "gancurve.api",
    "Run": "gancurve.api",
    "Sweep": "gancurve.api",
    "Grid": "gancurve.api",
    "GancurveWarning": "gancurve.api",
    "GancurveError": "gancurve.errors",
    "UsageError": "gancurve.errors",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    """The API's names, imported when first used (PEP 562): ``import gancurve`` stays cheap."""
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'gancurve' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
