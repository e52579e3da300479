"""Choosing the torch device from the ``--device`` option."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gancurve.errors import GancurveError, UsageError

if TYPE_CHECKING:
    import torch

#: ``--device`` choices; the first is the default.
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def mps_available() -> bool:
    """Whether Apple's Metal backend can be used."""
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def select_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; an explicit choice must be usable here."""
    import torch

    if name not in DEVICE_CHOICES:
        raise UsageError(f"Unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}.")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise GancurveError(
            f"--device cuda: no CUDA GPU is available (torch {torch.__version__}, {build}); "
            "use --device cpu or --device auto."
        )
    if name == "mps" and not mps_available():
        raise GancurveError("--device mps: Apple's Metal backend is not available; use --device cpu.")
    return torch.device(name)
