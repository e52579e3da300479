"""The readable trainer: order of updates, reproducibility, exact state capture."""

from __future__ import annotations

import numpy as np
import torch

from gancurve.core import losses
from gancurve.core.config import TrainConfig
from gancurve.core.draws import TrainingStreams, draw_batch, fixed_ideas
from gancurve.core.engines.reference import Trainer
from gancurve.core.models import build_models


def _weights(trainer: Trainer) -> list[torch.Tensor]:
    return [
        p.detach().clone() for p in (*trainer.generator.parameters(), *trainer.discriminator.parameters())
    ]


def test_a_few_steps_change_both_networks() -> None:
    trainer = Trainer(TrainConfig(seed=3))
    g_before = [p.detach().clone() for p in trainer.generator.parameters()]
    d_before = [p.detach().clone() for p in trainer.discriminator.parameters()]
    for _ in range(3):
        trainer.step()
    assert all(not torch.equal(a, b) for a, b in zip(g_before, trainer.generator.parameters(), strict=True))
    assert all(
        not torch.equal(a, b) for a, b in zip(d_before, trainer.discriminator.parameters(), strict=True)
    )
    assert trainer.step_count == 3


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    runs = []
    for seed in (7, 7, 8):
        trainer = Trainer(TrainConfig(seed=seed))
        for _ in range(20):
            trainer.step()
        runs.append(_weights(trainer))
    assert all(torch.equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(runs[0], runs[2], strict=True))


def test_training_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    trainer = Trainer(TrainConfig())
    trainer.step()
    assert torch.equal(torch.rand(3), expected)


def test_step_updates_d_first_then_g_against_the_updated_d() -> None:
    """Re-do one step by hand in the documented order and compare every weight."""
    config = TrainConfig(seed=11, batch_size=16)
    trainer = Trainer(config)
    generator, discriminator = build_models(config)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d)
    a_array, ideas_array = draw_batch(trainer.artist, config, TrainingStreams.for_run(config))
    real, ideas = torch.from_numpy(trainer.artist.paint(a_array)), torch.from_numpy(ideas_array)

    fake = generator(ideas)
    d_loss = losses.d_loss("minimax", discriminator(real), discriminator(fake.detach()))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = losses.g_loss("minimax", discriminator(fake))  # D already updated
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()

    stats = trainer.step()
    assert torch.allclose(stats["d_loss"], d_loss.detach())
    assert torch.allclose(stats["g_loss"], g_loss.detach())
    mine = [*generator.parameters(), *discriminator.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(_weights(trainer), mine, strict=True))


def test_state_round_trip_continues_exactly() -> None:
    config = TrainConfig(seed=4)
    straight = Trainer(config)
    for _ in range(10):
        straight.step()
    halfway = Trainer(config)
    for _ in range(5):
        halfway.step()
    resumed = Trainer(config)
    resumed.load_state(halfway.state())
    for _ in range(5):
        resumed.step()
    assert resumed.step_count == 10
    assert all(torch.equal(a, b) for a, b in zip(_weights(straight), _weights(resumed), strict=True))


def test_fixed_ideas_depend_only_on_the_seed() -> None:
    assert np.array_equal(fixed_ideas(TrainConfig(seed=1)), fixed_ideas(TrainConfig(seed=1, lr_g=0.5)))
    assert not np.array_equal(fixed_ideas(TrainConfig(seed=1)), fixed_ideas(TrainConfig(seed=2)))
    assert fixed_ideas(TrainConfig(ideas=7), n=3).shape == (3, 7)
