"""The batched engine: member k is the run ``gancurve train --seed k`` makes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from gancurve.core.config import TrainConfig
from gancurve.core.engines.batched import BatchedEngine, Member, single_run
from gancurve.core.engines.protocol import TrainState
from gancurve.core.engines.reference import Trainer
from gancurve.core.networks import NETWORKS, forward


def largest_gap(a: TrainState, b: TrainState) -> float:
    """The largest difference of weights and Adam moments between two states."""
    gaps = [0.0]
    for network in NETWORKS:
        pairs = [
            (a.weights[network], b.weights[network]),
            (a.adam[network].exp_avg, b.adam[network].exp_avg),
            (a.adam[network].exp_avg_sq, b.adam[network].exp_avg_sq),
        ]
        for mine, theirs in pairs:
            gaps += [float(np.abs(mine[name] - theirs[name]).max()) for name in mine]
    assert (a.ema is None) == (b.ema is None)
    if a.ema is not None and b.ema is not None:
        gaps += [float(np.abs(a.ema[name] - b.ema[name]).max()) for name in a.ema]
    return max(gaps)


def test_every_member_equals_the_reference_run_of_its_seed_in_float64() -> None:
    seeds = (3, 4, 11)
    configs = [TrainConfig(seed=seed, batch_size=30) for seed in seeds]  # 30: a partial row block
    engine = BatchedEngine(configs, np.float64)
    engine.advance(37)  # calls that end inside a block of draws...
    engine.advance(63)  # ...and cross into the next one
    for member, config in enumerate(configs):
        reference = Trainer(config, dtype=torch.float64)
        for _ in range(100):
            reference.step()
        mine, theirs = engine.state(member), reference.state()
        assert largest_gap(mine, theirs) < 1e-8
        assert np.array_equal(mine.rng, theirs.rng)  # the same draws, the same number of them
        assert mine.step == 100 and mine.adam["generator"].steps == 100
        for name, value in reference.last_stats().items():
            assert abs(engine.last_stats(member)[name] - value) < 1e-8


def test_a_member_computes_bit_for_bit_what_it_computes_alone() -> None:
    """float32: chaotic over long runs, but the same numbers whatever the other members do."""
    seeds = (1, 2, 5, 9, 10)
    engine = BatchedEngine([TrainConfig(seed=seed) for seed in seeds])
    engine.advance(150)
    for member, seed in enumerate(seeds):
        alone = single_run(TrainConfig(seed=seed))
        alone.advance(150)
        assert largest_gap(engine.state(member), alone.state()) == 0.0


def test_loading_one_member_mid_block_leaves_every_stream_exact() -> None:
    configs = [TrainConfig(seed=seed) for seed in (4, 6)]
    straight = BatchedEngine(configs)
    straight.advance(90)
    resumed = BatchedEngine(configs)
    resumed.advance(40)  # mid-block for both members
    saved = resumed.state(1)
    fresh = BatchedEngine(configs)
    fresh.advance(40)
    fresh.load_state(1, saved)  # a member reloaded in the middle of a block of draws
    fresh.advance(50)
    for member in (0, 1):
        assert largest_gap(fresh.state(member), straight.state(member)) == 0.0
        assert np.array_equal(fresh.state(member).rng, straight.state(member).rng)


def test_members_catching_up_see_their_own_draws() -> None:
    configs = [TrainConfig(seed=seed) for seed in (7, 8, 9)]
    straight = BatchedEngine(configs)
    straight.advance(100)
    staggered = BatchedEngine(configs)
    staggered.set_active(np.array([True, False, True]))
    staggered.advance(70)
    staggered.set_active(np.array([False, True, False]))
    staggered.advance(70)
    staggered.set_active(np.array([True, True, True]))
    staggered.advance(30)
    assert staggered.steps.tolist() == [100, 100, 100]
    for member in range(3):
        assert largest_gap(staggered.state(member), straight.state(member)) == 0.0


def test_a_frozen_member_stops_and_the_others_go_on() -> None:
    engine = BatchedEngine([TrainConfig(seed=1), TrainConfig(seed=2)])
    engine.advance(10)
    frozen = engine.state(0)
    engine.freeze(0)
    engine.advance(20)
    assert engine.steps.tolist() == [10, 30]
    assert largest_gap(engine.state(0), frozen) == 0.0


def test_the_engine_starts_no_more_threads_than_it_has_members_to_share() -> None:
    """A thread without a member only spins at the end of each call (``kernel.share_members``)."""
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    try:
        engine = BatchedEngine([TrainConfig(seed=seed) for seed in (1, 2, 3)])
        engine.advance(2)
        assert numba.get_num_threads() == min(3, most)
        engine.set_active(np.array([True, False, False]))
        engine.advance(2)
        assert numba.get_num_threads() == 1
        assert engine.steps.tolist() == [4, 2, 2]
    finally:
        numba.set_num_threads(most)


def test_a_thread_limit_holds_every_call_to_it() -> None:
    """A Dask worker's shard trains on its own thread alone (``kernel.limit_threads``)."""
    import numba

    from gancurve.core.engines import kernel

    most = numba.config.NUMBA_NUM_THREADS
    try:
        kernel.limit_threads(1)
        engine = BatchedEngine([TrainConfig(seed=seed) for seed in (1, 2, 3)])
        engine.advance(2)
        assert numba.get_num_threads() == 1
        kernel.limit_threads(None)
        engine.advance(2)
        assert numba.get_num_threads() == min(3, most)
    finally:
        kernel.limit_threads(None)
        numba.set_num_threads(most)


def test_members_must_paint_the_same_family() -> None:
    with pytest.raises(ValueError, match="same family"):
        BatchedEngine([TrainConfig(seed=1), TrainConfig(seed=2, artist="bump")])
    BatchedEngine(
        [TrainConfig(seed=1), TrainConfig(seed=2, artist="parabola-modes")]
    )  # a law of its own: fine


def test_members_must_share_the_architecture() -> None:
    with pytest.raises(ValueError, match="hidden"):
        BatchedEngine([TrainConfig(hidden=128), TrainConfig(hidden=64, seed=2)])


def test_odd_sizes_train_like_the_reference() -> None:
    """Every size the CLI accepts works, not only the tutorial's (no row block of 4 here)."""
    config = TrainConfig(seed=2, batch_size=7, hidden=13, ideas=3, points=6)
    engine, reference = single_run(config, np.float64), Trainer(config, dtype=torch.float64)
    engine.advance(20)
    for _ in range(20):
        reference.step()
    assert largest_gap(engine.state(), reference.state()) < 1e-9


def test_the_torch_engine_equals_the_compiled_one_in_float64() -> None:
    """The GPU engine's step, run on the CPU: member for member the compiled engine's numbers."""
    from gancurve.core.engines.batched_torch import TorchBatchedEngine

    configs = [TrainConfig(seed=seed, batch_size=30) for seed in (2, 3, 7)]
    compiled, torch_engine = (
        BatchedEngine(configs, np.float64),
        TorchBatchedEngine(configs, "cpu", np.float64),
    )
    for steps in (37, 63):
        compiled.advance(steps)
        torch_engine.advance(steps)
    for member in range(3):
        mine, theirs = torch_engine.state(member), compiled.state(member)
        assert largest_gap(mine, theirs) < 1e-10
        assert np.array_equal(mine.rng, theirs.rng) and mine.step == theirs.step == 100
        assert mine.adam["generator"].steps == 100
        for name, value in compiled.last_stats(member).items():
            assert abs(torch_engine.last_stats(member)[name] - value) < 1e-10


def test_the_torch_engine_freezes_and_loads_members() -> None:
    from gancurve.core.engines.batched_torch import TorchBatchedEngine

    configs = [TrainConfig(seed=seed) for seed in (4, 5)]
    engine = TorchBatchedEngine(configs, "cpu", np.float64)
    engine.advance(20)
    frozen = engine.state(0)
    engine.freeze(0)
    engine.advance(10)
    assert largest_gap(engine.state(0), frozen) == 0.0 and engine.steps.tolist() == [20, 30]
    straight = BatchedEngine(configs, np.float64)
    straight.advance(30)
    engine.set_active(np.array([True, True]))
    engine.load_state(0, straight.state(0))  # written into the device tensors in place
    engine.advance(5)
    straight.advance(5)
    assert largest_gap(engine.state(0), straight.state(0)) < 1e-10


def test_a_failed_capture_leaves_the_torch_engine_exact() -> None:
    """Force the CUDA-graph path on the CPU, where capture cannot work: the warm-up is undone,
    the engine says why in one line, and the members train exactly as without it."""
    from gancurve.core.engines.batched_torch import TorchBatchedEngine

    configs = [TrainConfig(seed=seed) for seed in (1, 2)]
    engine, plain = TorchBatchedEngine(configs, "cpu", np.float64), BatchedEngine(configs, np.float64)
    engine._capture_wanted = True  # pretend capture is possible
    engine.advance(12)
    plain.advance(12)
    assert engine.graph is None and engine.notice and "continues eagerly" in engine.notice
    for member in range(2):
        assert largest_gap(engine.state(member), plain.state(member)) < 1e-10


@pytest.mark.parametrize(
    "changes",
    [
        {"beta1": 0.5, "beta2": 0.9, "lr_g": 8e-4, "lr_d": 8e-4},
        {"loss": "non-saturating"},
        {"loss": "least-squares", "lr_d": 1e-3},
        {"loss": "hinge", "lr_d": 1e-3},  # D's logits cross the hinge's kinks at ±1
        # decays from step 20 to 0 at step 45: the last five steps have no learning rate at all
        {"lr_schedule": "linear-decay", "decay_start": 20, "decay_end": 45, "lr_g": 8e-4, "lr_d": 8e-4},
        {"r1": 10.0, "batch_size": 30},  # 30: R1 on a partial block of rows
        {"r1": 1.0, "loss": "hinge", "lr_d": 1e-3},
        {"ema": 0.9, "lr_g": 1e-3},
        {"d_steps": 3, "lr_d": 1e-3},
        {"loss": "wasserstein-gp", "d_steps": 5, "beta1": 0.5, "beta2": 0.9, "batch_size": 30},
        {"artist": "parabola-modes", "modes": 5},
        {"artist": "bump", "batch_size": 30},
        {"condition": "label", "r1": 1.0, "batch_size": 30},
        {"condition": "a", "loss": "wasserstein-gp", "d_steps": 2, "lr_d": 1e-3},
        {"prior": "uniform", "lr_g": 1e-3},
        {"instance_noise": 0.3, "lr_d": 1e-3},
        # annealed: σ falls with the learning rates from step 20 to 0 at step 45
        {"instance_noise": 0.5, "r1": 1.0, "lr_schedule": "linear-decay", "decay_start": 20, "decay_end": 45,
         "lr_d": 1e-3, "batch_size": 30},
        {"instance_noise": 0.2, "loss": "wasserstein-gp", "d_steps": 2, "lr_d": 1e-3},
        {"optimizer": "sgd", "momentum": 0.9, "lr_g": 1e-2, "lr_d": 1e-2},
        {"optimizer": "sgd", "lr_g": 0.05, "lr_d": 0.05, "d_steps": 2},  # no momentum: no buffer
        {"optimizer": "sgd", "momentum": 0.5, "lr_schedule": "linear-decay", "decay_start": 10,
         "decay_end": 50, "lr_g": 1e-2, "lr_d": 1e-2, "loss": "hinge"},
        {"ema": 0.9, "ema_start": 20, "lr_g": 1e-3},
        {"lr_schedule": "cosine", "decay_start": 10, "decay_end": 45, "lr_g": 8e-4, "lr_d": 8e-4},
        {"warmup": 30, "lr_g": 1e-3, "lr_d": 1e-3},
        # the noise decays along the cosine but is not warmed up
        {"lr_schedule": "cosine", "decay_start": 0, "decay_end": 60, "warmup": 20, "instance_noise": 0.3,
         "optimizer": "sgd", "momentum": 0.9, "lr_g": 1e-2, "lr_d": 1e-2},
    ],
    ids=["betas", "non-saturating", "least-squares", "hinge", "linear-decay", "r1", "r1-hinge", "ema",
         "d-steps", "wgan-gp", "modes-artist", "bump-artist", "label-condition", "a-condition",
         "uniform-prior", "instance-noise", "instance-noise-annealed-r1", "instance-noise-wgan-gp",
         "sgd-momentum", "sgd", "sgd-decay-hinge", "ema-start", "cosine", "warmup",
         "cosine-warmup-noise-sgd"],
)  # fmt: skip
def test_training_choices_reach_every_engine(changes: dict[str, object]) -> None:
    """Each choice (issue 13) in the compiled and the torch engines against the reference trainer,
    float64, 50 steps — in one engine beside a member with the defaults (the per-member plug)."""
    from gancurve.core.engines.batched_torch import TorchBatchedEngine

    chosen = TrainConfig(seed=3, **changes)  # type: ignore[arg-type]
    shared = {name: getattr(chosen, name) for name in ("batch_size", "d_steps", "artist", "condition")}
    default = TrainConfig(seed=4, **shared)  # type: ignore[arg-type]
    references = [Trainer(config, dtype=torch.float64) for config in (chosen, default)]
    for reference in references:
        reference.advance(50)
    for engine in (
        BatchedEngine([chosen, default], np.float64),
        TorchBatchedEngine([chosen, default], "cpu", np.float64),
    ):
        engine.advance(50)
        for member, reference in enumerate(references):
            assert largest_gap(engine.state(member), reference.state()) < 1e-8
            for name, value in reference.last_stats().items():
                assert abs(engine.last_stats(member)[name] - value) < 1e-8
    if chosen.condition != "none":  # the networks' shapes differ: the choice made a difference
        return
    plain = Trainer(
        TrainConfig(seed=3, batch_size=chosen.batch_size, d_steps=chosen.d_steps), dtype=torch.float64
    )
    plain.advance(50)
    chosen_state = dataclasses.replace(references[0].state(), ema=None)  # G itself
    assert largest_gap(plain.state(), chosen_state) > 1e-4  # the choice made a difference


@pytest.mark.parametrize("start", [0, 5])
def test_the_moving_average_is_the_closed_form_in_every_engine(start: int) -> None:
    """After k steps the average is ``dᵏ⁻ˢ·Gₛ + (1 − d)·Σᵢ₌ₛ₊₁ dᵏ⁻ⁱ·Gᵢ`` of the weights G took (G₀
    the initial ones; ``s`` the step where it starts, ``--ema-start``: up to it the average is G);
    what the readers paint with is the average, and ``raw`` is G itself."""
    from gancurve.core.engines.batched_torch import TorchBatchedEngine

    decay, steps = 0.8, 12
    config = TrainConfig(seed=6, ema=decay, lr_g=1e-3, ema_start=start)
    ideas = np.random.default_rng(0).standard_normal((7, config.ideas))
    for engine in (
        Member(BatchedEngine([config], np.float64), 0),
        Member(TorchBatchedEngine([config], "cpu", np.float64), 0),
        Trainer(config, dtype=torch.float64),
    ):
        history = [engine.state().weights["generator"]]
        for step in range(1, steps + 1):
            engine.advance(1)
            history.append(engine.state().weights["generator"])
            if step <= start:  # before its start the average follows G exactly
                averaged_now = engine.state().ema
                assert averaged_now is not None
                assert all(np.array_equal(averaged_now[name], history[-1][name]) for name in averaged_now)
        expected = {
            name: decay ** (steps - start) * history[start][name]
            + (1 - decay) * sum(decay ** (steps - i) * history[i][name] for i in range(start + 1, steps + 1))
            for name in history[0]
        }
        state = engine.state()
        assert state.ema is not None
        for name, value in expected.items():
            assert float(np.abs(state.ema[name] - value).max()) < 1e-12, (type(engine).__name__, name)
        assert np.abs(state.ema["net.2.weight"] - state.weights["generator"]["net.2.weight"]).max() > 1e-6
        averaged = forward(state.ema, ideas)
        assert np.allclose(engine.paint(ideas), averaged, atol=1e-6)
        assert np.allclose(
            engine.paint(ideas, raw=True), forward(state.weights["generator"], ideas), atol=1e-6
        )


def test_no_average_is_kept_or_saved_without_ema() -> None:
    engine = single_run(TrainConfig(seed=2))
    engine.advance(3)
    assert engine.state().ema is None


def test_retune_changes_one_members_choices_between_steps_and_nothing_else() -> None:
    """``retune`` (what ``gancurve lab`` changes a choice with) is a forced resume at that step, bit
    for bit; the other members go on untouched; what fixes shapes or streams is refused."""
    config = TrainConfig(seed=3)
    engine = BatchedEngine([config, config])
    engine.advance(40)
    wanted = dataclasses.replace(config, lr_g=5e-4, loss="hinge", ema=0.99)
    engine.retune(0, wanted)
    np.testing.assert_array_equal(engine.g_ema[0], engine.g[0])  # an average starts from G now
    engine.advance(40)
    resumed = single_run(config)
    resumed.advance(40)
    state = resumed.state()
    forced = single_run(wanted)
    forced.load_state(state)  # (a forced resume: the state, then the new choices)
    forced.advance(40)
    alone = single_run(config)
    alone.advance(80)
    for network in NETWORKS:
        for name, value in forced.weights()[network].items():
            np.testing.assert_array_equal(engine.weights(0)[network][name], value)
        for name, value in alone.weights()[network].items():
            np.testing.assert_array_equal(engine.weights(1)[network][name], value)
    assert engine.configs[0] == wanted and engine.configs[1] == config
    for refused, said in (
        (dataclasses.replace(wanted, hidden=64), "hidden cannot change"),
        (dataclasses.replace(wanted, seed=4), "seed cannot change"),
        (dataclasses.replace(wanted, loss="wasserstein-gp"), "wasserstein-gp draws"),
        (dataclasses.replace(wanted, instance_noise=0.1), "instance noise draws"),
        (dataclasses.replace(wanted, optimizer="sgd"), "optimizer cannot change"),
    ):
        with pytest.raises(ValueError, match=said):
            engine.retune(0, refused)
    assert engine.configs[0] == wanted


@pytest.mark.parametrize("engine_kind", ["compiled", "torch", "reference"])
def test_a_run_resumed_across_its_average_start_is_the_straight_run(engine_kind: str) -> None:
    """--ema-start in a checkpoint: resumed before the average starts and trained past it, a run
    equals the straight run bit for bit (the average is in the state; its start in the config)."""
    from gancurve.core.engines.batched_torch import TorchBatchedEngine

    config = TrainConfig(seed=5, ema=0.9, ema_start=60, lr_g=1e-3)

    def make() -> Member | Trainer:
        if engine_kind == "reference":
            return Trainer(config, dtype=torch.float64)
        batched = BatchedEngine if engine_kind == "compiled" else TorchBatchedEngine
        args = () if engine_kind == "compiled" else ("cpu",)
        return Member(batched([config], *args, np.float64), 0)  # type: ignore[arg-type]

    straight, first = make(), make()
    straight.advance(90)
    first.advance(40)
    resumed = make()
    resumed.load_state(first.state())
    resumed.advance(50)
    assert largest_gap(resumed.state(), straight.state()) == 0.0
    assert resumed.state().ema is not None and straight.state().ema is not None
