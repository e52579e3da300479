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
    """Adam's state for one flat weight buffer, and its update.

    Both moments live in one ``(2, n)`` array, updated together in three numpy calls:
    ``[m; v] = [β1; β2]·[m; v] + [1 − β1; 1 − β2]·[g; g²]`` (torch's ``lerp_`` and ``addcmul_``,
    the same values up to the last bit of rounding).
    """

    def __init__(self, weights: np.ndarray, grads: np.ndarray, lr: float) -> None:
        self.weights, self.grads, self.lr = weights, grads, lr
        self.moments = np.zeros((2, weights.size), weights.dtype)
        self.exp_avg, self.exp_avg_sq = self.moments[0], self.moments[1]  # views: torch's names
        self.steps = 0
        self._targets = np.zeros_like(self.moments)  # [g; g²]
        self._betas = np.array([[ADAM_BETAS[0]], [ADAM_BETAS[1]]], weights.dtype)
        self._one_minus_betas = 1 - self._betas
        self._scratch = self._targets[1]  # free again once the moments are updated

    def step(self) -> None:
        """torch.optim.Adam's update (no weight decay, no amsgrad) on the whole buffer.

        torch computes ``w −= lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε)``; multiplying through by
        ``√(1 − β2ᵗ)`` gives the same value with one numpy call fewer:
        ``w −= lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε·√(1 − β2ᵗ))``.
        """
        self.steps += 1
        beta1, beta2 = ADAM_BETAS
        targets, scratch = self._targets, self._scratch
        targets[0] = self.grads
        np.multiply(self.grads, self.grads, out=targets[1])
        targets *= self._one_minus_betas
        self.moments *= self._betas
        self.moments += targets
        bias_correction1 = 1.0 - beta1**self.steps
        bias_correction2_sqrt = (1.0 - beta2**self.steps) ** 0.5
        np.sqrt(self.exp_avg_sq, out=scratch)
        scratch += ADAM_EPS * bias_correction2_sqrt
        np.divide(self.exp_avg, scratch, out=scratch)
        scratch *= self.lr * bias_correction2_sqrt / bias_correction1
        self.weights -= scratch
