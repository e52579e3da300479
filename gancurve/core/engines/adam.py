"""torch.optim.Adam's update on one flat buffer: torch's fused kernel where it works, numpy otherwise.

The numpy engine keeps all weights of a network in one flat array, so one Adam call updates a
whole network. ``torch._fused_adam_`` does that in a single kernel, but it is a private API:
its signature may change in any torch release. It is therefore probed once per process and
dtype with a tiny update whose result is known (the numpy update below); if the call fails or
disagrees, the numpy update is used instead, and a run never dies of the private API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

ADAM_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults, which the reference trainer uses
ADAM_EPS = 1e-8

#: The signature this module calls: (weights, grads, exp_avg, exp_avg_sq, step, lr).
FusedUpdate = Callable[[list[torch.Tensor], torch.Tensor, float], None]


def numpy_adam_update(
    weights: np.ndarray, grads: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, step: int, lr: float
) -> None:
    """Adam's step number ``step`` (1-based) in place, in the order torch computes it."""
    beta1, beta2 = ADAM_BETAS
    exp_avg += (1.0 - beta1) * (grads - exp_avg)  # torch: exp_avg.lerp_(grad, 1 − β1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1.0 - beta2) * grads * grads
    bias_correction1 = 1.0 - beta1**step
    bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
    denominator = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + ADAM_EPS
    weights -= (lr / bias_correction1) * exp_avg / denominator


def _call_fused(kernel: Any, buffers: list[torch.Tensor], step: torch.Tensor, lr: float) -> None:
    weights, grads, exp_avg, exp_avg_sq = buffers
    kernel(
        [weights], [grads], [exp_avg], [exp_avg_sq], [], [step],
        lr=lr, beta1=ADAM_BETAS[0], beta2=ADAM_BETAS[1], weight_decay=0.0, eps=ADAM_EPS,
        amsgrad=False, maximize=False,
    )  # fmt: skip


@functools.cache
def fused_adam(dtype: str) -> FusedUpdate | None:
    """torch's fused Adam for this dtype (``"float32"``...), if it is here and computes Adam's update."""
    kernel = getattr(torch, "_fused_adam_", None)
    if kernel is None:
        return None
    rng = np.random.default_rng(0)
    weights, grads = rng.standard_normal(7).astype(dtype), rng.standard_normal(7).astype(dtype)
    expected = [weights.copy(), grads, np.zeros(7, dtype), np.zeros(7, dtype)]
    got = [torch.from_numpy(a.copy()) for a in expected]
    try:
        for step in (1, 2):
            numpy_adam_update(expected[0], expected[1], expected[2], expected[3], step, lr=0.01)
            _call_fused(kernel, got, torch.tensor(float(step), dtype=got[0].dtype), 0.01)
        agrees = all(
            np.allclose(g.numpy(), e, rtol=1e-5, atol=1e-7) for g, e in zip(got, expected, strict=True)
        )
    except Exception:  # any failure of a private API means: do not use it
        return None
    return functools.partial(_call_fused, kernel) if agrees else None


class FlatAdam:
    """Adam's state for one flat weight buffer, and its update."""

    def __init__(self, weights: np.ndarray, grads: np.ndarray, lr: float, use_fused: bool = True) -> None:
        self.weights, self.grads, self.lr = weights, grads, lr
        self.exp_avg, self.exp_avg_sq = np.zeros_like(weights), np.zeros_like(weights)
        self.steps = 0
        self._fused = fused_adam(weights.dtype.name) if use_fused else None
        self._tensors = [torch.from_numpy(a) for a in (weights, grads, self.exp_avg, self.exp_avg_sq)]
        self._step_tensor = torch.zeros((), dtype=self._tensors[0].dtype)
        self._step_value = self._step_tensor.numpy()  # setting it through numpy skips a torch call

    @property
    def fused(self) -> bool:
        """Whether updates run torch's fused kernel (else numpy)."""
        return self._fused is not None

    def step(self) -> None:
        """torch.optim.Adam's update (no weight decay, no amsgrad) on the whole buffer."""
        self.steps += 1
        if self._fused is not None:
            self._step_value[...] = self.steps
            self._fused(self._tensors, self._step_tensor, self.lr)
        else:
            numpy_adam_update(self.weights, self.grads, self.exp_avg, self.exp_avg_sq, self.steps, self.lr)
