"""G and D as plain arrays: their shapes, their seeded initial weights, and their forward pass.

Every engine and every reader of a run uses these arrays; torch modules
(:mod:`gancurve.core.models`) are built from them only where torch is used (the reference
trainer, CUDA, model export). Parameters are named as ``nn.Sequential``'s ``state_dict``
names them, so a torch module loads them as they are.
"""

from __future__ import annotations

import math

import numpy as np

from gancurve.core.config import TrainConfig
from gancurve.core.draws import WEIGHTS_STREAM, stream

#: A network's weights by parameter name, e.g. ``{"net.0.weight": (hidden, ideas), ...}``.
Weights = dict[str, np.ndarray]
NETWORKS = ("generator", "discriminator")
PARAMETERS = ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias")


def network_shapes(config: TrainConfig) -> dict[str, dict[str, tuple[int, ...]]]:
    """Every parameter's shape, by network: G is ideas → hidden → points, D points → hidden → 1
    (a condition adds its columns to both inputs: ``config.g_inputs``, ``config.d_inputs``)."""
    ideas, hidden, points = config.g_inputs, config.hidden, config.points
    return {
        "generator": dict(
            zip(PARAMETERS, [(hidden, ideas), (hidden,), (points, hidden), (points,)], strict=True)
        ),
        "discriminator": dict(
            zip(PARAMETERS, [(hidden, config.d_inputs), (hidden,), (1, hidden), (1,)], strict=True)
        ),
    }


def initial_weights(config: TrainConfig) -> dict[str, Weights]:
    """G's and D's starting weights, drawn from the run's weights stream.

    Each layer's weight and bias are uniform on ±1/√fan_in, the distribution ``nn.Linear``
    starts from, drawn in a fixed order (G's layers, then D's) in float64 and stored as float32.
    """
    rng = stream(config.seed, WEIGHTS_STREAM)
    weights: dict[str, Weights] = {}
    for network, shapes in network_shapes(config).items():
        weights[network] = {}
        for name, shape in shapes.items():
            fan_in = shapes[name.replace("bias", "weight")][1]
            bound = 1.0 / math.sqrt(fan_in)
            weights[network][name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return weights


def forward(weights: Weights, inputs: np.ndarray) -> np.ndarray:
    """The network's output for a batch: ``relu(x W1ᵀ + b1) W2ᵀ + b2``, in the weights' dtype."""
    hidden = inputs.astype(weights["net.0.weight"].dtype, copy=False) @ weights["net.0.weight"].T
    hidden += weights["net.0.bias"]
    np.maximum(hidden, 0.0, out=hidden)
    out: np.ndarray = hidden @ weights["net.2.weight"].T
    out += weights["net.2.bias"]
    return out


def paint(generator: Weights, ideas: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """G's paintings for its inputs ``(n, g_inputs)`` (the ideas, then a conditional run's
    condition), in chunks so a large ``n`` needs little memory."""
    points = generator["net.2.bias"].shape[0]
    out = np.empty((len(ideas), points), dtype=generator["net.2.bias"].dtype)
    for start in range(0, len(ideas), chunk):
        out[start : start + chunk] = forward(generator, ideas[start : start + chunk])
    return out


def logits(discriminator: Weights, paintings: np.ndarray) -> np.ndarray:
    """D's logits ``(n,)`` for its inputs ``(n, d_inputs)``: paintings, then a conditional run's condition."""
    return forward(discriminator, paintings)[:, 0]


def all_finite(weights: dict[str, Weights]) -> bool:
    """Whether every weight of every network is a finite number."""
    return all(bool(np.isfinite(array).all()) for network in weights.values() for array in network.values())
