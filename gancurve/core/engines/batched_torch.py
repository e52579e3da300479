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

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from gancurve.core.config import TrainConfig
from gancurve.core.engines import layout
from gancurve.core.engines.batched import BatchedEngine
from gancurve.core.engines.protocol import TrainState
from gancurve.core.losses import minimax_d_loss, minimax_g_terms, non_saturating_g_terms

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
        self._sizes = (first.ideas, first.hidden, first.points)
        self._on_device: dict[str, torch.Tensor] = {}
        self._basis_on_device = torch.from_numpy(self._basis).to(self.torch_device, self.torch_dtype)
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
            "g": self.g, "d": self.d, "g_moments": self.g_moments, "d_moments": self.d_moments,
            "adam_steps": self.adam_steps.astype(np.float64), "hyper": self.hyper,
            "active": self.active, "real_a": self._real_a[:, 0], "ideas": self._ideas[:, 0],
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
        for name, array in (("g", self.g), ("d", self.d), ("g_moments", self.g_moments),
                            ("d_moments", self.d_moments), ("logits", self.logits)):  # fmt: skip
            array[...] = on[name].detach().cpu().numpy()
        self.adam_steps[...] = on["adam_steps"].cpu().numpy().astype(np.int64)

    # -- the step ------------------------------------------------------------------------------

    def _run_steps(self, count: int) -> None:
        on = self._on_device
        on["active"].copy_(torch.from_numpy(self.active))
        block_a = torch.from_numpy(self._real_a).to(self.torch_device, self.torch_dtype)
        block_ideas = torch.from_numpy(self._ideas).to(self.torch_device, self.torch_dtype)
        for k in range(self._block_used, self._block_used + count):
            on["real_a"].copy_(block_a[:, k])
            on["ideas"].copy_(block_ideas[:, k])
            if self.graph is None and self._capture_wanted:
                self._try_capture()
            if self.graph is not None:
                self.graph.replay()
            else:
                self._step()
        self._stale = True

    def _step(self) -> None:
        """One step of every active member: (1) update D, (2) update G against the new D."""
        on = self._on_device
        members = on["g"].shape[0]
        real = on["real_a"][:, :, None] * self._basis_on_device - 1.0  # the artist paints: a·(x² + 1) − 1
        fake = self._generator(on["g"], on["ideas"])

        # (1) Update D on the artist's batch and G's detached paintings. Each member's loss is a
        # mean over its batch; the sum over members gives every member its own gradient.
        real_logits, fake_logits = (
            self._discriminator(on["d"], real),
            self._discriminator(on["d"], fake.detach()),
        )
        d_loss = members * minimax_d_loss(real_logits, fake_logits)
        (d_grad,) = torch.autograd.grad(d_loss, [on["d"]])
        self._adam(on["d"], d_grad, on["d_moments"], on["hyper"][:, layout.LR_D])

        # (2) Update G against the updated D, each member with its own G loss.
        new_logits = self._discriminator(on["d"], fake)
        non_saturating = on["hyper"][:, layout.NON_SATURATING, None] != 0
        terms = torch.where(non_saturating, non_saturating_g_terms(new_logits), minimax_g_terms(new_logits))
        (g_grad,) = torch.autograd.grad(members * terms.mean(), [on["g"]])
        self._adam(on["g"], g_grad, on["g_moments"], on["hyper"][:, layout.LR_G])
        with torch.no_grad():
            on["adam_steps"].add_(on["active"].to(torch.float64))
            on["logits"].copy_(torch.stack([real_logits, fake_logits, new_logits], dim=1))

    def _generator(self, g: torch.Tensor, ideas: torch.Tensor) -> torch.Tensor:
        n_ideas, hidden, points = self._sizes
        w1, b1, w2, b2 = torch.split(g, [n_ideas * hidden, hidden, points * hidden, points], dim=1)
        members = g.shape[0]
        h = torch.relu(torch.bmm(ideas, w1.reshape(members, n_ideas, hidden)) + b1[:, None, :])
        return torch.bmm(h, w2.reshape(members, points, hidden).transpose(1, 2)) + b2[:, None, :]

    def _discriminator(self, d: torch.Tensor, paintings: torch.Tensor) -> torch.Tensor:
        _, hidden, points = self._sizes
        v1, c1, v2, c2 = torch.split(d, [points * hidden, hidden, hidden, 1], dim=1)
        members = d.shape[0]
        h = torch.relu(torch.bmm(paintings, v1.reshape(members, points, hidden)) + c1[:, None, :])
        return torch.bmm(h, v2[:, :, None])[:, :, 0] + c2

    @torch.no_grad()
    def _adam(
        self, weights: torch.Tensor, grad: torch.Tensor, moments: torch.Tensor, lr: torch.Tensor
    ) -> None:
        """torch.optim.Adam's update for every active member, each with its own learning rate."""
        on = self._on_device
        hyper, active = on["hyper"], on["active"][:, None]
        beta1, beta2, eps = (
            hyper[:, layout.BETA1, None],
            hyper[:, layout.BETA2, None],
            hyper[:, layout.EPS, None],
        )
        t = on["adam_steps"][:, None] + 1.0
        bias1, bias2_sqrt = 1.0 - beta1**t, torch.sqrt(1.0 - beta2**t)
        lr = lr[:, None] * _linear_decay_factor(
            t, hyper[:, layout.DECAY_START, None], hyper[:, layout.DECAY_END, None]
        )
        dtype = weights.dtype
        m = moments[:, 0] * beta1.to(dtype) + grad * (1.0 - beta1).to(dtype)
        v = moments[:, 1] * beta2.to(dtype) + grad * grad * (1.0 - beta2).to(dtype)
        step = (lr / bias1).to(dtype) * m / (torch.sqrt(v) / bias2_sqrt.to(dtype) + eps.to(dtype))
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
        trained = ("g", "d", "g_moments", "d_moments", "adam_steps", "logits")
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

    def last_stats(self, member: int) -> dict[str, float]:
        """What the member's latest step measured."""
        self._sync()
        return super().last_stats(member)

    def paint(self, member: int, ideas: np.ndarray) -> np.ndarray:
        """The member's G's paintings (float32) for ``ideas``."""
        self._sync()
        return super().paint(member, ideas)

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
        super().set_hyper(member, config)
        if getattr(self, "_on_device", None):
            self._push()


def _linear_decay_factor(step: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """:func:`gancurve.core.schedule.linear_decay_factor` on tensors (one value per member)."""
    falling = ((end - step) / (end - start).clamp(min=1.0)).clamp(0.0, 1.0)
    return torch.where((end <= start) | (step <= start), torch.ones_like(step), falling)
