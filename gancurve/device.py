"""Choosing where to train from ``--device``, importing torch only when a GPU may be used.

``auto`` means CUDA when this machine can run it, else the CPU. Whether it can is first asked
without importing torch (about 2 s here): the installed torch must be a CUDA (or ROCm) build —
its ``torch/version.py`` says so — and the machine must show a GPU driver. Only then is torch
imported to confirm. ``auto`` never picks Apple's ``mps``: there the fast engine is the reference
trainer, and the numpy engine on the CPU is the quick one; ask for ``--device mps`` to use it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from gancurve.errors import GancurveError, UsageError

#: ``--device`` choices; the first is the default.
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
#: Files whose presence shows a GPU driver on Linux (NVIDIA; AMD's ROCm).
_DRIVER_FILES = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/kfd")
_VERSION_LINE = re.compile(r"^(cuda|hip)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def torch_gpu_build() -> bool | None:
    """Whether the installed torch was built for CUDA or ROCm, read from its files (None: no torch)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text(encoding="utf-8")
    except OSError:
        return True  # cannot tell: let torch answer
    return any(value.strip() != "None" for _, value in _VERSION_LINE.findall(text))


def gpu_driver_present() -> bool:
    """Whether this machine shows a GPU driver (on Linux; elsewhere assume it may)."""
    if not sys.platform.startswith("linux"):
        return True
    return any(Path(name).exists() for name in _DRIVER_FILES)


def select_device(name: str) -> str:
    """The device to train on: ``auto`` → ``cuda`` when usable, else ``cpu``; an explicit choice must work."""
    if name not in DEVICE_CHOICES:
        raise UsageError(f"Unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}.")
    if name == "cpu":
        return "cpu"
    if name == "auto":
        if torch_gpu_build() and gpu_driver_present():
            import torch

            if torch.cuda.is_available():
                return "cuda"
        return "cpu"
    if torch_gpu_build() is None:
        raise GancurveError(f"--device {name} needs torch, which is not installed; pip install torch.")
    import torch

    if name == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise GancurveError(
            f"--device cuda: no CUDA GPU is available (torch {torch.__version__}, {build}); "
            "use --device cpu or --device auto."
        )
    if name == "mps":
        backend = getattr(torch.backends, "mps", None)
        if backend is None or not backend.is_available():
            raise GancurveError("--device mps: Apple's Metal backend is not available; use --device cpu.")
    return name
