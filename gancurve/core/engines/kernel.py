"""The compiled training step: N independent GANs, each member's whole step in one loop nest.

Why compiled: the networks are tiny (about 2.6 MFLOP a step), so in numpy the cost is the
~55 calls a step makes, not the arithmetic. Compiled with numba, one call runs many steps
of many members; each member's weights, Adam moments and activations (about 100 KB) stay in
the core's cache for all of its steps, and the members are shared between the cores.

Every array has a leading **model axis** (member ``m``). A member's weights are one flat
vector per network in the layout of :mod:`gancurve.core.engines.layout`, so that every inner
loop runs over the hidden units, contiguous in memory (what the CPU's vector units want);
:mod:`gancurve.core.engines.batched` converts to and from torch's names and shapes. The layers
and Adam are the building blocks of :mod:`gancurve.core.engines.kernel_ops`.

The step is the reference trainer's (:class:`~gancurve.core.engines.reference.Trainer`): D
learns on the artist's batch and G's detached paintings (``d_steps`` times, each on fresh draws),
then G learns against the updated D; both with torch's Adam. Everything a member chooses is read
from its row of the ``hyper`` table, so members with different objectives share one engine. The
objective enters only through the derivatives of its terms by D's logit (:func:`_d_slope`,
:func:`_g_slope`; the terms are in :mod:`gancurve.core.objectives`), a penalty on D's slope (R1,
WGAN-GP) through :func:`_slopes` and :func:`_penalty_grads`.

Floating point: results differ from numpy's in the last bits (tests hold them to the reference
to 1e-8 in float64) but never depend on the number of members or threads: member ``m`` computes
the same numbers alone or among thousands.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba
import numpy as np
from numba import prange

from gancurve.core.config import OPTIMIZER_CODES
from gancurve.core.engines.kernel_ops import (
    ROWS,
    adam,
    average,
    compiled,
    dots,
    outer_add,
    relu_layer,
    schedule_decay,
    schedule_warmup,
    sgd,
    split_d,
    split_g,
    typed,
)
from gancurve.core.engines.layout import (
    BETA1,
    BETA2,
    DECAY_END,
    DECAY_START,
    EMA,
    EMA_START,
    EPS,
    LOSS,
    LR_D,
    LR_G,
    MOMENTUM,
    NOISE,
    OPTIMIZER,
    R1,
    SCHEDULE,
    WARMUP,
)
from gancurve.core.objectives import LOSS_CODES, WGAN_GP_WEIGHT

#: The objectives' codes in a member's hyper table (compile-time constants for numba).
NON_SATURATING = int(LOSS_CODES["non-saturating"])
LEAST_SQUARES = int(LOSS_CODES["least-squares"])
HINGE = int(LOSS_CODES["hinge"])
WASSERSTEIN = int(LOSS_CODES["wasserstein-gp"])
SGD = int(OPTIMIZER_CODES["sgd"])


#: The most threads one call may use, when a caller limits it (None: numba's pool, NUMBA_NUM_THREADS).
_THREADS_MOST: list[int | None] = [None]


def limit_threads(most: int | None) -> None:
    """Run every later call of this process on at most ``most`` threads (None: no limit but numba's).

    A Dask worker trains one shard per worker thread: each shard's calls on its own thread alone,
    or a machine of N worker processes would run N × cores threads on its cores.
    """
    _THREADS_MOST[0] = most


def share_members(active: int) -> None:
    """Run the next calls on no more threads than there are ``active`` members to share.

    The members are the only parallel loop: a thread without one would idle at the region's end,
    and numba's OpenMP threads wait by spinning, which slowed the one working thread (and the
    Python between the calls) up to twofold on a 2-core VM — ``gancurve train`` is one member.
    """
    pool = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    wanted = max(1, min(active, pool, _THREADS_MOST[0] or pool))
    if numba.get_num_threads() != wanted:
        numba.set_num_threads(wanted)


# nogil: the step holds no Python object, so it lets other threads run meanwhile (the lab's page server).
@compiled(parallel=True, nogil=True)
def train_steps(  # type: ignore[no-untyped-def]
    g_all, d_all, g_ema, g_moments, d_moments, adam_steps, hyper, active, real_a, ideas, condition, mix,
    noise, start, count, basis, offset, logits,
):  # fmt: skip
    """Advance every active member by ``count`` steps, in place, on draws ``start:start + count``.

    Shapes (``N`` members, ``S ≥ start + count`` steps of draws made in advance, ``K`` updates of
    D per step, ``B`` batch): ``g_all (N, |G|)``, ``d_all (N, |D|)``, ``g_ema (N, |G|)`` the
    average of G's weights (kept where the member's ``EMA`` decay is > 0), ``g_moments (N, 2, |G|)``,
    ``d_moments (N, 2, |D|)``, ``adam_steps (N, 2)`` int64 (G's Adam step — the training step —
    and D's), ``hyper (N, HYPER_COLUMNS)`` float64, ``active (N,)`` bool, ``real_a (N, S, K, B)``
    the artist's parameters, ``ideas (N, S, K, B, I)``, ``condition (N, S, K, B, C)`` the condition
    columns of each row (``C = 0``: none; G's input is ``ideas ⊕ condition``, D's ``painting ⊕
    condition``, the artist's and G's painting of a row sharing it), ``mix (N, S, K, B)`` WGAN-GP's mixing
    weights (read by WGAN-GP members only), ``noise (N, S, K, 2, B, P)`` instance noise for the
    artist's and G's paintings (read by members with a noise σ only; ``P`` may be 0 when none has
    one), ``basis (P,)`` and ``offset (P,)`` the artist's family
    (a painting is ``a·basis + offset``; the parabolas': ``x² + 1`` and ``−1``), ``logits (N,
    LOGIT_PARTS, B)`` written with the last step's logits.
    """
    members, batch = real_a.shape[0], real_a.shape[3]
    n_inputs, points, width = ideas.shape[4] + condition.shape[4], basis.shape[0], condition.shape[4]
    hidden = (d_all.shape[1] - 1) // (points + width + 2)
    rows = -(-batch // ROWS) * ROWS  # the batch padded to whole blocks of rows
    for m in prange(members):
        if not active[m]:
            continue
        # Scratch, once per member per call. Padding rows stay zero: they add exact zeros.
        work = _Work(
            np.zeros((rows, n_inputs), g_all.dtype),
            np.zeros((2 * rows, points + width), g_all.dtype),
            np.zeros((rows, hidden), g_all.dtype),
            np.zeros((ROWS, hidden), g_all.dtype),
            np.zeros((ROWS, hidden), g_all.dtype),
            np.zeros((ROWS, points), g_all.dtype),
            np.zeros_like(g_all[m]),
            np.zeros_like(d_all[m]),
            np.zeros((ROWS, points), g_all.dtype),
            np.zeros((ROWS, hidden), g_all.dtype),
            np.zeros((ROWS, hidden), g_all.dtype),
            np.zeros(ROWS, g_all.dtype),
            np.zeros((rows, points + width), g_all.dtype),
            np.zeros((rows, points), g_all.dtype),
        )
        for k in range(start, start + count):
            _member_step(
                g_all[m], d_all[m], g_moments[m], d_moments[m], adam_steps[m], hyper[m],
                real_a[m, k], ideas[m, k], condition[m, k], mix[m, k], noise[m, k], basis, offset, logits[m],
                work,
            )  # fmt: skip
            if hyper[m, EMA] > 0.0:
                # Up to its start the average is G itself; from there it averages (--ema-start).
                average(g_ema[m], g_all[m], hyper[m, EMA] if adam_steps[m, 0] > hyper[m, EMA_START] else 0.0)


_Work = namedtuple(
    "_Work",
    "ideas x g_hidden hidden grad grad_fake g_grads d_grads "
    "penalty_u penalty_q penalty_mask penalty_scale x_mix clean_fake",
)


@compiled()
def _member_step(  # type: ignore[no-untyped-def]
    g, d, g_moments, d_moments, adam_steps, hyper, real_a, ideas, condition, mix, noise, basis, offset,
    logits, work,
):  # fmt: skip
    """One step of one member: an update of D per slot of draws, then G's against the last D
    on the last slot's paintings."""
    points = basis.shape[0]
    adam_steps[0] += 1  # G's Adam step is the training step, which the schedule follows
    step = float(adam_steps[0])
    decay = schedule_decay(step, hyper[SCHEDULE], hyper[DECAY_START], hyper[DECAY_END])
    factor = decay * schedule_warmup(step, hyper[WARMUP])  # the learning rates'; the noise's is the decay
    for j in range(real_a.shape[0]):
        adam_steps[1] += 1
        _paint(g, real_a[j], ideas[j], condition[j], basis, offset, work)
        _update_d(d, d_moments, adam_steps[1], hyper, factor, decay, mix[j], noise[j], points, logits, work)
    _update_g(g, g_moments, adam_steps[0], d, hyper, factor, points, logits, work)


@compiled(inline="always")
def _d_slope(code, s, real, one, zero, half):  # type: ignore[no-untyped-def]
    """∂/∂l of D's loss term for a painting with logit ``s``, the artist's (``real``) or G's.

    minimax and non-saturating: ``σ(l) − 1`` and ``σ(l)``, with ``σ = (1 + tanh(l/2))/2``;
    least-squares: ``l − 1`` and ``l``; hinge: ``−[l < 1]`` and ``[l > −1]`` (0 at the kink, as
    autograd has it); Wasserstein: ``−1`` and ``1``.
    """
    if code == WASSERSTEIN:
        return -one if real else one
    if code == LEAST_SQUARES:
        return s - one if real else s
    if code == HINGE:
        if real:
            return -one if s < one else zero
        return one if s > -one else zero
    sigma = half * (one + math.tanh(half * s))
    return sigma - one if real else sigma


@compiled(inline="always")
def _g_slope(code, s, one, half):  # type: ignore[no-untyped-def]
    """∂/∂l of G's loss term: minimax ``−σ(l)``, non-saturating ``σ(l) − 1``, least-squares
    ``l − 1``, hinge and Wasserstein ``−1``."""
    if code == LEAST_SQUARES:
        return s - one
    if code in (HINGE, WASSERSTEIN):
        return -one
    t = math.tanh(half * s)
    return -half * (one - t) if code == NON_SATURATING else -half * (one + t)


@compiled()
def _paint(g, real_a, ideas, condition, basis, offset, work):  # type: ignore[no-untyped-def]
    """The artist's batch into the first rows of ``work.x``, G's into the second half (G's hidden
    units kept in ``work.g_hidden`` for G's update); each row's condition after its points, and
    after its ideas in G's input ``work.ideas``."""
    batch, n_ideas = ideas.shape
    points, rows, width = basis.shape[0], work.g_hidden.shape[0], condition.shape[1]
    hidden = work.g_hidden.shape[1]
    zero = typed(g, 0.0)
    w1, b1, w2, b2 = split_g(g, n_ideas + width, hidden, points)
    x = work.x
    # The artist paints its batch, y = a·basis + offset (the parabolas: a·(x² + 1) − 1).
    for b in range(batch):
        for p in range(points):
            x[b, p] = real_a[b] * basis[p] + offset[p]
        for i in range(n_ideas):
            work.ideas[b, i] = ideas[b, i]
        for c in range(width):  # the artist's painting and G's of a row share its condition
            work.ideas[b, n_ideas + c] = condition[b, c]
            x[b, points + c] = condition[b, c]
            x[rows + b, points + c] = condition[b, c]
    # G paints: ideas → hidden (ReLU) → points.
    for r in range(0, rows, ROWS):
        relu_layer(work.ideas, r, w1, b1, work.g_hidden[r : r + ROWS], zero)
        dots(work.g_hidden[r : r + ROWS], w2, b2, x, rows + r)


@compiled()
def _update_d(d, d_moments, t, hyper, factor, decay, mix, noise, points, logits, work):  # type: ignore[no-untyped-def]
    """(1) Update D on both halves of ``work.x``; G's half is a constant here (the detach). A
    penalty on D's slope (R1 on the artist's rows, WGAN-GP's between the halves) joins D's
    gradient; the slope is taken along the ``points`` of a painting, not its condition. With
    instance noise D sees every painting plus ``σ·decay·noise`` (the schedule's decay anneals it,
    not its warm-up): R1's
    slope is at the noisy artist's painting, WGAN-GP's points lie between the noisy paintings,
    and G's clean paintings are put back for G's update."""
    batch = mix.shape[0]
    inputs, rows, hidden = work.x.shape[1], work.g_hidden.shape[0], work.g_hidden.shape[1]
    one, zero, half = typed(d, 1.0), typed(d, 0.0), typed(d, 0.5)
    inv_batch = typed(d, 1.0 / batch)
    code = int(hyper[LOSS])
    r1_scale = typed(d, hyper[R1] / batch)
    v1, c1, v2, c2 = split_d(d, hidden, inputs)
    gv1, gc1, gv2, gc2 = split_d(work.d_grads, hidden, inputs)
    v1_points, gv1_points = v1[:points], gv1[:points]  # the slope's part of the first layer
    x, h, grad = work.x, work.hidden, work.grad
    sigma = typed(d, hyper[NOISE] * decay)
    noisy = hyper[NOISE] > 0.0
    if noisy:
        _add_noise(x, noise, sigma, batch, rows, points, work.clean_fake)
    work.d_grads[:] = zero
    for r in range(0, 2 * rows, ROWS):
        relu_layer(x, r, v1, c1, h, zero)
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
            g_logit = _d_slope(code, s, r < rows, one, zero, half) * inv_batch
            gc2[0] += g_logit
            for j in range(hidden):
                gv2[j] += g_logit * h[k, j]
                grad[k, j] = g_logit * v2[j] if h[k, j] > zero else zero
                gc1[j] += grad[k, j]
        outer_add(gv1, x, r, grad)
        if r < rows and r1_scale != zero:  # R1: γ/2·mean ‖∇ₓ l‖², so ∂/∂u = (γ/B)·u
            _slopes(v1_points, v2, h, batch - r, work, one, zero)
            work.penalty_scale[:] = r1_scale
            _penalty_grads(v1_points, gv1_points, gv2, work)
    if code == WASSERSTEIN:
        _gradient_penalty(
            v1, c1, v2, mix, typed(d, WGAN_GP_WEIGHT / batch), gv1_points, gv2, points, work, one, zero
        )
    if noisy:  # G learns on its own paintings, not on what D saw
        for b in range(batch):
            for p in range(points):
                x[rows + b, p] = work.clean_fake[b, p]
    _learn(d, work.d_grads, d_moments, t, hyper, hyper[LR_D] * factor)


@compiled(inline="always")
def _learn(weights, grads, moments, t, hyper, lr):  # type: ignore[no-untyped-def]
    """One network's update by the member's optimizer: Adam at its step ``t``, or SGD."""
    if int(hyper[OPTIMIZER]) == SGD:
        sgd(weights, grads, moments, lr, hyper[MOMENTUM])
    else:
        adam(weights, grads, moments, t, lr, hyper[BETA1], hyper[BETA2], hyper[EPS])


@compiled(inline="always")
def _add_noise(x, noise, sigma, batch, rows, points, clean_fake):  # type: ignore[no-untyped-def]
    """Instance noise: ``x += σ·n`` on the points of the artist's rows (``noise[0]``) and G's
    (``noise[1]``), G's clean paintings kept in ``clean_fake``."""
    for b in range(batch):
        for p in range(points):
            clean_fake[b, p] = x[rows + b, p]
            x[b, p] += sigma * noise[0, b, p]
            x[rows + b, p] += sigma * noise[1, b, p]


@compiled(inline="always")
def _slopes(v1, v2, h, valid_rows, work, one, zero):  # type: ignore[no-untyped-def]
    """D's slope ``u = ∇ₓ l`` at a block's rows into ``work.penalty_u``, from their hidden units ``h``.

    For D's logit ``l(x) = c2 + v2 · relu(V1ᵀx + c1)``, ``∇ₓ l = V1 q`` with ``q = v2 ⊙ [pre > 0]``
    (kept in ``work.penalty_q``, the mask in ``work.penalty_mask``). The mask is constant almost
    everywhere: its derivative is 0, as in autograd. Rows from ``valid_rows`` on are padding.
    """
    u, q, mask = work.penalty_u, work.penalty_q, work.penalty_mask
    for k in range(ROWS):
        for j in range(v2.shape[0]):
            on = k < valid_rows and h[k, j] > zero
            mask[k, j] = one if on else zero
            q[k, j] = v2[j] if on else zero
    for p in range(v1.shape[0]):
        w = v1[p]
        s0 = s1 = s2 = s3 = zero
        for j in range(w.shape[0]):
            s0 += q[0, j] * w[j]
            s1 += q[1, j] * w[j]
            s2 += q[2, j] * w[j]
            s3 += q[3, j] * w[j]
        u[0, p], u[1, p], u[2, p], u[3, p] = s0, s1, s2, s3


@compiled(inline="always")
def _penalty_grads(v1, gv1, gv2, work):  # type: ignore[no-untyped-def]
    """Add a slope penalty's gradient in D's weights for a block, given ``∂penalty/∂u_b = c_b·u_b``
    (``c_b`` in ``work.penalty_scale``; :func:`_slopes` filled ``u``, ``q`` and the mask).

    Through ``u = V1 q``: ``∂/∂V1[p, j] = Σ_b c_b u_b[p] q_b[j]`` and ``∂/∂v2[j] = Σ_b [pre_bj > 0]
    Σ_p c_b u_b[p] V1[p, j]``; none for the biases.
    """
    u, q, mask, scale = work.penalty_u, work.penalty_q, work.penalty_mask, work.penalty_scale
    for k in range(ROWS):
        for p in range(u.shape[1]):
            u[k, p] *= scale[k]
    outer_add(gv1, u, 0, q)
    for p in range(v1.shape[0]):
        w = v1[p]
        u0, u1, u2, u3 = u[0, p], u[1, p], u[2, p], u[3, p]
        for j in range(w.shape[0]):
            gv2[j] += w[j] * (u0 * mask[0, j] + u1 * mask[1, j] + u2 * mask[2, j] + u3 * mask[3, j])


@compiled(inline="always")
def _gradient_penalty(v1, c1, v2, mix, scale, gv1_points, gv2, points, work, one, zero):  # type: ignore[no-untyped-def]
    """WGAN-GP: ``λ·mean_b (‖∇ₓ l(x̂_b)‖ − 1)²`` at ``x̂_b = ε_b·x_b + (1 − ε_b)·G(z_b)``, an artist's
    painting and one of G's (``scale = λ/B``; both share the row's condition, so x̂ does too).
    ``∂/∂u_b = 2(λ/B)(‖u_b‖ − 1)/‖u_b‖ · u_b`` (0 where ``u_b = 0``, as autograd's norm has it)."""
    x, x_mix, h, scales = work.x, work.x_mix, work.hidden, work.penalty_scale
    batch, rows = mix.shape[0], work.g_hidden.shape[0]
    v1_points = v1[:points]
    two = one + one
    for b in range(batch):
        e = mix[b]
        for p in range(x.shape[1]):
            x_mix[b, p] = e * x[b, p] + (one - e) * x[rows + b, p]
    for r in range(0, rows, ROWS):
        relu_layer(x_mix, r, v1, c1, h, zero)
        _slopes(v1_points, v2, h, batch - r, work, one, zero)
        for k in range(ROWS):
            norm = zero
            for p in range(points):
                norm += work.penalty_u[k, p] * work.penalty_u[k, p]
            norm = math.sqrt(norm)
            scales[k] = two * scale * (norm - one) / norm if norm > zero else zero
        _penalty_grads(v1_points, gv1_points, gv2, work)


@compiled()
def _update_g(g, g_moments, t, d, hyper, factor, points, logits, work):  # type: ignore[no-untyped-def]
    """(2) Update G against the new D on its paintings in ``work.x``: minimise the mean of G's
    terms (through the painting's ``points``; the condition columns are given, not painted)."""
    rows, n_ideas = work.ideas.shape
    inputs, hidden = work.x.shape[1], work.g_hidden.shape[1]
    batch = logits.shape[1]
    one, zero, half = typed(g, 1.0), typed(g, 0.0), typed(g, 0.5)
    inv_batch = typed(g, 1.0 / batch)
    code = int(hyper[LOSS])
    w2 = split_g(g, n_ideas, hidden, points)[2]
    v1, c1, v2, c2 = split_d(d, hidden, inputs)
    gw1, gb1, gw2, gb2 = split_g(work.g_grads, n_ideas, hidden, points)
    x, h, grad, grad_fake = work.x, work.hidden, work.grad, work.grad_fake
    work.g_grads[:] = zero
    for r in range(0, rows, ROWS):
        relu_layer(x, rows + r, v1, c1, h, zero)
        for k in range(ROWS):
            if r + k >= batch:
                for j in range(hidden):
                    grad[k, j] = zero
                continue
            s = c2[0]
            for j in range(hidden):
                s += h[k, j] * v2[j]
            logits[2, r + k] = s
            g_logit = _g_slope(code, s, one, half) * inv_batch
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
        outer_add(gw1, work.ideas, r, grad)
    _learn(g, work.g_grads, g_moments, t, hyper, hyper[LR_G] * factor)
