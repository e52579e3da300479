"""A training step's numbers from D's logits, for every objective (numpy; see
:mod:`gancurve.core.objectives` for the terms and what each number means)."""

from __future__ import annotations

import numpy as np

from gancurve.core.numeric import log_sigmoid, sigmoid
from gancurve.core.objectives import OBJECTIVES


def d_terms(loss: str, real: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """D's loss terms on the artist's logits and on G's, per painting (float64)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if loss == "least-squares":
        return 0.5 * (real - 1.0) ** 2, 0.5 * fake**2
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - real), np.maximum(0.0, 1.0 + fake)
    if loss == "wasserstein-gp":
        return -real, fake
    return -log_sigmoid(real), -log_sigmoid(-fake)


def g_terms(loss: str, fake: np.ndarray) -> np.ndarray:
    """G's loss terms on D's logits of G's paintings, per painting (float64)."""
    fake = np.asarray(fake, np.float64)
    if loss == "minimax":
        return log_sigmoid(-fake)
    if loss == "non-saturating":
        return -log_sigmoid(fake)
    if loss == "least-squares":
        return 0.5 * (fake - 1.0) ** 2
    return -fake


def d_view(loss: str, real: np.ndarray, fake: np.ndarray) -> float:
    """What the d_accuracy column holds for this loss (see :class:`Objective`)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if OBJECTIVES[loss].probabilistic:
        return float(np.mean(sigmoid(real)))
    if loss == "least-squares":
        return float(np.mean(real))
    return float(np.mean(real) - np.mean(fake))


def step_stats(
    loss: str, real: np.ndarray, fake: np.ndarray, new: np.ndarray
) -> tuple[float, float, float, float]:
    """``(d_loss, g_loss, d_accuracy, d_score)`` of a step from its logits: D on the artist's
    batch and on G's (before D's update), and the updated D on G's batch."""
    real_terms, fake_terms = d_terms(loss, real, fake)
    d_loss = float(np.mean(real_terms) + np.mean(fake_terms))
    return d_loss, float(np.mean(g_terms(loss, new))), d_view(loss, real, fake), -d_loss


def discriminator_stats(loss: str, real: np.ndarray, fake: np.ndarray) -> tuple[float, float]:
    """D's view (the d_accuracy column) and D's score ``−d_loss`` on given logits."""
    real_terms, fake_terms = d_terms(loss, real, fake)
    return d_view(loss, real, fake), -float(np.mean(real_terms) + np.mean(fake_terms))
