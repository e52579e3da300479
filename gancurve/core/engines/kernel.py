"""The compiled training step: N independent GANs, each member's whole step in one loop nest.

Why compiled: the networks are tiny (about 2.6 MFLOP a step), so in numpy the cost is the
~55 calls a step makes, not the arithmetic. Compiled with numba, one call runs many steps
of many members; each member's weights, Adam moments and activations (about 100 KB) stay in
the core's cache for all of its steps, and the members are shared between the cores.

Every array has a leading **model axis** (member ``m``). A member's weights are one flat
vector per network in the layout of :mod:`gancurve.core.engines.layout`, so that every inner
loop runs over the hidden units, contiguous in memory (what the CPU's vector units want);
:mod:`gancurve.core.engines.batched` converts to and from torch's names and shapes.

The step is the reference trainer's (:class:`~gancurve.core.engines.reference.Trainer`): D
learns on the artist's batch and G's detached paintings (minimax loss), then G learns against
the updated D; both with torch's Adam. Derivatives, for logits ``l`` of a batch of size ``B``:
``d/dl [−log σ(l)] = σ(l) − 1`` and ``d/dl [−log(1 − σ(l))] = σ(l)``.

Floating point: ``reassoc``/``contract`` let the compiler vectorise sums and fuse multiply-adds,
so results differ from numpy's in the last bits (tests hold them to the reference to 1e-8 in
float64) but never depend on the number of members or threads: member ``m`` computes the same
numbers alone or among thousands. NaN and infinity keep their IEEE meaning (no ``nnan``/``ninf``),
so a diverging member is seen.
"""

from __future__ import annotations

import math
import os
from collections import namedtuple

import numpy as np
from numba import njit, prange

from gancurve.core.engines.layout import BETA1, BETA2, DECAY_END, DECAY_START, EPS, LR_D, LR_G, NON_SATURATING
from gancurve.core.schedule import linear_decay_factor

CACHE = os.environ.get("GANCURVE_NOCACHE") is None
FASTMATH = {"reassoc", "contract", "nsz"}
#: Rows of the batch computed together: each weight row loaded serves this many rows.
ROWS = 4


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, inline="always")
def _typed(like, value):  # type: ignore[no-untyped-def]
    """``value`` in the dtype of the array ``like``.

    numba promotes float32 × float64 to float64, so every constant of the float32 step is
    made float32 here first: one float64 operand in a loop would turn it all into float64.
    """
    box = np.empty(1, like.dtype)
    box[0] = value
    return box[0]


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, inline="always")
def _adam(weights, grads, moments, t, lr, beta1, beta2, eps):  # type: ignore[no-untyped-def]
    """torch.optim.Adam's update at step ``t`` (no weight decay): the same formula, rearranged.

    ``w −= lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε)``, multiplied through by ``√(1 − β2ᵗ)``.
    """
    bias2_sqrt = math.sqrt(1.0 - beta2**t)
    step_size = _typed(weights, lr * bias2_sqrt / (1.0 - beta1**t))
    eps_scaled = _typed(weights, eps * bias2_sqrt)
    b1, b2 = _typed(weights, beta1), _typed(weights, beta2)
    c1, c2 = _typed(weights, 1.0 - beta1), _typed(weights, 1.0 - beta2)
    m, v = moments[0], moments[1]
    for q in range(weights.shape[0]):
        g = grads[q]
        m[q] = b1 * m[q] + c1 * g
        v[q] = b2 * v[q] + c2 * (g * g)
        weights[q] -= step_size * m[q] / (math.sqrt(v[q]) + eps_scaled)


_lr_factor = njit(error_model="numpy", cache=CACHE, inline="always")(linear_decay_factor)


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, parallel=True)
def train_steps(  # type: ignore[no-untyped-def]
    g_all, d_all, g_moments, d_moments, adam_steps, hyper, active, real_a, ideas, start, count, basis, logits
):
    """Advance every active member by ``count`` steps, in place, on draws ``start:start + count``.

    Shapes (``N`` members, ``K`` steps, ``B`` batch): ``g_all (N, |G|)``, ``d_all (N, |D|)``,
    ``g_moments (N, 2, |G|)``, ``d_moments (N, 2, |D|)``, ``adam_steps (N,)`` int64 (both
    networks' Adam step), ``hyper (N, HYPER_COLUMNS)`` float64, ``active (N,)`` bool,
    ``real_a (N, K, B)`` the artist's parameters and ``ideas (N, K, B, I)`` for ``K ≥ start + count``
    steps (a block drawn in advance), ``basis (P,)`` the
    artist's ``x² + 1``, ``logits (N, LOGIT_PARTS, B)`` written with the last step's logits.
    """
    members, batch = real_a.shape[0], real_a.shape[2]
    n_ideas, points = ideas.shape[3], basis.shape[0]
    hidden = (d_all.shape[1] - 1) // (points + 2)
    rows = -(-batch // ROWS) * ROWS  # the batch padded to whole blocks of rows
    for m in prange(members):
        if not active[m]:
            continue
        # Scratch, once per member per call. Padding rows stay zero: they add exact zeros.
        work = _Work(
            np.zeros((rows, n_ideas), g_all.dtype),
            np.zeros((2 * rows, points), g_all.dtype),
            np.zeros((rows, hidden), g_all.dtype),
            np.zeros((ROWS, hidden), g_all.dtype),
            np.zeros((ROWS, hidden), g_all.dtype),
            np.zeros((ROWS, points), g_all.dtype),
            np.zeros_like(g_all[m]),
            np.zeros_like(d_all[m]),
        )
        for k in range(start, start + count):
            adam_steps[m] += 1
            _member_step(
                g_all[m], d_all[m], g_moments[m], d_moments[m], adam_steps[m], hyper[m],
                real_a[m, k], ideas[m, k], basis, logits[m], work,
            )  # fmt: skip


_Work = namedtuple("_Work", "ideas x g_hidden hidden grad grad_fake g_grads d_grads")


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, inline="always")
def _split_g(g, n_ideas, hidden, points):  # type: ignore[no-untyped-def]
    """G's flat vector as its four parameters (views)."""
    b1 = n_ideas * hidden
    w2 = b1 + hidden
    b2 = w2 + points * hidden
    return g[:b1].reshape((n_ideas, hidden)), g[b1:w2], g[w2:b2].reshape((points, hidden)), g[b2:]


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, inline="always")
def _split_d(d, hidden, points):  # type: ignore[no-untyped-def]
    """D's flat vector as its four parameters (views); ``c2`` is a 1-vector."""
    c1 = points * hidden
    v2 = c1 + hidden
    return d[:c1].reshape((points, hidden)), d[c1:v2], d[v2 : v2 + hidden], d[v2 + hidden :]


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, inline="always")
def _relu_layer(inputs, r, weights, bias, out, zero):  # type: ignore[no-untyped-def]
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


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, inline="always")
def _dots(hidden, weights, bias, out, r):  # type: ignore[no-untyped-def]
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


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE, inline="always")
def _outer_add(grads, inputs, r, rhs):  # type: ignore[no-untyped-def]
    """``grads[i] += Σ_k inputs[r + k, i] · rhs[k]``: a weight gradient, one pass per weight row."""
    q0, q1, q2, q3 = rhs[0], rhs[1], rhs[2], rhs[3]
    for i in range(grads.shape[0]):
        a0, a1, a2, a3 = inputs[r, i], inputs[r + 1, i], inputs[r + 2, i], inputs[r + 3, i]
        row = grads[i]
        for j in range(row.shape[0]):
            row[j] += a0 * q0[j] + a1 * q1[j] + a2 * q2[j] + a3 * q3[j]


@njit(fastmath=FASTMATH, error_model="numpy", cache=CACHE)
def _member_step(g, d, g_moments, d_moments, t, hyper, real_a, ideas, basis, logits, work):  # type: ignore[no-untyped-def]
    """One step of one member (see the module's docstring for the layout and the math).

    Rows are taken ROWS at a time, so each weight row loaded serves four rows of the batch;
    every parameter is indexed through a view with loop indices only, so numba knows each index
    is non-negative and the compiler vectorises the loops over the hidden units.
    """
    batch, n_ideas = ideas.shape
    points = basis.shape[0]
    hidden = (d.shape[0] - 1) // (points + 2)
    rows = work.g_hidden.shape[0]
    one, zero, half = _typed(g, 1.0), _typed(g, 0.0), _typed(g, 0.5)
    inv_batch = _typed(g, 1.0 / batch)
    lr_factor = _lr_factor(float(t), hyper[DECAY_START], hyper[DECAY_END])
    # G's loss: minimax ∂ mean log(1 − σ(l))/∂l = −σ(l)/B; non-saturating ∂ mean −log σ(l)/∂l
    # = (σ(l) − 1)/B. With σ = (1 + tanh(l/2))/2 both are −(1 ± tanh(l/2))/(2B).
    tanh_sign = -one if hyper[NON_SATURATING] != 0.0 else one
    w1, b1, w2, b2 = _split_g(g, n_ideas, hidden, points)
    v1, c1, v2, c2 = _split_d(d, hidden, points)
    gv1, gc1, gv2, gc2 = _split_d(work.d_grads, hidden, points)
    gw1, gb1, gw2, gb2 = _split_g(work.g_grads, n_ideas, hidden, points)
    x, h, grad, grad_fake = work.x, work.hidden, work.grad, work.grad_fake
    work.d_grads[:] = zero
    work.g_grads[:] = zero

    # The artist paints its batch, y = a·(x² + 1) − 1, into the first rows of x.
    for b in range(batch):
        for p in range(points):
            x[b, p] = real_a[b] * basis[p] - one
        for i in range(n_ideas):
            work.ideas[b, i] = ideas[b, i]

    # G paints: ideas → hidden (ReLU) → points, into the second half of x.
    for r in range(0, rows, ROWS):
        _relu_layer(work.ideas, r, w1, b1, work.g_hidden[r : r + ROWS], zero)
        _dots(work.g_hidden[r : r + ROWS], w2, b2, x, rows + r)

    # (1) Update D on both halves; G's half is a constant here (the detach).
    for r in range(0, 2 * rows, ROWS):
        _relu_layer(x, r, v1, c1, h, zero)
        for k in range(ROWS):
            row = r + k if r < rows else r + k - rows  # the row within its half
            s = c2[0]
            for j in range(hidden):
                s += h[k, j] * v2[j]
            if row >= batch:  # padding: contributes nothing
                for j in range(hidden):
                    grad[k, j] = zero
                continue
            logits[0 if r < rows else 1, row] = s
            sigma = half * (one + math.tanh(half * s))
            # ∂(−score)/∂logit: (σ − 1)/B on the artist's rows, σ/B on G's.
            g_logit = (sigma - one) * inv_batch if r < rows else sigma * inv_batch
            gc2[0] += g_logit
            for j in range(hidden):
                gv2[j] += g_logit * h[k, j]
                grad[k, j] = g_logit * v2[j] if h[k, j] > zero else zero
                gc1[j] += grad[k, j]
        _outer_add(gv1, x, r, grad)
    _adam(d, work.d_grads, d_moments, t, hyper[LR_D] * lr_factor, hyper[BETA1], hyper[BETA2], hyper[EPS])

    # (2) Update G against the new D: minimise mean log(1 − D(G(z))), or mean −log D(G(z)).
    for r in range(0, rows, ROWS):
        _relu_layer(x, rows + r, v1, c1, h, zero)
        for k in range(ROWS):
            if r + k >= batch:
                for j in range(hidden):
                    grad[k, j] = zero
                continue
            s = c2[0]
            for j in range(hidden):
                s += h[k, j] * v2[j]
            logits[2, r + k] = s
            g_logit = -half * (one + tanh_sign * math.tanh(half * s)) * inv_batch
            for j in range(hidden):
                grad[k, j] = g_logit * v2[j] if h[k, j] > zero else zero
        # ∂/∂fake[k, p] = grad[k] · V1[p]  (grad already holds g_logit · v2 · [pre > 0])
        for p in range(points):
            w = v1[p]
            s0 = s1 = s2 = s3 = zero
            for j in range(hidden):
                s0 += grad[0, j] * w[j]
                s1 += grad[1, j] * w[j]
                s2 += grad[2, j] * w[j]
                s3 += grad[3, j] * w[j]
            grad_fake[0, p], grad_fake[1, p], grad_fake[2, p] = s0, s1, s2
            grad_fake[3, p] = s3
        # Back through G's second layer: its gradients, and the gradient at G's hidden units.
        gh = work.g_hidden[r : r + ROWS]
        for k in range(ROWS):
            for p in range(points):
                gb2[p] += grad_fake[k, p]
        for p in range(points):
            f0, f1, f2, f3 = grad_fake[0, p], grad_fake[1, p], grad_fake[2, p], grad_fake[3, p]
            w = w2[p]
            row = gw2[p]
            for j in range(hidden):
                row[j] += f0 * gh[0, j] + f1 * gh[1, j] + f2 * gh[2, j] + f3 * gh[3, j]
        for k in range(ROWS):
            for j in range(hidden):
                grad[k, j] = zero
        for p in range(points):
            f0, f1, f2, f3 = grad_fake[0, p], grad_fake[1, p], grad_fake[2, p], grad_fake[3, p]
            w = w2[p]
            for j in range(hidden):
                grad[0, j] += f0 * w[j]
                grad[1, j] += f1 * w[j]
                grad[2, j] += f2 * w[j]
                grad[3, j] += f3 * w[j]
        for k in range(ROWS):
            for j in range(hidden):
                if gh[k, j] <= zero:
                    grad[k, j] = zero
                gb1[j] += grad[k, j]
        _outer_add(gw1, work.ideas, r, grad)
    _adam(g, work.g_grads, g_moments, t, hyper[LR_G] * lr_factor, hyper[BETA1], hyper[BETA2], hyper[EPS])
