"""The readable training step: the tutorial's loop, one obvious line per idea.

This autograd trainer is the reference implementation. Faster engines must match it
(same losses, same update order, same random draws); the tests use it as their oracle.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch

from gancurve.core import losses
from gancurve.core.artist import ParameterLaw, make_artist
from gancurve.core.condition import Condition, make_condition
from gancurve.core.config import TrainConfig
from gancurve.core.draws import TrainingStreams, draw_batch, draw_mix, draw_noise, needs_mix, needs_noise
from gancurve.core.engines.protocol import RNG_NUMPY, RNG_TORCH, STAT_NAMES, AdamState, TrainState
from gancurve.core.models import build_models, load_weights, module_weights
from gancurve.core.networks import PARAMETERS, Weights
from gancurve.core.schedule import SCHEDULE_CODES, decay_factor, warmup_factor


class Trainer:
    """Owns G, D, both Adam optimizers, the random stream and the step counter.

    On the CPU it draws from the run's numpy stream, exactly as the numpy engine does. On a GPU
    it draws on the device with torch's generator (seeded by the run's seed), so that a CUDA
    graph can capture the draws with the rest of the step.
    """

    def __init__(
        self,
        config: TrainConfig,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        capturable: bool = False,
    ) -> None:
        self.config = config
        self.torch_device = torch.device(device)
        self.device = str(self.torch_device)
        self.dtype = dtype  # float64 lets tests compare engines to 1e-10
        self.notice: str | None = None  # the readable trainer never changes course
        self.artist = make_artist(config)
        self.condition = make_condition(config)
        # The family in the run's dtype, made as the CPU engine makes it (x² + 1 in float32 is not
        # float64's x² + 1 rounded), so both paint the artist's batch bit for bit alike.
        self.numpy_dtype = np.float64 if dtype == torch.float64 else np.float32
        self._basis = torch.from_numpy(self.artist.basis(self.numpy_dtype)).to(self.torch_device)
        self._offset = torch.from_numpy(self.artist.offset(self.numpy_dtype)).to(self.torch_device)
        generator, discriminator = build_models(config)
        self.generator = generator.to(self.torch_device, dtype)
        self.discriminator = discriminator.to(self.torch_device, dtype)
        self.opt_g = _optimizer(config, self.generator, config.lr_g, capturable)
        self.opt_d = _optimizer(config, self.discriminator, config.lr_d, capturable)
        self.on_host = self.torch_device.type == "cpu"
        self.streams = TrainingStreams.for_run(config)  # the CPU's draws
        self.device_rng = torch.Generator(device=self.torch_device).manual_seed(config.seed)  # a GPU's draws
        self.step_count = 0
        self._factor = 1.0  # the learning-rate schedule's factor this step (it anneals instance noise)
        self.sgd_start = (0, 0)  # (step, D's updates) where an SGD run was loaded (sgd_steps)
        self._last: dict[str, torch.Tensor] | None = None
        # The moving average of G's weights (when the run keeps one), from G's initial weights.
        self.ema = [param.detach().clone() for param in self.generator.parameters()]

    def draw_batch(self) -> Draws:
        """One update of D's draws, in this fixed order: the artist's ``a``, G's ideas, (WGAN-GP)
        the mixing weights of the penalty's points and (instance noise) the noise of the artist's
        paintings then G's; the paintings and conditions follow."""
        gp, noisy = needs_mix(self.config), needs_noise(self.config)
        noise: torch.Tensor | None = None
        if self.on_host:
            a_array, ideas_array = draw_batch(self.artist, self.config, self.streams, self.numpy_dtype)
            mix = torch.from_numpy(draw_mix(self.config, self.streams, self.numpy_dtype)) if gp else None
            if noisy:
                noise = torch.from_numpy(draw_noise(self.config, self.streams, self.numpy_dtype))
            a, ideas = torch.from_numpy(a_array), torch.from_numpy(ideas_array)
        else:
            rng, batch, device = self.device_rng, self.config.batch_size, self.torch_device
            u = torch.rand(batch, generator=rng, device=device, dtype=self.dtype)
            a = _quantile_on_device(self.artist.law, u)
            shape = (batch, self.config.ideas)
            if self.config.prior == "uniform":  # core.draws.draw_ideas's law, on the device
                ideas = torch.rand(shape, generator=rng, device=device, dtype=self.dtype) * 2 - 1
            else:
                ideas = torch.randn(shape, generator=rng, device=device, dtype=self.dtype)
            mix = torch.rand(batch, generator=rng, device=device, dtype=self.dtype) if gp else None
            if noisy:
                noise_shape = (2, batch, self.config.points)
                noise = torch.randn(noise_shape, generator=rng, device=device, dtype=self.dtype)
        real = a[:, None] * self._basis[None, :] + self._offset[None, :]
        condition = _condition_columns(self.condition, a)
        return Draws(real, with_condition(ideas, condition), condition, mix, noise)

    def step(self) -> dict[str, torch.Tensor]:
        """One round of the game: D learns (``d_steps`` times, each on fresh draws), then G learns
        against the new D on the last draws' paintings."""
        if self.config.lr_schedule != "constant" or self.config.warmup:
            self._factor = self._schedule_learning_rates(self.step_count + 1)
        for _ in range(self.config.d_steps):
            draws = self.draw_batch()
            fake = self.generator(draws.g_inputs)
            real_logits, fake_logits, d_loss = self._update_d(draws, fake.detach())

        # (2) Update G against the D that just learned: minimise the mean of G's terms (the
        # tutorial's log(1 - D(G(z))) with the minimax loss).
        loss = self.config.loss
        g_loss = losses.g_loss(loss, self.discriminator(with_condition(fake, draws.condition)))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        if self.config.ema > 0:
            self._average_generator()

        self.step_count += 1
        # Left on the device (a GPU→CPU copy per step would cost more than the step).
        self._last = {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "d_accuracy": losses.d_view(loss, real_logits, fake_logits),
            "d_score": -d_loss.detach(),
        }
        return self._last

    def _update_d(self, draws: Draws, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(1) Update D: score the artist's paintings up and G's (detached: D's loss must not
        reach into G) down, each with its row's condition. R1 also flattens D around the artist's
        paintings; WGAN-GP holds D's slope near 1 between the two (both slopes along the
        paintings, not the condition). With instance noise D sees each painting plus σ·n, σ times
        the schedule's factor (R1's slope at the noisy painting, WGAN-GP's points between the noisy
        ones). Returns both logits and D's loss (without penalties)."""
        loss, r1 = self.config.loss, self.config.r1
        real, condition, mix = draws.real, draws.condition, draws.mix
        if draws.noise is not None:
            sigma = self.config.instance_noise * self._factor
            real, fake = real + sigma * draws.noise[0], fake + sigma * draws.noise[1]
        real.requires_grad_(r1 > 0)
        real_logits = self.discriminator(with_condition(real, condition))
        fake_logits = self.discriminator(with_condition(fake, condition))
        d_loss = losses.d_loss(loss, real_logits, fake_logits)
        penalty = losses.r1_penalty(real_logits, real, r1) if r1 > 0 else torch.zeros_like(d_loss)
        if mix is not None:
            mixed = (mix[:, None] * real.detach() + (1.0 - mix[:, None]) * fake).requires_grad_(True)
            mixed_logits = self.discriminator(with_condition(mixed, condition))
            penalty = penalty + losses.gradient_penalty(mixed_logits, mixed)
        self.opt_d.zero_grad(set_to_none=True)
        (d_loss + penalty).backward()
        self.opt_d.step()
        return real_logits.detach(), fake_logits.detach(), d_loss

    @torch.no_grad()
    def _average_generator(self) -> None:
        """``average ← decay·average + (1 − decay)·G``, parameter by parameter; up to the step
        ``ema_start`` the average is G itself (it restarts from G's weights there)."""
        decay = self.config.ema
        started = self.step_count + 1 > self.config.ema_start  # the step being taken
        for averaged, param in zip(self.ema, self.generator.parameters(), strict=True):
            if started:
                averaged.mul_(decay).add_(param, alpha=1.0 - decay)
            else:
                averaged.copy_(param)

    def advance(self, steps: int) -> None:
        """``steps`` training steps."""
        for _ in range(steps):
            self.step()

    def last_stats(self) -> dict[str, float]:
        """What the latest step measured, with one device-to-host copy."""
        if self._last is None:
            raise RuntimeError("no step has been taken yet")
        values = torch.stack([self._last[name] for name in STAT_NAMES]).tolist()
        return dict(zip(STAT_NAMES, values, strict=True))

    @torch.no_grad()
    def paint(self, ideas: np.ndarray, raw: bool = False) -> np.ndarray:
        """G's paintings for the given ideas (float32, on the host): by G's moving average when
        the run keeps one, unless ``raw``."""
        inputs = torch.from_numpy(np.ascontiguousarray(ideas)).to(self.torch_device, self.dtype)
        if self.config.ema > 0 and not raw:
            w1, b1, w2, b2 = self.ema
            paintings = torch.relu(inputs @ w1.T + b1) @ w2.T + b2
        else:
            paintings = self.generator(inputs)
        result: np.ndarray = paintings.to("cpu", torch.float32).numpy()
        return result

    def weights(self) -> dict[str, Weights]:
        """G's and D's weights now, as numpy arrays (copies)."""
        return {name: module_weights(module) for name, module, _ in self.networks()}

    def networks(self) -> list[tuple[str, torch.nn.Module, torch.optim.Optimizer]]:
        """``(name, module, its optimizer)`` for G and D."""
        return [("generator", self.generator, self.opt_g), ("discriminator", self.discriminator, self.opt_d)]

    def state(self) -> TrainState:
        """Everything needed to continue this run exactly, as plain arrays (copies)."""
        adam = {}
        for name, module, optimizer in self.networks():
            params = dict(zip(PARAMETERS, module.parameters(), strict=True))
            states = {key: optimizer.state.get(param, {}) for key, param in params.items()}
            if self.config.optimizer == "sgd":  # no step count of its own; its buffer in exp_avg's place
                steps = self.sgd_steps(name)
                moments = [
                    {key: _array(s["momentum_buffer"]) if s.get("momentum_buffer") is not None and moment == 0
                     else np.zeros_like(_array(params[key])) for key, s in states.items()}
                    for moment in (0, 1)
                ]  # fmt: skip
                adam[name] = AdamState(steps, *moments)
                continue
            steps = int(float(states["net.0.weight"]["step"])) if states["net.0.weight"] else 0
            moments = [
                {key: _array(s[moment]) if s else np.zeros_like(_array(params[key]))
                 for key, s in states.items()}
                for moment in ("exp_avg", "exp_avg_sq")
            ]  # fmt: skip
            adam[name] = AdamState(steps, *moments)
        on_host = self.on_host
        ema = (
            dict(zip(PARAMETERS, (_array(t) for t in self.ema), strict=True)) if self.config.ema > 0 else None
        )
        return TrainState(
            step=self.step_count,
            weights=self.weights(),
            adam=adam,
            rng=self.streams.state() if on_host else self.device_rng.get_state().numpy().copy(),
            rng_kind=RNG_NUMPY if on_host else RNG_TORCH,
            ema=ema,
        )

    def _schedule_learning_rates(self, step: int) -> float:
        """Both learning rates for this step of the schedule and warm-up (a Python number: eager
        only); the decay's factor (instance noise's, which is not warmed up)."""
        config = self.config
        decay = decay_factor(step, SCHEDULE_CODES[config.lr_schedule], config.decay_start, config.decay_end)
        factor = decay * warmup_factor(step, config.warmup)
        for optimizer, lr in ((self.opt_g, config.lr_g), (self.opt_d, config.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr * factor
        return decay

    def load_state(self, state: TrainState) -> None:
        """Continue from a state; ``ValueError`` when it does not fit."""
        wanted = RNG_NUMPY if self.on_host else RNG_TORCH
        if state.rng_kind != wanted:
            raise ValueError(
                f"its random stream is {state.rng_kind!r}, but on {self.device} it is {wanted!r}"
            )
        try:
            for name, module, optimizer in self.networks():
                load_weights(module, state.weights[name])
                optimizer.load_state_dict(_state_dict(optimizer, state.adam[name], self.dtype))
            self.load_average(state)
            if self.on_host:
                self.streams.set_state(state.rng)
            else:
                self.device_rng.set_state(torch.from_numpy(state.rng.copy()))
        except (KeyError, RuntimeError, TypeError, ValueError) as error:
            raise ValueError(f"the saved training state does not fit this model: {error}") from error
        self.step_count = state.step
        self.sgd_start = (state.step, state.adam["discriminator"].steps)
        # The config is the truth for learning rates and betas (a forced resume may change them).
        betas = (self.config.beta1, self.config.beta2)
        for optimizer, lr in ((self.opt_g, self.config.lr_g), (self.opt_d, self.config.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr
                group.update({"betas": betas} if self.config.optimizer == "adam" else {})

    def sgd_steps(self, network: str) -> int:
        """How many updates an SGD network has taken (SGD counts none itself; Adam's count is in its
        state): G one a step, D ``d_steps`` a step, from where the run was loaded. Computed from the
        step count, so a CUDA graph's replays count too."""
        start_step, start_d = self.sgd_start
        if network == "generator":
            return self.step_count
        return start_d + (self.step_count - start_step) * self.config.d_steps

    @torch.no_grad()
    def load_average(self, state: TrainState) -> None:
        """G's moving average from the state, or (a run that kept none) from G's weights now."""
        for averaged, name, param in zip(self.ema, PARAMETERS, self.generator.parameters(), strict=True):
            if state.ema is None:
                averaged.copy_(param)
            else:
                averaged.copy_(torch.from_numpy(np.ascontiguousarray(state.ema[name])))


class Draws(NamedTuple):
    """One update of D's draws as tensors: the artist's paintings, G's inputs (ideas ⊕ condition),
    the rows' condition columns (``(batch, 0)`` without one), WGAN-GP's mixing weights and the
    instance noise ``(2, batch, points)``."""

    real: torch.Tensor
    g_inputs: torch.Tensor
    condition: torch.Tensor
    mix: torch.Tensor | None
    noise: torch.Tensor | None = None


def with_condition(inputs: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
    """G's or D's input: ideas or paintings with their condition columns (themselves without one)."""
    return torch.cat([inputs, condition], dim=-1) if condition.shape[-1] else inputs


def _condition_columns(condition: Condition, a: torch.Tensor) -> torch.Tensor:
    """:meth:`Condition.values` in torch (a GPU run's draws stay on the device)."""
    if condition.name == "label":
        return (a > condition.threshold).to(a.dtype)[:, None]
    if condition.name == "a":
        return a[:, None]
    return a[:, None][:, :0]


def _quantile_on_device(law: ParameterLaw, u: torch.Tensor) -> torch.Tensor:
    """:meth:`ParameterLaw.quantile` on the device (the draws of a GPU run stay there)."""
    lows = torch.tensor([low for low, _ in law.intervals], device=u.device, dtype=u.dtype)
    widths = torch.tensor([high - low for low, high in law.intervals], device=u.device, dtype=u.dtype)
    scaled = u * law.modes
    k = torch.clamp(torch.floor(scaled), max=law.modes - 1)
    index = k.long()
    return lows[index] + widths[index] * (scaled - k)


def _array(tensor: torch.Tensor) -> np.ndarray:
    array: np.ndarray = tensor.detach().cpu().numpy().copy()
    return array


def _optimizer(
    config: TrainConfig, module: torch.nn.Module, lr: float, capturable: bool
) -> torch.optim.Optimizer:
    """One network's optimizer: torch's Adam (``capturable`` keeps its step count on the device, so
    a CUDA graph can replay the update) or SGD with the run's momentum."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(module.parameters(), lr=lr, momentum=config.momentum)
    betas = (config.beta1, config.beta2)
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas, capturable=capturable)


def _state_dict(optimizer: torch.optim.Optimizer, adam: AdamState, dtype: torch.dtype) -> dict[str, Any]:
    """``optimizer.state_dict()`` with its state replaced by ``adam`` (none before the first step);
    for SGD, its momentum buffer from the first moment's place (none without momentum)."""
    saved = optimizer.state_dict()
    if isinstance(optimizer, torch.optim.SGD):
        device = next(p.device for group in optimizer.param_groups for p in group["params"])
        with_buffer = adam.steps and saved["param_groups"][0]["momentum"]
        buffers: dict[int, dict[str, torch.Tensor]] = {}
        for index, name in enumerate(PARAMETERS) if with_buffer else ():
            buffer = torch.from_numpy(np.ascontiguousarray(adam.exp_avg[name]))
            buffers[index] = {"momentum_buffer": buffer.to(device, dtype)}
        return {"state": buffers, "param_groups": saved["param_groups"]}
    capturable = bool(saved["param_groups"][0].get("capturable"))
    device = next(p.device for group in optimizer.param_groups for p in group["params"])
    state: dict[int, dict[str, torch.Tensor]] = {}
    if adam.steps:
        for index, name in enumerate(PARAMETERS):
            step = torch.tensor(float(adam.steps), dtype=torch.float32)
            state[index] = {
                "step": step.to(device) if capturable else step,
                "exp_avg": torch.from_numpy(np.ascontiguousarray(adam.exp_avg[name])).to(device, dtype),
                "exp_avg_sq": torch.from_numpy(np.ascontiguousarray(adam.exp_avg_sq[name])).to(device, dtype),
            }
    return {"state": state, "param_groups": saved["param_groups"]}
