"""GAN objectives, written on D's logits.

With ``D(x) = sigmoid(l)``: ``log D(x) = logsigmoid(l)`` and
``log(1 − D(x)) = logsigmoid(−l)``. Same values as the tutorial's formulas,
finite for every logit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention


def d_score(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The tutorial's ``mean(log D(x) + log(1 − D(G(z))))``; D maximises it."""
    return (F.logsigmoid(real_logits) + F.logsigmoid(-fake_logits)).mean()


def minimax_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's loss: the negative score (the tutorial's ``D_loss``)."""
    return -d_score(real_logits, fake_logits)


def minimax_g_terms(fake_logits: torch.Tensor) -> torch.Tensor:
    """Each painting's ``log(1 − D(G(z)))``: the tutorial's G loss before the mean."""
    return F.logsigmoid(-fake_logits)


def non_saturating_g_terms(fake_logits: torch.Tensor) -> torch.Tensor:
    """Each painting's ``−log D(G(z))`` (Goodfellow et al. 2014): the same fixed point, but a
    strong gradient where D rejects G's paintings, where ``log(1 − D)`` goes flat."""
    return -F.logsigmoid(fake_logits)


def minimax_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """G's loss: ``mean(log(1 − D(G(z))))``, the tutorial's ``G_loss``; G minimises it."""
    return minimax_g_terms(fake_logits).mean()


def non_saturating_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """G's non-saturating loss: ``mean(−log D(G(z)))``."""
    return non_saturating_g_terms(fake_logits).mean()


#: G's loss by ``TrainConfig.loss``.
G_LOSSES = {"minimax": minimax_g_loss, "non-saturating": non_saturating_g_loss}


def d_accuracy(real_logits: torch.Tensor) -> torch.Tensor:
    """The tutorial's 'D accuracy': D's mean probability that real paintings are real."""
    return torch.sigmoid(real_logits).mean()
