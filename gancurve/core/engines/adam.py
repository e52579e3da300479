"""torch.optim.Adam's update, in numpy, on one flat buffer per network.

The numpy engine keeps all weights of a network in one flat array, so one update touches a whole
network in a dozen numpy calls, into buffers allocated once. The arithmetic follows torch's
order (``exp_avg.lerp_``, then the bias-corrected step), so the engines agree to 1e-10 in
float64 with the reference trainer's ``torch.optim.Adam``.
"""

from __future__ import annotations

import numpy as np

ADAM_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults, which the reference trainer uses
ADAM_EPS = 1e-8


class FlatAdam:
    """Adam's state for one flat weight buffer, and its update."""

    def __init__(self, weights: np.ndarray, grads: np.ndarray, lr: float) -> None:
        self.weights, self.grads, self.lr = weights, grads, lr
        self.exp_avg, self.exp_avg_sq = np.zeros_like(weights), np.zeros_like(weights)
        self.steps = 0
        self._scratch = np.zeros_like(weights)

    def step(self) -> None:
        """torch.optim.Adam's update (no weight decay, no amsgrad) on the whole buffer.

        torch computes ``w −= lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε)``; multiplying through by
        ``√(1 − β2ᵗ)`` gives the same value with one numpy call fewer:
        ``w −= lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε·√(1 − β2ᵗ))``.
        """
        self.steps += 1
        beta1, beta2 = ADAM_BETAS
        grads, exp_avg, exp_avg_sq, scratch = self.grads, self.exp_avg, self.exp_avg_sq, self._scratch
        np.subtract(grads, exp_avg, out=scratch)  # exp_avg.lerp_(grad, 1 − β1)
        scratch *= 1.0 - beta1
        exp_avg += scratch
        exp_avg_sq *= beta2  # exp_avg_sq = β2·exp_avg_sq + (1 − β2)·grad²
        np.multiply(grads, grads, out=scratch)
        scratch *= 1.0 - beta2
        exp_avg_sq += scratch
        bias_correction1 = 1.0 - beta1**self.steps
        bias_correction2_sqrt = (1.0 - beta2**self.steps) ** 0.5
        np.sqrt(exp_avg_sq, out=scratch)
        scratch += ADAM_EPS * bias_correction2_sqrt
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= self.lr * bias_correction2_sqrt / bias_correction1
        self.weights -= scratch
