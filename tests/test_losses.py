"""The objectives: the tutorial's formulas without log(0), the same numbers in numpy and torch,
and the equilibrium each objective documents."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gancurve.core import losses, stats
from gancurve.core.metrics import EQUILIBRIUM_D_SCORE
from gancurve.core.objectives import LOSSES, OBJECTIVES


def test_minimax_is_the_tutorials_formulas() -> None:
    real = torch.linspace(-4, 4, 9, dtype=torch.float64)
    fake = torch.linspace(3, -5, 9, dtype=torch.float64)
    prob_real, prob_fake = torch.sigmoid(real), torch.sigmoid(fake)
    tutorial_d_loss = -torch.mean(torch.log(prob_real) + torch.log(1.0 - prob_fake))
    tutorial_g_loss = torch.mean(torch.log(1.0 - prob_fake))
    assert torch.allclose(losses.d_loss("minimax", real, fake), tutorial_d_loss, atol=1e-12)
    assert torch.allclose(losses.g_loss("minimax", fake), tutorial_g_loss, atol=1e-12)
    assert torch.allclose(losses.d_view("minimax", real, fake), prob_real.mean())


def test_each_objective_is_its_documented_formula() -> None:
    real = torch.tensor([-2.0, 0.3, 1.0, 2.5], dtype=torch.float64)
    fake = torch.tensor([-3.0, -1.0, 0.2, 1.5], dtype=torch.float64)
    expected = {
        "non-saturating": (None, -torch.log(torch.sigmoid(fake)).mean()),
        "least-squares": (
            0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean(),
            0.5 * ((fake - 1) ** 2).mean(),
        ),
        "hinge": (torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fake, min=0).mean(), -fake.mean()),
    }
    for loss, (d_expected, g_expected) in expected.items():
        if d_expected is not None:
            assert torch.isclose(losses.d_loss(loss, real, fake), d_expected, rtol=1e-12)
        assert torch.isclose(losses.g_loss(loss, fake), g_expected, rtol=1e-12)


def test_finite_where_the_tutorial_takes_log_of_zero() -> None:
    real = torch.tensor([-200.0])  # sigmoid underflows to 0 in float32
    fake = torch.tensor([200.0])  # sigmoid rounds to 1
    assert torch.isinf(torch.log(torch.sigmoid(real))).all()
    for loss in ("minimax", "non-saturating"):
        assert torch.isfinite(losses.d_loss(loss, real, fake))
        assert torch.isfinite(losses.g_loss(loss, fake)) and torch.isfinite(losses.g_loss(loss, -fake))


@pytest.mark.parametrize("loss", LOSSES)
def test_numpy_and_torch_give_the_same_step_numbers(loss: str) -> None:
    """stats.step_stats (the compiled engine's numbers, numpy) against losses' (the autograd engines')."""
    real, fake, new = np.linspace(-30, 30, 13), np.linspace(25, -35, 13), np.linspace(-3, 4, 13)
    t = [torch.from_numpy(v) for v in (real, fake, new)]
    d_loss, g_loss, view, score = stats.step_stats(loss, real, fake, new)
    assert math.isclose(d_loss, float(losses.d_loss(loss, t[0], t[1])), rel_tol=1e-12)
    assert math.isclose(g_loss, float(losses.g_loss(loss, t[2])), rel_tol=1e-12)
    assert math.isclose(view, float(losses.d_view(loss, t[0], t[1])), rel_tol=1e-12, abs_tol=1e-12)
    assert score == -d_loss


@pytest.mark.parametrize("loss", LOSSES)
def test_the_documented_equilibrium_is_where_d_cannot_tell(loss: str) -> None:
    """D gives every painting the same output — 0 for the sigmoid losses and the hinge, ½ for
    least squares (the midpoint of its targets 0 and 1) — and the numbers land on the documented
    equilibrium (the lines `plot` draws)."""
    objective = OBJECTIVES[loss]
    level = 0.5 if loss == "least-squares" else 0.0
    same = np.full(8, level)
    d_loss, g_loss, view, score = stats.step_stats(loss, same, same, same)
    assert math.isclose(view, objective.view_at_equilibrium, abs_tol=1e-12)
    assert objective.d_loss_at_equilibrium is not None
    assert math.isclose(d_loss, objective.d_loss_at_equilibrium, rel_tol=1e-12)
    if objective.g_loss_at_equilibrium is not None:
        assert math.isclose(g_loss, objective.g_loss_at_equilibrium, rel_tol=1e-12)
    if loss == "minimax":
        assert math.isclose(score, EQUILIBRIUM_D_SCORE, rel_tol=1e-12)  # the tutorial's −1.38


def test_r1_is_half_gamma_times_the_squared_slope() -> None:
    """A linear D, l(x) = w·x: its slope is w everywhere, so R1 = γ/2·‖w‖² exactly."""
    w = torch.tensor([3.0, -4.0], dtype=torch.float64)
    real = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    penalty = losses.r1_penalty(real @ w, real, 0.2)
    assert math.isclose(float(penalty), 0.1 * 25.0, rel_tol=1e-12)
