"""The minimax loss on logits equals the tutorial's sigmoid/log formulas, without log(0)."""

from __future__ import annotations

import math

import numpy as np
import torch

from gancurve.core import metrics
from gancurve.core.losses import d_accuracy, d_score, minimax_d_loss, minimax_g_loss
from gancurve.core.metrics import EQUILIBRIUM_D_SCORE


def test_same_values_as_the_tutorials_formulas() -> None:
    real = torch.linspace(-4, 4, 9, dtype=torch.float64)
    fake = torch.linspace(3, -5, 9, dtype=torch.float64)
    prob_real, prob_fake = torch.sigmoid(real), torch.sigmoid(fake)
    tutorial_d_loss = -torch.mean(torch.log(prob_real) + torch.log(1.0 - prob_fake))
    tutorial_g_loss = torch.mean(torch.log(1.0 - prob_fake))
    assert torch.allclose(minimax_d_loss(real, fake), tutorial_d_loss, atol=1e-12)
    assert torch.allclose(minimax_g_loss(fake), tutorial_g_loss, atol=1e-12)
    assert torch.allclose(d_accuracy(real), prob_real.mean())


def test_finite_where_the_tutorial_takes_log_of_zero() -> None:
    real = torch.tensor([-200.0])  # sigmoid underflows to 0 in float32
    fake = torch.tensor([200.0])  # sigmoid rounds to 1
    assert torch.isinf(torch.log(torch.sigmoid(real))).all()
    assert torch.isfinite(minimax_d_loss(real, fake))
    assert torch.isfinite(minimax_g_loss(fake))


def test_equilibrium_score_is_two_log_half() -> None:
    zeros = torch.zeros(5)
    assert math.isclose(EQUILIBRIUM_D_SCORE, -1.3862943611198906)
    assert math.isclose(float(d_score(zeros, zeros)), EQUILIBRIUM_D_SCORE, rel_tol=1e-6)
    assert float(d_accuracy(zeros)) == 0.5


def test_the_numpy_stats_equal_the_torch_ones() -> None:
    """metrics.d_accuracy / d_score (numpy, for readers of a run) against losses' (torch, for training)."""
    real = np.linspace(-30, 30, 13)
    fake = np.linspace(25, -35, 13)
    real_t, fake_t = torch.from_numpy(real), torch.from_numpy(fake)
    assert math.isclose(metrics.d_accuracy(real), float(d_accuracy(real_t)), rel_tol=1e-12)
    assert math.isclose(metrics.d_score(real, fake), float(d_score(real_t, fake_t)), rel_tol=1e-12)


def test_non_saturating_loss_is_minus_log_d() -> None:
    from gancurve.core.losses import G_LOSSES
    from gancurve.core.metrics import equilibrium_g_loss

    logits = torch.tensor([-30.0, -1.0, 0.0, 2.0], dtype=torch.float64)
    expected = -torch.log(torch.sigmoid(logits)).mean()
    assert torch.isclose(G_LOSSES["non-saturating"](logits), expected, rtol=1e-12)
    assert torch.isfinite(G_LOSSES["non-saturating"](torch.tensor([-1e4]))).all()  # no log(0)
    zero = torch.zeros(3, dtype=torch.float64)  # D says 0.5 everywhere: the equilibrium lines
    for loss in ("minimax", "non-saturating"):
        assert abs(float(G_LOSSES[loss](zero)) - equilibrium_g_loss(loss)) < 1e-12
