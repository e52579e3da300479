"""The GAN objectives in torch, written on D's logits (for the autograd engines).

The terms of each objective and what its numbers mean are in :mod:`gancurve.core.objectives`.
With ``D(x) = sigmoid(l)``: ``log D(x) = logsigmoid(l)`` and ``log(1 − D(x)) = logsigmoid(−l)``
— the tutorial's formulas, finite for every logit. Every function works on logits of any shape
whose last axis is the batch: a mean "over the batch" is over that axis, so the batched engine
gets one number per member.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention

from gancurve.core.objectives import WGAN_GP_WEIGHT


def d_terms(
    loss: str, real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """D's loss terms per painting: on the artist's logits and on G's."""
    if loss == "least-squares":
        return 0.5 * (real_logits - 1.0) ** 2, 0.5 * fake_logits**2
    if loss == "hinge":
        return F.relu(1.0 - real_logits), F.relu(1.0 + fake_logits)
    if loss == "wasserstein-gp":
        return -real_logits, fake_logits
    return -F.logsigmoid(real_logits), -F.logsigmoid(-fake_logits)


def d_loss(loss: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's loss: the mean of its terms on the artist's batch plus their mean on G's."""
    real_terms, fake_terms = d_terms(loss, real_logits, fake_logits)
    return real_terms.mean(-1) + fake_terms.mean(-1)


def g_terms(loss: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """G's loss terms per painting: minimax ``log(1 − D(G(z)))`` (the tutorial's), non-saturating
    ``−log D(G(z))``, least-squares ``½(l − 1)²``, hinge and Wasserstein ``−l``."""
    if loss == "minimax":
        return F.logsigmoid(-fake_logits)
    if loss == "non-saturating":
        return -F.logsigmoid(fake_logits)
    if loss == "least-squares":
        return 0.5 * (fake_logits - 1.0) ** 2
    return -fake_logits


def g_loss(loss: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """G's loss: the mean of its terms over the batch."""
    return g_terms(loss, fake_logits).mean(-1)


def d_view(loss: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """What the d_accuracy column holds for this loss (:class:`~gancurve.core.objectives.Objective`)."""
    if loss in ("minimax", "non-saturating"):
        return torch.sigmoid(real_logits).mean(-1)
    if loss == "least-squares":
        return real_logits.mean(-1)
    return real_logits.mean(-1) - fake_logits.mean(-1)


def gradient_penalty(mixed_logits: torch.Tensor, mixed: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's ``λ · mean (‖∇ₓ l(x̂)‖ − 1)²`` (λ = 10) at the mixed paintings ``x̂`` (which
    ``mixed_logits`` were computed from, with ``requires_grad``); differentiable in D's weights."""
    (slopes,) = torch.autograd.grad(mixed_logits.sum(), mixed, create_graph=True)
    penalty: torch.Tensor = WGAN_GP_WEIGHT * ((slopes.norm(2, dim=-1) - 1.0) ** 2).mean(-1)
    return penalty


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor, gamma: torch.Tensor | float) -> torch.Tensor:
    """``γ/2 · mean ‖∇ₓ l(x)‖²`` over the artist's paintings ``real`` (which ``real_logits`` were
    computed from, with ``requires_grad``); differentiable in D's weights (a double backward).
    ``real`` is ``(…, batch, points)``; ``gamma`` a number or one per leading index."""
    (slopes,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return torch.as_tensor(gamma, dtype=real.dtype, device=real.device) / 2 * slopes.pow(2).sum(-1).mean(-1)
