"""The fast engines compute the reference step: same losses, same order, same Adam, same draws."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import run_python

from gancurve.core import losses
from gancurve.core.config import TrainConfig
from gancurve.core.draws import TrainingStreams, draw_mix
from gancurve.core.engines import make_engine
from gancurve.core.engines.batched import BatchedEngine, Member, single_run
from gancurve.core.engines.cuda_graph import GraphEngine, restore_in_place, warm_up
from gancurve.core.engines.protocol import TrainState
from gancurve.core.engines.reference import Trainer
from gancurve.core.networks import NETWORKS

F64 = torch.float64


def max_difference(a: TrainState, b: TrainState, part: str = "weights") -> float:
    """The largest difference between two states' weights (or Adam moments), over both networks."""
    worst = 0.0
    for network in NETWORKS:
        if part == "weights":
            pairs = [(a.weights[network], b.weights[network])]
        else:
            pairs = [(a.adam[network].exp_avg, b.adam[network].exp_avg),
                     (a.adam[network].exp_avg_sq, b.adam[network].exp_avg_sq)]  # fmt: skip
        for mine, theirs in pairs:
            worst = max(worst, *(float(np.abs(mine[k] - theirs[k]).max()) for k in mine))
    return worst


@pytest.mark.parametrize(
    ("loss", "r1", "condition", "extra"),
    [("minimax", 0.0, "none", {}), ("non-saturating", 0.0, "none", {}), ("least-squares", 0.0, "none", {}),
     ("hinge", 0.0, "none", {}), ("minimax", 10.0, "none", {}), ("least-squares", 0.1, "none", {}),
     ("wasserstein-gp", 0.0, "none", {}), ("wasserstein-gp", 1.0, "none", {}), ("minimax", 0.0, "label", {}),
     ("minimax", 10.0, "a", {}), ("wasserstein-gp", 1.0, "label", {}), ("non-saturating", 0.0, "a", {}),
     ("minimax", 10.0, "none", {"prior": "uniform"}), ("minimax", 0.0, "none", {"instance_noise": 0.3}),
     ("non-saturating", 10.0, "label", {"instance_noise": 0.2}),
     ("wasserstein-gp", 1.0, "none", {"instance_noise": 0.5}),
     ("minimax", 0.0, "none", {"optimizer": "sgd", "momentum": 0.9}),
     ("wasserstein-gp", 1.0, "label", {"optimizer": "sgd", "momentum": 0.5})],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)  # fmt: skip
def test_gradients_match_autograd_in_float64(
    loss: str, r1: float, condition: str, extra: dict[str, object]
) -> None:
    """After one step Adam's first moment is (1 − β1)·gradient: the kernel's gradients, exactly —
    for every objective, for R1's and WGAN-GP's double backward, and with a condition (a column
    after G's ideas and after D's painting, the same for a row's real and fake painting; the
    penalties' slopes along the painting only), and with the choices in ``extra`` — written here
    with autograd, from scratch."""
    config = TrainConfig(
        seed=5,
        batch_size=30,
        loss=loss,
        r1=r1,
        condition=condition,
        **extra,  # type: ignore[arg-type]
    )  # 30: not a multiple of 4
    fast = single_run(config, dtype=np.float64)
    reference = Trainer(config, dtype=F64)
    streams = TrainingStreams.for_run(config)
    a_array = reference.artist.sample_a(config.batch_size, streams.artist, np.float64)
    ideas_array = streams.ideas.standard_normal((config.batch_size, config.ideas))  # the ideas' stream
    if config.prior == "uniform":  # the same stream, one uniform number per idea, on [-1, 1]
        ideas_array = 2 * TrainingStreams.for_run(config).ideas.random((config.batch_size, config.ideas)) - 1
    a = torch.from_numpy(a_array)
    columns = {"none": a[:, None][:, :0], "label": (a > 1.5).double()[:, None], "a": a[:, None]}[condition]
    real = torch.from_numpy(reference.artist.paint(a_array))
    fake = reference.generator(torch.cat([torch.from_numpy(ideas_array), columns], dim=1))

    def d(paintings: torch.Tensor) -> torch.Tensor:
        return reference.discriminator(torch.cat([paintings, columns], dim=1))

    d_params = list(reference.discriminator.parameters())
    seen_real, seen_fake = real, fake.detach()  # what D sees: with instance noise, painting + σ·n
    if config.instance_noise > 0:  # stream 8, the artist's batch's noise then G's, N(0, 1)
        noise_stream = np.random.Generator(np.random.PCG64(np.random.SeedSequence([config.seed, 8])))
        noise = torch.from_numpy(noise_stream.standard_normal((2, config.batch_size, config.points)))
        seen_real, seen_fake = (
            real + config.instance_noise * noise[0],
            seen_fake + config.instance_noise * noise[1],
        )
    seen_real.requires_grad_(True)
    real_logits = d(seen_real)
    d_loss = losses.d_loss(loss, real_logits, d(seen_fake))
    (slopes,) = torch.autograd.grad(real_logits.sum(), seen_real, create_graph=True)  # at the noisy painting
    d_loss = d_loss + r1 / 2 * (slopes**2).sum(1).mean()
    if loss == "wasserstein-gp":  # Gulrajani et al.'s penalty, λ = 10, at points between the batches
        eps = torch.from_numpy(draw_mix(config, streams, np.float64))[:, None]
        mixed = (eps * seen_real.detach() + (1 - eps) * seen_fake).requires_grad_(True)
        (mixed_slopes,) = torch.autograd.grad(d(mixed).sum(), mixed, create_graph=True)
        d_loss = d_loss + 10.0 * ((mixed_slopes.norm(dim=1) - 1) ** 2).mean()
    d_grads = torch.autograd.grad(d_loss, d_params)
    reference.opt_d.zero_grad()
    for param, grad in zip(d_params, d_grads, strict=True):
        param.grad = grad.clone()
    reference.opt_d.step()  # G's gradient is taken against the updated D
    g_loss = losses.g_loss(loss, d(fake))
    g_grads = torch.autograd.grad(g_loss, list(reference.generator.parameters()))

    fast.step()
    adam = fast.state().adam
    # SGD's momentum buffer after its first step is the gradient itself (torch's SGD, Polyak's ball).
    share = 1 - config.beta1 if config.optimizer == "adam" else 1.0
    for network, grads in (("discriminator", d_grads), ("generator", g_grads)):
        mine = adam[network].exp_avg
        for name, theirs in zip(mine, grads, strict=True):
            assert float(np.abs(mine[name] / share - theirs.numpy()).max()) < 1e-10
    if condition != "none":  # the condition's own weights learn too (the test would miss a zero column)
        assert np.abs(adam["discriminator"].exp_avg["net.0.weight"][:, -1]).max() > 1e-6
        assert np.abs(adam["generator"].exp_avg["net.0.weight"][:, -1]).max() > 1e-6


def test_uniform_ideas_lie_on_the_segment_and_leave_the_normal_stream_alone() -> None:
    """``--prior uniform`` draws from the ideas' stream as the normal prior does: the tutorial's
    runs draw exactly what they drew before; every engine's (and every reader's) ideas lie in [-1, 1]."""
    from gancurve.core.draws import BlockDraws, eval_ideas, fixed_ideas

    normal, uniform = TrainConfig(seed=3), TrainConfig(seed=3, prior="uniform")
    block = np.zeros((2, 1, normal.batch_size, normal.ideas), np.float32)
    unused = np.zeros(block.shape[:3], np.float32)
    BlockDraws(normal, single_run(normal).artist, np.float32).fill(unused, block, unused, block[..., :0])
    expected = TrainingStreams.for_run(normal).ideas.standard_normal(block.size, dtype=np.float32)
    assert np.array_equal(block.ravel(), expected)
    BlockDraws(uniform, single_run(uniform).artist, np.float32).fill(unused, block, unused, block[..., :0])
    assert block.min() >= -1 and block.max() <= 1 and block.min() < -0.9 and block.max() > 0.9
    assert abs(float(block.mean())) < 0.05 and abs(float(block.var()) - 1 / 3) < 0.03  # U(-1, 1)
    for ideas in (fixed_ideas(uniform), eval_ideas(uniform, 2_000)):
        assert ideas.min() >= -1 and ideas.max() <= 1 and ideas.std() < 0.7  # a normal's is 1
    assert fixed_ideas(normal).std() > 0.7


def test_sgd_is_the_heavy_ball_written_out() -> None:
    """Two steps of SGD with momentum, by hand: ``m₁ = g₁, w₁ = w₀ − lr·m₁``, ``m₂ = μ·m₁ + g₂``,
    ``w₂ = w₁ − lr·m₂`` — D's weights after its second update, from the gradients the first
    moments record (a one-step engine gives ``g``), without Adam's second moment."""
    config = TrainConfig(seed=7, optimizer="sgd", momentum=0.7, lr_d=0.05, lr_g=0.05)
    engine = single_run(config, dtype=np.float64)
    start = engine.state()
    engine.step()
    first = engine.state()
    engine.step()
    second = engine.state()
    for name, w0 in start.weights["discriminator"].items():
        m1 = first.adam["discriminator"].exp_avg[name]
        assert np.allclose(first.weights["discriminator"][name], w0 - 0.05 * m1, atol=1e-14)
        m2 = second.adam["discriminator"].exp_avg[name]
        assert np.allclose(second.weights["discriminator"][name], w0 - 0.05 * m1 - 0.05 * m2, atol=1e-14)
        assert not np.array_equal(m2, 0.7 * m1)  # a new gradient joined the buffer
        assert not second.adam["discriminator"].exp_avg_sq[name].any()  # SGD keeps no second moment
    assert second.adam["generator"].steps == 2 and second.adam["discriminator"].steps == 2


def test_hundred_steps_match_the_reference_in_float64() -> None:
    config = TrainConfig(seed=2)
    fast, reference = single_run(config, dtype=np.float64), Trainer(config, dtype=F64)
    for _ in range(100):
        fast.step()
        reference.step()
    mine, theirs = fast.state(), reference.state()
    assert max_difference(mine, theirs) < 1e-8
    assert max_difference(mine, theirs, "adam") < 1e-8
    assert all(mine.adam[n].steps == theirs.adam[n].steps == 100 for n in NETWORKS)
    assert np.array_equal(mine.rng, theirs.rng)  # the same draws, the same number of them
    for name, value in fast.last_stats().items():
        assert abs(value - reference.last_stats()[name]) < 1e-8


def test_checkpoints_move_between_engines() -> None:
    config = TrainConfig(seed=8)
    fast = single_run(config, dtype=np.float64)
    for _ in range(20):
        fast.step()
    reference = Trainer(config, dtype=F64)
    reference.load_state(fast.state())
    back = single_run(config, dtype=np.float64)
    back.load_state(reference.state())
    for _ in range(10):
        fast.step()
        reference.step()
        back.step()
    assert max_difference(fast.state(), reference.state()) < 1e-10
    assert max_difference(back.state(), reference.state()) < 1e-10
    assert back.step_count == reference.step_count == 30


def test_float32_engine_stays_close_to_the_reference() -> None:
    config = TrainConfig(seed=4)
    fast, reference = single_run(config), Trainer(config)
    for _ in range(50):
        fast.step()
        reference.step()
    assert max_difference(fast.state(), reference.state()) < 1e-5


def test_paint_uses_the_current_generator() -> None:
    engine = single_run(TrainConfig())
    ideas = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float32)
    before = engine.paint(ideas)
    engine.step()
    after = engine.paint(ideas)
    assert after.shape == (7, 15) and after.dtype == np.float32 and not np.array_equal(before, after)
    reference = Trainer(TrainConfig())
    reference.load_state(engine.state())
    assert np.allclose(after, reference.paint(ideas), atol=1e-6)


def test_make_engine_picks_by_device_and_kind() -> None:
    config = TrainConfig()
    assert isinstance(make_engine(config, "cpu", "fast"), Member)
    assert isinstance(make_engine(config, "cpu", "reference"), Trainer)
    with pytest.raises(ValueError, match="unknown engine"):
        make_engine(config, "cpu", "turbo")


def test_graph_engine_on_cpu_runs_the_reference_step() -> None:
    config = TrainConfig(seed=6)
    graphed, reference = GraphEngine(config, "cpu"), Trainer(config)
    for _ in range(5):
        graphed.step()
        reference.step()
    assert graphed.graph is None and graphed.fallback_reason  # no CUDA here: eager, and it says why
    assert max_difference(graphed.state(), reference.state()) == 0.0


def test_warm_up_leaves_no_trace() -> None:
    """Capture needs a warm-up; undoing it must give back exactly the state before."""
    config = TrainConfig(seed=9)
    warmed, fresh = Trainer(config), Trainer(config)
    warm_up(warmed, warmed.state())
    for _ in range(5):
        warmed.step()
        fresh.step()
    assert warmed.step_count == fresh.step_count == 5
    assert max_difference(warmed.state(), fresh.state()) == 0.0
    assert max_difference(warmed.state(), fresh.state(), "adam") == 0.0


def test_restore_in_place_keeps_tensor_identity() -> None:
    trainer = Trainer(TrainConfig())
    trainer.step()
    saved = trainer.state()
    weight = next(trainer.generator.parameters())
    address = weight.data_ptr()
    trainer.step()
    restore_in_place(trainer, saved)
    assert weight.data_ptr() == address
    assert np.array_equal(weight.detach().numpy(), saved.weights["generator"]["net.0.weight"])
    assert trainer.step_count == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"condition": "label"},
        {"condition": "a"},
        {"prior": "uniform"},
        {"instance_noise": 0.2, "r1": 1.0},
        {"optimizer": "sgd", "momentum": 0.9, "lr_g": 1e-2, "lr_d": 1e-2},
    ],
    ids=["none", "label", "a", "uniform-prior", "instance-noise", "sgd"],
)
def test_cuda_graph_engine_matches_eager_cuda(changes: dict[str, object]) -> None:
    config = TrainConfig(seed=3, **changes)  # type: ignore[arg-type]
    graphed, eager = GraphEngine(config, "cuda"), Trainer(config, "cuda", capturable=True)
    for _ in range(200):
        graphed.step()
        eager.step()
    torch.cuda.synchronize()
    assert graphed.graph is not None, graphed.fallback_reason
    assert graphed.step_count == 200
    assert max_difference(graphed.state(), eager.state()) < 1e-4
    assert np.array_equal(graphed.state().rng, eager.state().rng)


@pytest.mark.slow
def test_a_sweep_learns_what_separate_reference_runs_learn() -> None:
    """Eight seeds for the full 10,000 steps in float32: one batched engine against eight runs
    of the autograd trainer. Training is chaotic, so no bit equality: the sweep's median W1 and
    the reference runs' median W1 must agree to 0.01, and both must converge on most seeds (the
    tutorial's recipe collapses partly on a few percent of seeds, in both engines alike).
    """
    from gancurve.core.metrics import quality

    torch.set_num_threads(1)
    seeds = range(1, 9)
    ideas = np.random.default_rng(99).standard_normal((4000, 5)).astype(np.float32)
    sweep = BatchedEngine([TrainConfig(seed=seed) for seed in seeds])
    sweep.advance(10_000)
    results: dict[str, list[float]] = {"sweep": [], "reference": []}
    for member, seed in enumerate(seeds):
        reference = Trainer(TrainConfig(seed=seed))
        reference.advance(10_000)
        for kind, paintings in (("sweep", sweep.paint(member, ideas)), ("reference", reference.paint(ideas))):
            result = quality(paintings)
            assert result.in_bounds >= 0.85, (seed, kind, result)
            results[kind].append(result.w1)
    medians = {kind: float(np.median(w1)) for kind, w1 in results.items()}
    assert abs(medians["sweep"] - medians["reference"]) < 0.01, results
    assert all(sum(w < 0.1 for w in w1) >= 6 for w1 in results.values()), results


@pytest.mark.parametrize(
    "changes",
    [{}, {"optimizer": "sgd", "momentum": 0.9}, {"instance_noise": 0.3}],
    ids=["adam", "sgd", "noise"],
)
def test_a_failed_capture_falls_back_without_changing_the_run(changes: dict[str, object]) -> None:
    """Force the capture path on the CPU, where CUDA graphs cannot exist: warm-up is undone (also
    SGD's momentum buffer, and the noise's stream), the engine says why it fell back, and training
    continues exactly like the reference."""
    config = TrainConfig(seed=12, **changes)  # type: ignore[arg-type]
    graphed, reference = GraphEngine(config, "cpu"), Trainer(config)
    graphed.fallback_reason = None  # pretend capture is possible
    for _ in range(4):
        graphed.step()
        reference.step()
    assert graphed.graph is None and graphed.notice and "training continues eagerly" in graphed.notice
    assert graphed.step_count == 4
    assert max_difference(graphed.state(), reference.state()) == 0.0


def test_the_cpu_engine_imports_no_torch() -> None:
    code = (
        "import sys; from gancurve.core.config import TrainConfig;"
        "from gancurve.core.engines import make_engine;"
        "e = make_engine(TrainConfig(), 'cpu'); [e.step() for _ in range(3)]; e.state();"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    run_python(code)
