"""The fast CPU engine: the same step as :class:`~gancurve.core.engines.reference.Trainer`, by hand.

The networks are tiny (about 2.5 MFLOP a step), so autograd's bookkeeping, not arithmetic,
dominates the readable trainer. Here the forward pass, the backward pass and Adam are written
out in numpy on buffers allocated once, and the number of numpy calls is kept small:

- each layer keeps its bias as the last column of its weight matrix, and each layer's input
  carries a trailing column of ones, so one matmul does weight and bias, forward and backward;
- all weights of a network live in one flat buffer (gradients and Adam's moments too), so an
  Adam update is one fused call for the whole network;
- the backward pass through D's hidden layer never forms the (batch × hidden) gradient.

The math is the reference trainer's: the same random draws from the same ``torch.Generator``
in the same order, D updated first on the artist's batch and the detached fakes, then G against
the updated D, the same Adam. The tests hold it to the reference to 1e-10 in float64.

Derivatives used below, for logits ``l`` of a batch of size ``B``:
``d/dl [−log σ(l)] = σ(l) − 1`` and ``d/dl [−log(1 − σ(l))] = σ(l)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig
from gancurve.core.engines.adam import ADAM_BETAS, ADAM_EPS, FlatAdam
from gancurve.core.engines.protocol import StepStats
from gancurve.core.models import build_models


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log σ(x)`` without overflow: ``min(x, 0) − log1p(exp(−|x|))``."""
    result: np.ndarray = np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))
    return result


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``σ(x)`` for any x (the tanh form cannot overflow)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class FlatMLP:
    """A two-layer MLP (Linear, ReLU, Linear) in augmented form, all in one flat buffer.

    ``layer1`` is ``(hidden, inputs + 1)`` = ``[w1 | b1]`` and ``layer2`` is
    ``(outputs, hidden + 1)`` = ``[w2 | b2]``. The gradients and Adam's two moments are flat
    buffers with the same layout; Adam is elementwise, so the layout does not change it.
    """

    def __init__(
        self, module: nn.Module, lr: float, dtype: type[np.floating[Any]], fused_adam: bool = True
    ) -> None:
        w1, _, w2, _ = (p.detach() for p in module.parameters())
        (hidden, inputs), outputs = w1.shape, w2.shape[0]
        self.shapes = ((hidden, inputs + 1), (outputs, hidden + 1))
        size = sum(rows * cols for rows, cols in self.shapes)
        self.weights, self.grads = np.zeros(size, dtype), np.zeros(size, dtype)
        self.layer1, self.layer2 = self._layers(self.weights)
        self.grad1, self.grad2 = self._layers(self.grads)
        self.adam = FlatAdam(self.weights, self.grads, lr, use_fused=fused_adam)
        self._import(self.weights, [p.detach() for p in module.parameters()])

    def _layers(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (r1, c1), (r2, c2) = self.shapes
        return flat[: r1 * c1].reshape(r1, c1), flat[r1 * c1 :].reshape(r2, c2)

    def _torch_order(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of a flat buffer as torch's ``[w1, b1, w2, b2]``."""
        layer1, layer2 = self._layers(flat)
        return [layer1[:, :-1], layer1[:, -1], layer2[:, :-1], layer2[:, -1]]

    def _import(self, flat: np.ndarray, tensors: list[torch.Tensor]) -> None:
        for view, tensor in zip(self._torch_order(flat), tensors, strict=True):
            view[...] = tensor.cpu().numpy()

    def _export(self, flat: np.ndarray) -> list[torch.Tensor]:
        # Always a copy: a tensor sharing our buffers would change under whoever holds it.
        return [torch.from_numpy(view.copy()) for view in self._torch_order(flat)]

    def grad_tensors(self) -> list[torch.Tensor]:
        """The latest gradients in torch's parameter order (for checks against autograd)."""
        return self._export(self.grads)

    def module_state(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """The weights as ``module.state_dict()`` (and copied into ``module``)."""
        with torch.no_grad():
            for param, value in zip(module.parameters(), self._export(self.weights), strict=True):
                param.copy_(value)
        return {name: tensor.clone() for name, tensor in module.state_dict().items()}

    def adam_state(self) -> dict[str, Any]:
        """Adam's state as ``torch.optim.Adam.state_dict()`` writes it (the checkpoint format)."""
        state = {}
        adam = self.adam
        if adam.steps:
            moments = zip(self._export(adam.exp_avg), self._export(adam.exp_avg_sq), strict=True)
            state = {
                index: {"step": torch.tensor(float(adam.steps)), "exp_avg": avg, "exp_avg_sq": avg_sq}
                for index, (avg, avg_sq) in enumerate(moments)
            }
        group = {
            "lr": adam.lr, "betas": ADAM_BETAS, "eps": ADAM_EPS, "weight_decay": 0, "amsgrad": False,
            "maximize": False, "foreach": None, "capturable": False, "differentiable": False, "fused": None,
            "decoupled_weight_decay": False, "params": [0, 1, 2, 3],
        }  # fmt: skip
        return {"state": state, "param_groups": [group]}

    def load(self, module: nn.Module, weights: dict[str, torch.Tensor], adam: dict[str, Any]) -> None:
        """Take weights (shape-checked by ``module``) and Adam's state from a checkpoint."""
        module.load_state_dict(weights)
        self._import(self.weights, [p.detach() for p in module.parameters()])
        states = [adam["state"].get(index) for index in range(4)]
        if all(states):
            self._import(self.adam.exp_avg, [s["exp_avg"] for s in states])
            self._import(self.adam.exp_avg_sq, [s["exp_avg_sq"] for s in states])
            self.adam.steps = int(float(states[0]["step"]))
        else:
            self.adam.exp_avg[:] = 0.0
            self.adam.exp_avg_sq[:] = 0.0
            self.adam.steps = 0

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """The network's output for a batch (for snapshots; the training step has its own)."""
        layer1, layer2 = self.layer1, self.layer2
        hidden = np.maximum(inputs @ layer1[:, :-1].T + layer1[:, -1], 0.0)
        out: np.ndarray = hidden @ layer2[:, :-1].T + layer2[:, -1]
        return out


class _Buffers:
    """Every array a step writes, allocated once. ``*_aug`` arrays end in a column of ones."""

    def __init__(self, config: TrainConfig, dtype: type[np.floating[Any]]) -> None:
        batch, hidden, points = config.batch_size, config.hidden, config.points

        def augmented(rows: int, cols: int) -> np.ndarray:
            array = np.zeros((rows, cols + 1), dtype)
            array[:, -1] = 1.0
            return array

        self.ideas_aug = augmented(batch, config.ideas)
        # The random draws land in these (torch views of numpy memory: no copies).
        self.uniform, self.a = np.zeros(batch, dtype), np.zeros(batch, dtype)
        self.ideas = np.zeros((batch, config.ideas), dtype)
        self.uniform_t, self.ideas_t = torch.from_numpy(self.uniform), torch.from_numpy(self.ideas)
        self.paintings_aug = augmented(2 * batch, points)  # rows: the artist's batch, then G's
        self.g_pre, self.g_mask = np.zeros((batch, hidden), dtype), np.zeros((batch, hidden), dtype)
        self.g_hidden_aug = augmented(batch, hidden)
        self.d_pre, self.d_mask = np.zeros((2 * batch, hidden), dtype), np.zeros((2 * batch, hidden), dtype)
        self.d_hidden_aug = augmented(2 * batch, hidden)
        self.n_pre, self.n_mask = np.zeros((batch, hidden), dtype), np.zeros((batch, hidden), dtype)
        self.n_hidden_aug = augmented(batch, hidden)
        self.d_logits, self.n_logits = np.zeros(2 * batch, dtype), np.zeros(batch, dtype)
        self.grad_logits, self.grad_new = np.zeros(2 * batch, dtype), np.zeros(batch, dtype)
        self.d_logits_t, self.n_logits_t, self.grad_logits_t, self.grad_new_t = (
            torch.from_numpy(a) for a in (self.d_logits, self.n_logits, self.grad_logits, self.grad_new)
        )
        self.scaled_inputs = np.zeros((2 * batch, points + 1), dtype)
        self.grad_fake = np.zeros((batch, points), dtype)
        self.grad_hidden = np.zeros((batch, hidden), dtype)
        self.w2_w1 = np.zeros((hidden, points), dtype)


class _Views:
    """Slices and transposes the step uses, made once: each costs a little Python per step."""

    def __init__(self, buf: _Buffers, g: FlatMLP, d: FlatMLP, batch: int) -> None:
        dtype = buf.paintings_aug.dtype.type
        self.a_column = buf.a[:, None]
        self.real = buf.paintings_aug[:batch, :-1]
        self.fake = buf.paintings_aug[batch:, :-1]
        self.fake_aug = buf.paintings_aug[batch:]
        self.ideas = buf.ideas_aug[:, :-1]
        self.g_hidden, self.d_hidden, self.n_hidden = (
            h[:, :-1] for h in (buf.g_hidden_aug, buf.d_hidden_aug, buf.n_hidden_aug)
        )
        self.g_layer2_t, self.g_w2 = g.layer2.T, g.layer2[:, :-1]  # views: they follow Adam's updates
        self.d_layer2, self.d_w1, self.d_w2_column = d.layer2[0], d.layer1[:, :-1], d.layer2[0, :-1, None]
        self.d_grad2, self.d_grad1_t = d.grad2[0], d.grad1.T
        self.grad_real_logits = buf.grad_logits[:batch]
        self.grad_logits_column, self.grad_new_column = buf.grad_logits[:, None], buf.grad_new[:, None]
        self.scaled_inputs_t, self.grad_fake_t, self.grad_hidden_t = (
            buf.scaled_inputs.T,
            buf.grad_fake.T,
            buf.grad_hidden.T,
        )
        self.inverse_batch, self.minus_inverse_batch = dtype(1.0 / batch), dtype(-1.0 / batch)


def _relu_layer(
    inputs_aug: np.ndarray, layer: np.ndarray, pre: np.ndarray, mask: np.ndarray, out: np.ndarray
) -> None:
    """``out = relu([inputs | 1] @ [w | b]ᵀ)``, keeping the 0/1 mask for the backward pass.

    ``x · (x > 0)`` with a float mask is cheaper here than ``np.maximum``, and the backward
    pass needs the mask anyway.
    """
    np.matmul(inputs_aug, layer.T, out=pre)
    np.greater(pre, 0.0, out=mask, casting="unsafe")
    np.multiply(pre, mask, out=out)


class NumpyEngine:
    """Trains exactly like :class:`Trainer`, several times faster, on the CPU.

    It saves and restores the reference trainer's checkpoint format, so a run can be resumed
    by either engine. It builds no torch optimizer: creating one imports ``torch._dynamo``,
    which takes longer than a whole default training run takes here.
    """

    def __init__(
        self, config: TrainConfig, dtype: torch.dtype = torch.float32, fused_adam: bool = True
    ) -> None:
        self.config = config
        self.device = torch.device("cpu")
        self.dtype = dtype
        self.notice: str | None = None
        self.artist = ParabolaArtist(config.points)
        self.rng = torch.Generator().manual_seed(config.seed)
        generator, discriminator = build_models(config)
        self._generator, self._discriminator = generator.to(dtype), discriminator.to(dtype)
        float_type = np.float64 if dtype == torch.float64 else np.float32
        self.g = FlatMLP(self._generator, config.lr_g, float_type, fused_adam)
        self.d = FlatMLP(self._discriminator, config.lr_d, float_type, fused_adam)
        self.step_count = 0
        self._basis = self.artist.basis(dtype=dtype).numpy()
        self._buffers = _Buffers(config, float_type)
        self._views = _Views(self._buffers, self.g, self.d, config.batch_size)

    @property
    def generator(self) -> nn.Module:
        """G as a torch module with the current weights (a copy, for checks and export)."""
        self.g.module_state(self._generator)
        return self._generator

    @property
    def discriminator(self) -> nn.Module:
        """D as a torch module with the current weights (a copy)."""
        self.d.module_state(self._discriminator)
        return self._discriminator

    def _draw(self) -> None:
        """The reference's draws (same generator, same order), painted with the same float ops."""
        buf, v, artist = self._buffers, self._views, self.artist
        torch.rand(self.config.batch_size, generator=self.rng, out=buf.uniform_t)
        np.multiply(
            buf.uniform, artist.a_high - artist.a_low, out=buf.a
        )  # a = a_low + width·u, as torch does
        buf.a += artist.a_low
        np.multiply(v.a_column, self._basis, out=v.real)
        v.real -= 1.0
        torch.randn(self.config.batch_size, self.config.ideas, generator=self.rng, out=buf.ideas_t)
        v.ideas[...] = buf.ideas

    def step(self) -> None:
        """One round: D learns on the artist's batch and G's detached paintings, then G learns."""
        g, d, buf, v = self.g, self.d, self._buffers, self._views
        self._draw()

        # G paints: ideas → hidden (ReLU) → points, into the second half of the batch.
        _relu_layer(buf.ideas_aug, g.layer1, buf.g_pre, buf.g_mask, v.g_hidden)
        np.matmul(buf.g_hidden_aug, v.g_layer2_t, out=v.fake)

        # (1) Update D on both halves at once; G's half is a constant here (the detach).
        _relu_layer(buf.paintings_aug, d.layer1, buf.d_pre, buf.d_mask, v.d_hidden)
        np.matmul(buf.d_hidden_aug, v.d_layer2, out=buf.d_logits)
        torch.sigmoid(
            buf.d_logits_t, out=buf.grad_logits_t
        )  # ∂(−score)/∂logit: (σ − 1)/B on real, σ/B on fake
        v.grad_real_logits -= 1.0
        buf.grad_logits *= v.inverse_batch
        np.matmul(buf.grad_logits, buf.d_hidden_aug, out=v.d_grad2)
        # ∂/∂[w1 | b1][j] = w2[j] · Σ_i mask[i, j] · g_i · [x_i | 1]: no (2B × hidden) gradient needed.
        np.multiply(v.grad_logits_column, buf.paintings_aug, out=buf.scaled_inputs)
        np.matmul(v.scaled_inputs_t, buf.d_mask, out=v.d_grad1_t)  # (Sᵀ·M)ᵀ: BLAS is 2x faster this way round
        d.grad1 *= v.d_w2_column
        d.adam.step()

        # (2) Update G against the new D: minimise mean log(1 − D(G(z))).
        _relu_layer(v.fake_aug, d.layer1, buf.n_pre, buf.n_mask, v.n_hidden)
        np.matmul(buf.n_hidden_aug, v.d_layer2, out=buf.n_logits)
        torch.sigmoid(buf.n_logits_t, out=buf.grad_new_t)  # torch's sigmoid: one call instead of four
        buf.grad_new *= v.minus_inverse_batch
        # ∂/∂fake_i = g_i · Σ_j mask[i, j] · w2[j] · w1[j, :]
        np.multiply(v.d_w2_column, v.d_w1, out=buf.w2_w1)
        np.matmul(buf.n_mask, buf.w2_w1, out=buf.grad_fake)
        buf.grad_fake *= v.grad_new_column
        np.matmul(v.grad_fake_t, buf.g_hidden_aug, out=g.grad2)
        np.matmul(buf.grad_fake, v.g_w2, out=buf.grad_hidden)
        buf.grad_hidden *= buf.g_mask
        np.matmul(v.grad_hidden_t, buf.ideas_aug, out=g.grad1)
        g.adam.step()

        self.step_count += 1

    def last_stats(self) -> StepStats:
        """What the latest step measured, computed now from its logits (kept until the next step)."""
        if self.step_count == 0:
            raise RuntimeError("no step has been taken yet")
        batch = self.config.batch_size
        real, fake = self._buffers.d_logits[:batch], self._buffers.d_logits[batch:]
        score = float(np.sum(log_sigmoid(real) + log_sigmoid(-fake))) / batch
        g_loss = float(np.sum(log_sigmoid(-self._buffers.n_logits))) / batch
        accuracy = float(np.sum(sigmoid(real))) / batch
        as_tensors = (torch.tensor(v, dtype=torch.float64) for v in (-score, g_loss, accuracy, score))
        return StepStats(*as_tensors)

    def paint(self, ideas: torch.Tensor) -> torch.Tensor:
        """G's paintings for the given ideas, computed in numpy (no copy of the weights)."""
        inputs = ideas.detach().cpu().numpy().astype(self.g.weights.dtype)
        return torch.from_numpy(self.g.forward(inputs))

    def state_dict(self) -> dict[str, Any]:
        """The reference trainer's checkpoint format (either engine can resume it)."""
        return {
            "step": self.step_count,
            "generator": self.g.module_state(self._generator),
            "discriminator": self.d.module_state(self._discriminator),
            "opt_g": self.g.adam_state(),
            "opt_d": self.d.adam_state(),
            "rng": self.rng.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by either engine; raises ``ValueError`` when it does not fit."""
        try:
            self.g.load(self._generator, state["generator"], state["opt_g"])
            self.d.load(self._discriminator, state["discriminator"], state["opt_d"])
            self.rng.set_state(state["rng"])
            self.step_count = int(state["step"])
        except (KeyError, IndexError, RuntimeError, TypeError, ValueError) as error:
            raise ValueError(f"the saved training state does not fit this model: {error}") from error
        # The config is the truth for learning rates (a forced resume may change them).
        self.g.adam.lr, self.d.adam.lr = self.config.lr_g, self.config.lr_d
