"""The batched engine on a GPU: the same N members, the step in torch with a model axis.

:class:`TorchBatchedEngine` keeps :class:`~gancurve.core.engines.batched.BatchedEngine`'s
bookkeeping (members, their numpy streams, states, checkpoints) and replaces the compiled CPU
step by the reference step written once more with a leading member axis: ``torch.bmm`` with the
members as the batch, the losses of :mod:`gancurve.core.losses`, autograd, and torch's Adam
formula applied to every member at once (elementwise, with each member's own learning rate). On
CUDA the step is captured as one CUDA graph and replayed, as the single-run GPU engine does.

The random draws are the CPU engine's: each member's numpy streams, drawn 64 steps at a time on
the host and copied to the device, so member ``k`` trains on exactly the draws of ``gancurve train
--seed k`` on the CPU (tests hold the two engines together to 1e-8 in float64 on the CPU).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from gancurve.core import losses
from gancurve.core.config import OPTIMIZER_CODES, TrainConfig
from gancurve.core.engines import layout
from gancurve.core.engines.batched import BatchedEngine
from gancurve.core.engines.protocol import TrainState
from gancurve.core.engines.reference import with_condition
from gancurve.core.networks import Weights
from gancurve.core.objectives import LOSS_CODES
from gancurve.core.schedule import SCHEDULE_CODES

#: Steps run eagerly before capture (cuBLAS handles, allocator); they are undone.
WARMUP_STEPS = 3


class TorchBatchedEngine(BatchedEngine):
    """N runs on a torch device; see the module's docstring."""

    def __init__(
        self, configs: Sequence[TrainConfig], device: str, dtype: type[np.floating[Any]] = np.float32
    ) -> None:
        self.torch_device = torch.device(device)
        self.torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
        super().__init__(configs, dtype)
        self.device = str(self.torch_device)
        first = self.configs[0]
        self._sizes = (first.g_inputs, first.hidden, first.points, first.d_inputs)
        self._on_device: dict[str, torch.Tensor] = {}
        self._basis_on_device = torch.from_numpy(self._basis).to(self.torch_device, self.torch_dtype)
        self._offset_on_device = torch.from_numpy(self._offset).to(self.torch_device, self.torch_dtype)
        self._stale = False  # the host arrays lag the device until the next _sync()
        self._push()
        self.graph: Any = None
        self.notice = None
        self._capture_wanted = self.torch_device.type == "cuda"

    def _prepare(self) -> None:
        """Nothing to compile: torch is ready."""

    # -- host ⇄ device ---------------------------------------------------------------------

    @torch.no_grad()
    def _push(self) -> None:
        """Copy the host arrays (weights, moments, steps, hyper, active) into the device tensors.

        Copies go *into* the existing tensors once they exist, so a captured graph stays valid.
        """
        host = {
            "g": self.g, "d": self.d, "g_ema": self.g_ema,
            "g_moments": self.g_moments, "d_moments": self.d_moments,
            "adam_steps": self.adam_steps.astype(np.float64), "hyper": self.hyper,
            "active": self.active, "real_a": self._real_a[:, 0], "ideas": self._ideas[:, 0],
            "mix": self._mix[:, 0], "condition": self._condition[:, 0], "noise": self._noise[:, 0],
            "logits": self.logits,
        }  # fmt: skip
        for name, array in host.items():
            dtype = self._device_dtype(name)
            tensor = torch.from_numpy(np.ascontiguousarray(array)).to(self.torch_device, dtype)
            if name in self._on_device:
                self._on_device[name].copy_(tensor)
            else:
                self._on_device[name] = tensor.clone()
        self._on_device["g"].requires_grad_(True)
        self._on_device["d"].requires_grad_(True)

    def _device_dtype(self, name: str) -> torch.dtype:
        if name == "active":
            return torch.bool
        if name in ("adam_steps", "hyper"):
            return torch.float64
        return self.torch_dtype

    def _sync(self) -> None:
        """Bring the host arrays up to date, once per batch of steps (the loop reads them at events)."""
        if self._stale:
            self._pull()
            self._stale = False

    def _pull(self) -> None:
        """Copy the device's training state back into the host arrays (for states, pictures, stats)."""
        on = self._on_device
        for name, array in (("g", self.g), ("d", self.d), ("g_ema", self.g_ema),
                            ("g_moments", self.g_moments), ("d_moments", self.d_moments),
                            ("logits", self.logits)):  # fmt: skip
            array[...] = on[name].detach().cpu().numpy()
        self.adam_steps[...] = on["adam_steps"].cpu().numpy().astype(np.int64)

    # -- the step ------------------------------------------------------------------------------

    def _run_steps(self, count: int) -> None:
        on = self._on_device
        on["active"].copy_(torch.from_numpy(self.active))
        block_a = torch.from_numpy(self._real_a).to(self.torch_device, self.torch_dtype)
        block_ideas = torch.from_numpy(self._ideas).to(self.torch_device, self.torch_dtype)
        block_mix = torch.from_numpy(self._mix).to(self.torch_device, self.torch_dtype)
        block_condition = torch.from_numpy(self._condition).to(self.torch_device, self.torch_dtype)
        block_noise = torch.from_numpy(self._noise).to(self.torch_device, self.torch_dtype)
        for k in range(self._block_used, self._block_used + count):
            on["real_a"].copy_(block_a[:, k])
            on["ideas"].copy_(block_ideas[:, k])
            on["mix"].copy_(block_mix[:, k])
            on["condition"].copy_(block_condition[:, k])
            on["noise"].copy_(block_noise[:, k])
            if self.graph is None and self._capture_wanted:
                self._try_capture()
            if self.graph is not None:
                self.graph.replay()
            else:
                self._step()
        self._stale = True

    def _step(self) -> None:
        """One step of every active member: (1) update D (``d_steps`` times, each on its own
        draws), (2) update G against the new D, on the last draws' paintings."""
        on = self._on_device
        hyper = on["hyper"]
        code = hyper[:, layout.LOSS]
        step = on["adam_steps"][:, 0:1] + 1.0  # the schedule follows the training step (G's Adam step)
        decay = _decay_factor(
            step,
            hyper[:, layout.SCHEDULE, None],
            hyper[:, layout.DECAY_START, None],
            hyper[:, layout.DECAY_END, None],
        )
        warmup = hyper[:, layout.WARMUP, None]
        factor = decay * torch.where(step >= warmup, torch.ones_like(step), step / warmup.clamp(min=1.0))
        for slot in range(on["real_a"].shape[1]):
            real = (
                on["real_a"][:, slot, :, None] * self._basis_on_device + self._offset_on_device
            )  # a·basis + offset
            condition = on["condition"][:, slot]  # the artist's painting and G's of a row share it
            fake = self._generator(on["g"], with_condition(on["ideas"][:, slot], condition))
            seen_real, seen_fake = real, fake.detach()
            if self._noise_used:  # instance noise: D sees painting + σ·factor·n (σ = 0: unchanged)
                sigma = (hyper[:, layout.NOISE, None] * decay).to(real.dtype)[:, :, None]  # not warmed up
                noise = on["noise"][:, slot]
                seen_real, seen_fake = real + sigma * noise[:, 0], seen_fake + sigma * noise[:, 1]
            real_logits, fake_logits = self._update_d(
                seen_real, seen_fake, condition, on["mix"][:, slot], code, factor
            )

        # (2) Update G against the updated D, each member with its own G loss.
        new_logits = self._discriminator(on["d"], with_condition(fake, condition))
        g_loss = _per_member(code, lambda loss: losses.g_loss(loss, new_logits))
        (g_grad,) = torch.autograd.grad(g_loss.sum(), [on["g"]])
        self._adam(on["g"], g_grad, on["g_moments"], on["hyper"][:, layout.LR_G], 0, factor)
        with torch.no_grad():
            # G's moving average, for the members that keep one (decay 0: the average is unused).
            decay = on["hyper"][:, layout.EMA, None].to(on["g"].dtype)
            started = on["adam_steps"][:, 0:1] + 1.0 > on["hyper"][:, layout.EMA_START, None]  # --ema-start
            averaged = torch.where(started, decay * on["g_ema"] + (1.0 - decay) * on["g"], on["g"])
            on["g_ema"].copy_(torch.where(on["active"][:, None] & (decay > 0), averaged, on["g_ema"]))
            on["adam_steps"][:, 0].add_(on["active"].to(torch.float64))
            on["logits"].copy_(torch.stack([real_logits, fake_logits, new_logits], dim=1))

    def _update_d(
        self,
        real: torch.Tensor,
        fake: torch.Tensor,
        condition: torch.Tensor,
        mix: torch.Tensor,
        code: torch.Tensor,
        factor: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(1) One update of D on the artist's batch and G's (detached) paintings, each member with
        its own loss and penalties; their logits. Each member's loss is a mean over its batch;
        their sum gives every member its own gradient."""
        on = self._on_device
        real.requires_grad_(self._r1_used)
        real_logits = self._discriminator(on["d"], with_condition(real, condition))
        fake_logits = self._discriminator(on["d"], with_condition(fake, condition))
        d_loss = _per_member(code, lambda loss: losses.d_loss(loss, real_logits, fake_logits))
        if self._r1_used:
            d_loss = d_loss + losses.r1_penalty(real_logits, real, on["hyper"][:, layout.R1])
        if self._gp_used:
            mixed = (mix[:, :, None] * real.detach() + (1.0 - mix[:, :, None]) * fake).requires_grad_(True)
            penalty = losses.gradient_penalty(
                self._discriminator(on["d"], with_condition(mixed, condition)), mixed
            )
            d_loss = d_loss + torch.where(code == LOSS_CODES["wasserstein-gp"], penalty.to(code.dtype), 0.0)
        (d_grad,) = torch.autograd.grad(d_loss.sum(), [on["d"]])
        self._adam(on["d"], d_grad, on["d_moments"], on["hyper"][:, layout.LR_D], 1, factor)
        with torch.no_grad():
            on["adam_steps"][:, 1].add_(on["active"].to(torch.float64))
        return real_logits.detach(), fake_logits.detach()

    @property
    def _r1_used(self) -> bool:
        """Whether any member has an R1 penalty (the others get γ = 0: no gradient from it)."""
        return any(config.r1 > 0 for config in self.configs)

    @property
    def _sgd_used(self) -> bool:
        """Whether any member learns by SGD."""
        return any(config.optimizer == "sgd" for config in self.configs)

    @property
    def _noise_used(self) -> bool:
        """Whether any member has instance noise (the others get σ = 0: none added)."""
        return bool(self._noise.shape[-1] > 0)

    @property
    def _gp_used(self) -> bool:
        """Whether any member trains WGAN-GP (the others' penalty is masked out)."""
        return any(config.loss == "wasserstein-gp" for config in self.configs)

    def _generator(self, g: torch.Tensor, ideas: torch.Tensor) -> torch.Tensor:
        n_ideas, hidden, points, _ = self._sizes
        w1, b1, w2, b2 = torch.split(g, [n_ideas * hidden, hidden, points * hidden, points], dim=1)
        members = g.shape[0]
        h = torch.relu(torch.bmm(ideas, w1.reshape(members, n_ideas, hidden)) + b1[:, None, :])
        return torch.bmm(h, w2.reshape(members, points, hidden).transpose(1, 2)) + b2[:, None, :]

    def _discriminator(self, d: torch.Tensor, paintings: torch.Tensor) -> torch.Tensor:
        _, hidden, _, points = self._sizes  # D's inputs: the points and the condition's columns
        v1, c1, v2, c2 = torch.split(d, [points * hidden, hidden, hidden, 1], dim=1)
        members = d.shape[0]
        h = torch.relu(torch.bmm(paintings, v1.reshape(members, points, hidden)) + c1[:, None, :])
        return torch.bmm(h, v2[:, :, None])[:, :, 0] + c2

    @torch.no_grad()
    def _adam(
        self,
        weights: torch.Tensor,
        grad: torch.Tensor,
        moments: torch.Tensor,
        lr: torch.Tensor,
        network: int,
        factor: torch.Tensor,
    ) -> None:
        """Each active member's optimizer update, with its own learning rate (times the schedule's
        ``factor``): torch.optim.Adam's, or (SGD members) torch.optim.SGD's ``m = μ·m + g, w −= lr·m``
        with ``m`` in the first moment's place; ``network`` is the column of its step (0 G, 1 D)."""
        on = self._on_device
        hyper, active = on["hyper"], on["active"][:, None]
        beta1, beta2, eps = (
            hyper[:, layout.BETA1, None],
            hyper[:, layout.BETA2, None],
            hyper[:, layout.EPS, None],
        )
        t = on["adam_steps"][:, network, None] + 1.0
        bias1, bias2_sqrt = 1.0 - beta1**t, torch.sqrt(1.0 - beta2**t)
        lr = lr[:, None] * factor
        dtype = weights.dtype
        m = moments[:, 0] * beta1.to(dtype) + grad * (1.0 - beta1).to(dtype)
        v = moments[:, 1] * beta2.to(dtype) + grad * grad * (1.0 - beta2).to(dtype)
        step = (lr / bias1).to(dtype) * m / (torch.sqrt(v) / bias2_sqrt.to(dtype) + eps.to(dtype))
        if self._sgd_used:  # each SGD member takes its own update in place of Adam's
            sgd = hyper[:, layout.OPTIMIZER, None] == OPTIMIZER_CODES["sgd"]
            momentum = hyper[:, layout.MOMENTUM, None]
            buffer = moments[:, 0] * momentum.to(dtype) + grad
            m = torch.where(
                sgd, torch.where(momentum > 0, buffer, moments[:, 0]), m
            )  # no momentum: no buffer
            v = torch.where(sgd, moments[:, 1], v)
            step = torch.where(sgd, lr.to(dtype) * buffer, step)
        moments[:, 0] = torch.where(active, m, moments[:, 0])
        moments[:, 1] = torch.where(active, v, moments[:, 1])
        weights.sub_(torch.where(active, step, torch.zeros_like(step)))

    # -- CUDA graph ------------------------------------------------------------------------------

    def _try_capture(self) -> None:
        """Capture one step as a CUDA graph; on any failure run eagerly and say so once.

        The warm-up steps (and the capture, which records without running) must not change the
        run: the training state is copied before and put back, in place, after.
        """
        self._capture_wanted = False
        trained = ("g", "d", "g_ema", "g_moments", "d_moments", "adam_steps", "logits")
        saved = {name: self._on_device[name].detach().clone() for name in trained}
        try:
            side = torch.cuda.Stream()  # type: ignore[no-untyped-call]
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(WARMUP_STEPS):
                    self._step()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self._step()
            self.graph = graph
        except Exception as error:  # any capture failure: fall back, never lose the run
            self.graph = None
            reason = f"{type(error).__name__}: {error}".splitlines()[0]
            self.notice = f"CUDA graph capture failed ({reason}); the sweep continues eagerly."
        with torch.no_grad():
            for name, tensor in saved.items():
                self._on_device[name].copy_(tensor)

    # -- what the loop reads --------------------------------------------------------------------

    def state(self, member: int) -> TrainState:
        """A member's training state (read from the device)."""
        self._sync()
        return super().state(member)

    def weights(self, member: int) -> dict[str, Weights]:
        """A member's weights (read from the device)."""
        self._sync()
        return super().weights(member)

    def last_stats(self, member: int) -> dict[str, float]:
        """What the member's latest step measured."""
        self._sync()
        return super().last_stats(member)

    def paint(self, member: int, ideas: np.ndarray, raw: bool = False) -> np.ndarray:
        """The member's G's paintings (float32) for ``ideas`` (its moving average's, unless ``raw``)."""
        self._sync()
        return super().paint(member, ideas, raw)

    def load_state(self, member: int, state: TrainState) -> None:
        """Continue a member from a saved state (written into the device tensors in place)."""
        self._sync()
        super().load_state(member, state)
        self._push()

    def freeze(self, member: int) -> None:
        """Stop training a member; the device learns it at the next call."""
        super().freeze(member)

    def set_hyper(self, member: int, config: TrainConfig) -> None:
        """Take a member's learning rates from its config."""
        penalties_before = (self._r1_used, self._gp_used, self._sgd_used)
        super().set_hyper(member, config)
        if getattr(self, "_on_device", None):
            self._push()
        if (self._r1_used, self._gp_used, self._sgd_used) != penalties_before and getattr(
            self, "graph", None
        ):
            self.graph = None  # the captured step has (or lacks) a penalty's double backward: capture again
            self._capture_wanted = True


def _per_member(code: torch.Tensor, loss_of: Any) -> torch.Tensor:
    """One loss per member: ``loss_of(name)`` for every objective, each member taking its own
    (a ``where``, so that members with different losses share one step and one CUDA graph)."""
    chosen = torch.zeros_like(code)
    for name, value in LOSS_CODES.items():
        chosen = torch.where(code == value, loss_of(name).to(code.dtype), chosen)
    return chosen


def _decay_factor(
    step: torch.Tensor, code: torch.Tensor, start: torch.Tensor, end: torch.Tensor
) -> torch.Tensor:
    """:func:`gancurve.core.schedule.decay_factor` on tensors (one value per member)."""
    length = (end - start).clamp(min=1.0)
    linear = ((end - step) / length).clamp(0.0, 1.0)
    cosine = 0.5 * (1.0 + torch.cos(math.pi * ((step - start) / length).clamp(0.0, 1.0)))
    falling = torch.where(code == SCHEDULE_CODES["cosine"], cosine, linear)
    falling = torch.where(step >= end, torch.zeros_like(step), falling)
    return torch.where((end <= start) | (step <= start), torch.ones_like(step), falling)
