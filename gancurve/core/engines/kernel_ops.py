"""The compiled step's building blocks (numba): the layers, their gradients, Adam, the average.

Each works on ``ROWS`` rows of a batch at once (each weight row loaded serves four rows), and
indexes every parameter through a view with loop indices only, so numba knows each index is
non-negative and the compiler vectorises the loops over the hidden units. They are inlined into
the step (:mod:`gancurve.core.engines.kernel`), which owns the math of the game.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba import njit

from gancurve.core.schedule import decay_factor, warmup_factor

#: numba's on-disk cache of the compiled step (``GANCURVE_NOCACHE=1``: compile afresh).
CACHE = os.environ.get("GANCURVE_NOCACHE") is None
#: ``reassoc``/``contract`` let the compiler vectorise sums and fuse multiply-adds; NaN and
#: infinity keep their IEEE meaning (no ``nnan``/``ninf``), so a diverging member is seen.
FASTMATH = {"reassoc", "contract", "nsz"}
#: Rows of the batch computed together: each weight row loaded serves this many rows.
ROWS = 4
#: numba's settings (its stubs do not declare them).
_NUMBA_CONFIG: Any = numba.config


def cache_dir() -> str:
    """Where numba keeps the compiled step: ``$NUMBA_CACHE_DIR`` if the user set one, else the
    user's cache directory (``~/.cache/gancurve/numba`` on Linux), by numba's own convention.

    Never the package's ``__pycache__`` (numba's default): files pip did not install outlive an
    uninstall, and the left-over ``site-packages/gancurve/`` folder then shadows the next,
    editable, install of the same environment (README's two commands in a row broke it).
    """
    chosen: str = _NUMBA_CONFIG.CACHE_DIR
    if chosen:
        return chosen
    from numba.misc.appdirs import AppDirs

    return str(Path(AppDirs(appname="gancurve", appauthor=False).user_cache_dir) / "numba")  # type: ignore[no-untyped-call]


@contextmanager
def _caching_in(directory: str) -> Iterator[None]:
    # numba picks a function's cache location when it is decorated, from ``config.CACHE_DIR``;
    # it is set only for the step's own decorations, so the user's numba functions keep theirs.
    # Where ``directory`` cannot be written, numba falls back to ``__pycache__`` and its own.
    saved = _NUMBA_CONFIG.CACHE_DIR
    _NUMBA_CONFIG.CACHE_DIR = directory
    try:
        yield
    finally:
        _NUMBA_CONFIG.CACHE_DIR = saved


def compiled(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """numba's ``njit`` with the step's options (``FASTMATH``, numpy's error model, the cache in
    :func:`cache_dir`); ``options`` add to them (``inline="always"``, ``parallel=True``)."""
    settings: dict[str, Any] = {"fastmath": FASTMATH, "error_model": "numpy", "cache": CACHE, **options}

    def decorate(function: Callable[..., Any]) -> Any:
        with _caching_in(cache_dir()):
            return njit(**settings)(function)

    return decorate


@compiled(inline="always")
def typed(like, value):  # type: ignore[no-untyped-def]
    """``value`` in the dtype of the array ``like``.

    numba promotes float32 × float64 to float64, so every constant of the float32 step is
    made float32 here first: one float64 operand in a loop would turn it all into float64.
    """
    box = np.empty(1, like.dtype)
    box[0] = value
    return box[0]


@compiled(inline="always")
def adam(weights, grads, moments, t, lr, beta1, beta2, eps):  # type: ignore[no-untyped-def]
    """torch.optim.Adam's update at step ``t`` (no weight decay): the same formula, rearranged.

    ``w −= lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε)``, multiplied through by ``√(1 − β2ᵗ)``.
    """
    bias2_sqrt = math.sqrt(1.0 - beta2**t)
    step_size = typed(weights, lr * bias2_sqrt / (1.0 - beta1**t))
    eps_scaled = typed(weights, eps * bias2_sqrt)
    b1, b2 = typed(weights, beta1), typed(weights, beta2)
    c1, c2 = typed(weights, 1.0 - beta1), typed(weights, 1.0 - beta2)
    m, v = moments[0], moments[1]
    for q in range(weights.shape[0]):
        g = grads[q]
        m[q] = b1 * m[q] + c1 * g
        v[q] = b2 * v[q] + c2 * (g * g)
        weights[q] -= step_size * m[q] / (math.sqrt(v[q]) + eps_scaled)


@compiled(inline="always")
def sgd(weights, grads, moments, lr, momentum):  # type: ignore[no-untyped-def]
    """torch.optim.SGD's update (no dampening, weight decay or Nesterov): ``m = μ·m + g`` (torch's
    first step takes ``m = g``: the same from ``m = 0``), ``w −= lr·m``; ``moments[0]`` holds ``m``
    (left at 0 without momentum, as torch keeps no buffer then)."""
    step_size, keep = typed(weights, lr), typed(weights, momentum)
    m = moments[0]
    if momentum == 0.0:
        for q in range(weights.shape[0]):
            weights[q] -= step_size * grads[q]
        return
    for q in range(weights.shape[0]):
        m[q] = keep * m[q] + grads[q]
        weights[q] -= step_size * m[q]


@compiled(inline="always")
def average(averaged, weights, decay):  # type: ignore[no-untyped-def]
    """One step of the exponential moving average: ``averaged ← decay·averaged + (1 − decay)·weights``."""
    keep, take = typed(weights, decay), typed(weights, 1.0 - decay)
    for q in range(weights.shape[0]):
        averaged[q] = keep * averaged[q] + take * weights[q]


@compiled(inline="always")
def split_g(g, n_ideas, hidden, points):  # type: ignore[no-untyped-def]
    """G's flat vector as its four parameters (views)."""
    b1 = n_ideas * hidden
    w2 = b1 + hidden
    b2 = w2 + points * hidden
    return g[:b1].reshape((n_ideas, hidden)), g[b1:w2], g[w2:b2].reshape((points, hidden)), g[b2:]


@compiled(inline="always")
def split_d(d, hidden, points):  # type: ignore[no-untyped-def]
    """D's flat vector as its four parameters (views); ``c2`` is a 1-vector."""
    c1 = points * hidden
    v2 = c1 + hidden
    return d[:c1].reshape((points, hidden)), d[c1:v2], d[v2 : v2 + hidden], d[v2 + hidden :]


@compiled(inline="always")
def relu_layer(inputs, r, weights, bias, out, zero):  # type: ignore[no-untyped-def]
    """``out[k] = relu(bias + inputs[r + k] @ weights)`` for the ROWS rows of a block.

    ``weights`` is ``(in, hidden)``: each weight row is loaded once for the block's four rows.
    """
    o0, o1, o2, o3 = out[0], out[1], out[2], out[3]
    for j in range(bias.shape[0]):
        c = bias[j]
        o0[j] = c
        o1[j] = c
        o2[j] = c
        o3[j] = c
    for i in range(weights.shape[0]):
        a0, a1, a2, a3 = inputs[r, i], inputs[r + 1, i], inputs[r + 2, i], inputs[r + 3, i]
        w = weights[i]
        for j in range(bias.shape[0]):
            o0[j] += a0 * w[j]
            o1[j] += a1 * w[j]
            o2[j] += a2 * w[j]
            o3[j] += a3 * w[j]
    for j in range(bias.shape[0]):
        o0[j] = max(o0[j], zero)
        o1[j] = max(o1[j], zero)
        o2[j] = max(o2[j], zero)
        o3[j] = max(o3[j], zero)


@compiled(inline="always")
def dots(hidden, weights, bias, out, r):  # type: ignore[no-untyped-def]
    """``out[r + k, p] = bias[p] + hidden[k] · weights[p]`` for a block's rows (``weights (P, H)``)."""
    h0, h1, h2, h3 = hidden[0], hidden[1], hidden[2], hidden[3]
    for p in range(weights.shape[0]):
        w = weights[p]
        s0 = s1 = s2 = s3 = bias[p] - bias[p]
        for j in range(w.shape[0]):
            s0 += h0[j] * w[j]
            s1 += h1[j] * w[j]
            s2 += h2[j] * w[j]
            s3 += h3[j] * w[j]
        out[r, p] = s0 + bias[p]
        out[r + 1, p] = s1 + bias[p]
        out[r + 2, p] = s2 + bias[p]
        out[r + 3, p] = s3 + bias[p]


@compiled(inline="always")
def outer_add(grads, inputs, r, rhs):  # type: ignore[no-untyped-def]
    """``grads[i] += Σ_k inputs[r + k, i] · rhs[k]``: a weight gradient, one pass per weight row."""
    q0, q1, q2, q3 = rhs[0], rhs[1], rhs[2], rhs[3]
    for i in range(grads.shape[0]):
        a0, a1, a2, a3 = inputs[r, i], inputs[r + 1, i], inputs[r + 2, i], inputs[r + 3, i]
        row = grads[i]
        for j in range(row.shape[0]):
            row[j] += a0 * q0[j] + a1 * q1[j] + a2 * q2[j] + a3 * q3[j]


schedule_decay = compiled(fastmath=False, inline="always")(decay_factor)
schedule_warmup = compiled(fastmath=False, inline="always")(warmup_factor)
