"""Numerically safe sigmoid and log-sigmoid in numpy (the engines, the metrics and D's view use them)."""

from __future__ import annotations

import numpy as np


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log σ(x)`` without overflow: ``min(x, 0) − log1p(exp(−|x|))``."""
    result: np.ndarray = np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))
    return result


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``σ(x)`` for any x (the tanh form cannot overflow); into ``out`` when given."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out
