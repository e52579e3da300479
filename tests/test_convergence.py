"""The tutorial's full run converges (slow: the default 10,000 steps on CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gancurve.core.config import TrainConfig
from gancurve.core.engines.reference import Trainer
from gancurve.core.metrics import quality


@pytest.mark.slow
def test_default_config_converges_in_10000_steps() -> None:
    torch.set_num_threads(1)
    trainer = Trainer(TrainConfig())
    accuracies = []
    for step in range(10_000):
        stats = trainer.step()
        if step >= 9_000 and step % 10 == 0:
            accuracies.append(float(stats["d_accuracy"]))
    mean_accuracy = sum(accuracies) / len(accuracies)  # averaged: one batch is noisy
    assert 0.45 <= mean_accuracy <= 0.55
    paintings = trainer.paint(np.random.default_rng(0).standard_normal((5000, 5)).astype(np.float32))
    q = quality(paintings)
    assert q.in_bounds >= 0.85
    assert q.w1 < 0.1
