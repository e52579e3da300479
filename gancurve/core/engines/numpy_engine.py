"""The fast CPU engine: the same step as :class:`~gancurve.core.engines.reference.Trainer`, by hand.

The networks are tiny (about 2.5 MFLOP a step), so autograd's bookkeeping, not arithmetic,
dominates the readable trainer. Here the forward pass, the backward pass and Adam are written
out in numpy on buffers allocated once, and the number of numpy calls is kept small:

- each layer keeps its bias as the last column of its weight matrix, and each layer's input
  carries a trailing column of ones, so one matmul does weight and bias, forward and backward;
- all weights of a network live in one flat buffer (gradients and Adam's moments too), so an
  Adam update is a dozen calls for the whole network;
- the backward pass through D's hidden layer never forms the (batch × hidden) gradient;
- ``np.dot`` where the output is contiguous: it costs less per call than the ``matmul`` ufunc.

It imports numpy only (no torch), so training on the CPU starts at once. The math is the
reference trainer's: the same random draws from the same numpy stream in the same order, D
updated first on the artist's batch and the detached fakes, then G against the updated D, the
same Adam. The tests hold it to the reference to 1e-10 in float64.

Derivatives used below, for logits ``l`` of a batch of size ``B``:
``d/dl [−log σ(l)] = σ(l) − 1`` and ``d/dl [−log(1 − σ(l))] = σ(l)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig
from gancurve.core.draws import TrainingStreams, skip_steps
from gancurve.core.engines.adam import FlatAdam
from gancurve.core.engines.protocol import RNG_NUMPY, STAT_NAMES, AdamState, TrainState
from gancurve.core.networks import NETWORKS, PARAMETERS, Weights, forward, initial_weights
from gancurve.core.numeric import log_sigmoid, sigmoid


class FlatMLP:
    """A two-layer MLP (Linear, ReLU, Linear) in augmented form, all in one flat buffer.

    ``layer1`` is ``(hidden, inputs + 1)`` = ``[w1 | b1]`` and ``layer2`` is
    ``(outputs, hidden + 1)`` = ``[w2 | b2]``. The gradients and Adam's two moments are flat
    buffers with the same layout; Adam is elementwise, so the layout does not change it.
    """

    def __init__(self, weights: Weights, lr: float, dtype: type[np.floating[Any]]) -> None:
        (hidden, inputs), outputs = weights["net.0.weight"].shape, weights["net.2.weight"].shape[0]
        self.shapes = ((hidden, inputs + 1), (outputs, hidden + 1))
        size = sum(rows * cols for rows, cols in self.shapes)
        self.weights, self.grads = np.zeros(size, dtype), np.zeros(size, dtype)
        self.layer1, self.layer2 = self._layers(self.weights)
        self.grad1, self.grad2 = self._layers(self.grads)
        self.adam = FlatAdam(self.weights, self.grads, lr)
        self.load_weights(self.weights, weights)

    def _layers(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (r1, c1), (r2, c2) = self.shapes
        return flat[: r1 * c1].reshape(r1, c1), flat[r1 * c1 :].reshape(r2, c2)

    def _named(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Views of a flat buffer by parameter name (``net.0.weight``...)."""
        layer1, layer2 = self._layers(flat)
        return dict(
            zip(PARAMETERS, [layer1[:, :-1], layer1[:, -1], layer2[:, :-1], layer2[:, -1]], strict=True)
        )

    def load_weights(self, flat: np.ndarray, named: Weights) -> None:
        """Copy named arrays into a flat buffer; ``ValueError`` when a shape differs."""
        for name, view in self._named(flat).items():
            if named[name].shape != view.shape:
                raise ValueError(f"{name} has shape {named[name].shape}, expected {view.shape}")
            view[...] = named[name]

    def named(self, flat: np.ndarray) -> Weights:
        """A flat buffer as named arrays (copies: later updates do not change them)."""
        return {name: view.copy() for name, view in self._named(flat).items()}

    def grad_arrays(self) -> list[np.ndarray]:
        """The latest gradients in parameter order (for checks against autograd)."""
        return [view.copy() for view in self._named(self.grads).values()]

    def adam_state(self) -> AdamState:
        """Adam's state for the checkpoint."""
        return AdamState(self.adam.steps, self.named(self.adam.exp_avg), self.named(self.adam.exp_avg_sq))

    def load(self, weights: Weights, adam: AdamState) -> None:
        """Take weights and Adam's state from a checkpoint."""
        self.load_weights(self.weights, weights)
        self.load_weights(self.adam.exp_avg, adam.exp_avg)
        self.load_weights(self.adam.exp_avg_sq, adam.exp_avg_sq)
        self.adam.steps = adam.steps

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        """The network's output for a batch (for snapshots; the training step has its own)."""
        return forward(self._named(self.weights), inputs)


class _BlockDraws:
    """The training streams' draws for many steps at once, handed out one step at a time.

    Drawing 64 steps in one numpy call instead of one saves most of the per-call overhead. The
    numbers are exactly the reference's: each stream fills its arrays sequentially, so a block is
    the concatenation of the steps' draws, and :meth:`state` gives the streams' position after the
    last step handed out, not after the block.
    """

    STEPS = 64

    def __init__(self, config: TrainConfig, artist: ParabolaArtist, dtype: type[np.floating[Any]]) -> None:
        self.config, self.artist, self.dtype = config, artist, dtype
        self.streams = TrainingStreams.for_run(config)
        self._block_start = self.streams.state()
        self._real = np.zeros((self.STEPS, config.batch_size, config.points), dtype)
        self._ideas = np.zeros((self.STEPS, config.batch_size, config.ideas), dtype)
        self._used = self.STEPS  # nothing drawn yet

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """One step's artist paintings ``(batch, points)`` and ideas ``(batch, ideas)``."""
        if self._used == self.STEPS:
            self._fill()
        index, self._used = self._used, self._used + 1
        return self._real[index], self._ideas[index]

    def _fill(self) -> None:
        self._block_start = self.streams.state()
        count = self.STEPS * self.config.batch_size
        a = self.artist.sample_a(count, self.streams.artist, self.dtype)
        self._real.reshape(count, -1)[...] = self.artist.paint(a)
        self.streams.ideas.standard_normal(dtype=self.dtype, out=self._ideas.reshape(count, -1))
        self._used = 0

    def state(self) -> np.ndarray:
        """The streams' position after the last step handed out."""
        if self._used == self.STEPS:
            return self.streams.state()
        replay = TrainingStreams.for_run(self.config)
        replay.set_state(self._block_start)
        skip_steps(replay, self._used, self.config, self.dtype)
        return replay.state()

    def set_state(self, words: np.ndarray) -> None:
        """Continue from a saved position (the next step draws a fresh block)."""
        self.streams.set_state(words)
        self._used = self.STEPS


class _Buffers:
    """Every array a step writes, allocated once. ``*_aug`` arrays end in a column of ones."""

    def __init__(self, config: TrainConfig, dtype: type[np.floating[Any]]) -> None:
        batch, hidden, points = config.batch_size, config.hidden, config.points

        def augmented(rows: int, cols: int) -> np.ndarray:
            array = np.zeros((rows, cols + 1), dtype)
            array[:, -1] = 1.0
            return array

        self.ideas_aug = augmented(batch, config.ideas)
        self.paintings_aug = augmented(2 * batch, points)  # rows: the artist's batch, then G's
        self.g_pre, self.g_mask = np.zeros((batch, hidden), dtype), np.zeros((batch, hidden), dtype)
        self.g_hidden_aug = augmented(batch, hidden)
        self.d_pre, self.d_mask = np.zeros((2 * batch, hidden), dtype), np.zeros((2 * batch, hidden), dtype)
        self.d_hidden_aug = augmented(2 * batch, hidden)
        self.n_pre, self.n_mask = np.zeros((batch, hidden), dtype), np.zeros((batch, hidden), dtype)
        self.n_hidden_aug = augmented(batch, hidden)
        self.d_logits, self.n_logits = np.zeros(2 * batch, dtype), np.zeros(batch, dtype)
        self.grad_logits, self.grad_new = np.zeros(2 * batch, dtype), np.zeros(batch, dtype)
        self.scaled_inputs = np.zeros((2 * batch, points + 1), dtype)
        self.grad_fake = np.zeros((batch, points), dtype)
        self.grad_hidden = np.zeros((batch, hidden), dtype)
        self.w2_w1 = np.zeros((hidden, points), dtype)


class _Views:
    """Slices and transposes the step uses, made once: each costs a little Python per step."""

    def __init__(self, buf: _Buffers, g: FlatMLP, d: FlatMLP, batch: int) -> None:
        dtype = buf.paintings_aug.dtype.type
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
        self.inverse_batch, self.half_inverse_batch = dtype(1.0 / batch), dtype(0.5 / batch)
        self.minus_half_inverse_batch = dtype(-0.5 / batch)


def _relu_layer(
    inputs_aug: np.ndarray, layer: np.ndarray, pre: np.ndarray, mask: np.ndarray, out: np.ndarray
) -> None:
    """``out = relu([inputs | 1] @ [w | b]ᵀ)``, keeping the 0/1 mask for the backward pass.

    ``x · (x > 0)`` with a float mask is cheaper here than ``np.maximum``, and the backward
    pass needs the mask anyway.
    """
    np.dot(inputs_aug, layer.T, out=pre)
    np.greater(pre, 0.0, out=mask, casting="unsafe")
    np.multiply(pre, mask, out=out)


class NumpyEngine:
    """Trains exactly like :class:`Trainer`, several times faster, on the CPU, with numpy alone."""

    def __init__(self, config: TrainConfig, dtype: type[np.floating[Any]] = np.float32) -> None:
        self.config = config
        self.device = "cpu"
        self.dtype = dtype  # float64 lets tests compare engines to 1e-10
        self.notice: str | None = None
        self.artist = ParabolaArtist(config.points)
        self.draws = _BlockDraws(config, self.artist, dtype)
        weights = initial_weights(config)
        self.g = FlatMLP(weights["generator"], config.lr_g, dtype)
        self.d = FlatMLP(weights["discriminator"], config.lr_d, dtype)
        self.step_count = 0
        self._buffers = _Buffers(config, dtype)
        self._views = _Views(self._buffers, self.g, self.d, config.batch_size)

    def _draw(self) -> None:
        """This step's paintings and ideas: the reference's draws, from a block drawn in advance."""
        real, ideas = self.draws.next()
        self._views.real[...] = real
        self._views.ideas[...] = ideas

    def step(self) -> None:
        """One round: D learns on the artist's batch and G's detached paintings, then G learns."""
        g, d, buf, v = self.g, self.d, self._buffers, self._views
        self._draw()

        # G paints: ideas → hidden (ReLU) → points, into the second half of the batch.
        _relu_layer(buf.ideas_aug, g.layer1, buf.g_pre, buf.g_mask, v.g_hidden)
        np.matmul(buf.g_hidden_aug, v.g_layer2_t, out=v.fake)

        # (1) Update D on both halves at once; G's half is a constant here (the detach).
        _relu_layer(buf.paintings_aug, d.layer1, buf.d_pre, buf.d_mask, v.d_hidden)
        np.dot(buf.d_hidden_aug, v.d_layer2, out=buf.d_logits)
        # ∂(−score)/∂logit: (σ − 1)/B on real, σ/B on fake, with σ(l) = (1 + tanh(l/2))/2.
        np.multiply(buf.d_logits, 0.5, out=buf.grad_logits)
        np.tanh(buf.grad_logits, out=buf.grad_logits)
        buf.grad_logits += 1.0
        buf.grad_logits *= v.half_inverse_batch
        v.grad_real_logits -= v.inverse_batch
        np.dot(buf.grad_logits, buf.d_hidden_aug, out=v.d_grad2)
        # ∂/∂[w1 | b1][j] = w2[j] · Σ_i mask[i, j] · g_i · [x_i | 1]: no (2B × hidden) gradient needed.
        np.multiply(v.grad_logits_column, buf.paintings_aug, out=buf.scaled_inputs)
        np.matmul(v.scaled_inputs_t, buf.d_mask, out=v.d_grad1_t)  # (Sᵀ·M)ᵀ: BLAS is 2x faster this way round
        d.grad1 *= v.d_w2_column
        d.adam.step()

        # (2) Update G against the new D: minimise mean log(1 − D(G(z))).
        _relu_layer(v.fake_aug, d.layer1, buf.n_pre, buf.n_mask, v.n_hidden)
        np.dot(buf.n_hidden_aug, v.d_layer2, out=buf.n_logits)
        np.multiply(buf.n_logits, 0.5, out=buf.grad_new)  # ∂ mean log(1 − σ(l)) / ∂l = −σ(l)/B
        np.tanh(buf.grad_new, out=buf.grad_new)
        buf.grad_new += 1.0
        buf.grad_new *= v.minus_half_inverse_batch
        # ∂/∂fake_i = g_i · Σ_j mask[i, j] · w2[j] · w1[j, :]
        np.multiply(v.d_w2_column, v.d_w1, out=buf.w2_w1)
        np.dot(buf.n_mask, buf.w2_w1, out=buf.grad_fake)
        buf.grad_fake *= v.grad_new_column
        np.dot(v.grad_fake_t, buf.g_hidden_aug, out=g.grad2)
        np.dot(buf.grad_fake, v.g_w2, out=buf.grad_hidden)
        buf.grad_hidden *= buf.g_mask
        np.dot(v.grad_hidden_t, buf.ideas_aug, out=g.grad1)
        g.adam.step()

        self.step_count += 1

    def last_stats(self) -> dict[str, float]:
        """What the latest step measured, computed now from its logits (kept until the next step)."""
        if self.step_count == 0:
            raise RuntimeError("no step has been taken yet")
        batch = self.config.batch_size
        real, fake = self._buffers.d_logits[:batch], self._buffers.d_logits[batch:]
        score = float(np.sum(log_sigmoid(real) + log_sigmoid(-fake))) / batch
        g_loss = float(np.sum(log_sigmoid(-self._buffers.n_logits))) / batch
        accuracy = float(np.sum(sigmoid(real))) / batch
        return dict(zip(STAT_NAMES, (-score, g_loss, accuracy, score), strict=True))

    def paint(self, ideas: np.ndarray) -> np.ndarray:
        """G's paintings for the given ideas (float32)."""
        return self.g.forward(ideas).astype(np.float32, copy=False)

    def state(self) -> TrainState:
        """The training state (copies)."""
        nets = {"generator": self.g, "discriminator": self.d}
        return TrainState(
            step=self.step_count,
            weights={name: net.named(net.weights) for name, net in nets.items()},
            adam={name: net.adam_state() for name, net in nets.items()},
            rng=self.draws.state(),
        )

    def load_state(self, state: TrainState) -> None:
        """Continue from a state saved by any CPU engine; ``ValueError`` when it does not fit."""
        if state.rng_kind != RNG_NUMPY:
            raise ValueError(f"its random stream is {state.rng_kind!r}, not numpy's")
        try:
            for name, net in zip(NETWORKS, (self.g, self.d), strict=True):
                net.load(state.weights[name], state.adam[name])
            self.draws.set_state(state.rng)
        except (KeyError, ValueError) as error:
            raise ValueError(f"the saved training state does not fit this model: {error}") from error
        self.step_count = state.step
        # The config is the truth for learning rates (a forced resume may change them).
        self.g.adam.lr, self.d.adam.lr = self.config.lr_g, self.config.lr_d
