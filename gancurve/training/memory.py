"""Keeping a long run's memory flat.

Every evaluation allocates a few arrays of 0.1–1 MB (G's paintings for 2,000 ideas, its hidden
layer, the fit). glibc's malloc serves blocks that large with ``mmap`` and returns them on free,
but after the first such free it raises its threshold ("dynamic mmap threshold") and serves
them from the heap instead. Between two evaluations the run's small long-lived objects (metrics
rows, snapshots) settle into the freed space, the next evaluation's arrays no longer fit, and
the heap grows by about one evaluation's worth every time: measured here, 250 → 460 MB over
200,000 steps at the default cadence without checkpoints (``benchmarks/bench_memory.py``).
Fixing the threshold at its default keeps those arrays out of the heap, and memory flat.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: mallopt's parameter number for the mmap threshold (glibc's malloc.h: M_MMAP_THRESHOLD = -3).
_M_MMAP_THRESHOLD = -3
#: glibc's default threshold; setting it explicitly also turns off its dynamic adjustment.
MMAP_THRESHOLD_BYTES = 128 * 1024


def keep_large_blocks_out_of_the_heap() -> bool:
    """Fix glibc's mmap threshold (Linux with glibc only); whether it was set."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
