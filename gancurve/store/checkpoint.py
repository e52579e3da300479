"""Saving and loading the full training state (``checkpoint.pt``).

A checkpoint is data, never code: it is loaded with ``torch.load(weights_only=True)``,
which refuses any pickle that would build arbitrary objects, and every part of it is
validated (types, shapes, dtypes, finiteness) before anything uses it, so a damaged or
hand-edited file is refused with one sentence instead of being cast or trusted silently.
"""

from __future__ import annotations

import io
import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from gancurve import __version__
from gancurve.core.config import TrainConfig
from gancurve.core.models import Discriminator, Generator
from gancurve.errors import GancurveError
from gancurve.store.rundir import CHECKPOINT_FILE, CHECKPOINT_FORMAT_VERSION, RunDir

_REQUIRED_KEYS = ("format_version", "config", "trainer", "fixed_ideas", "device")
#: Weights and Adam's moments are float32 in every checkpoint a run writes.
WEIGHT_DTYPE = torch.float32


class DamagedCheckpointError(ValueError):
    """What is wrong with a checkpoint's content, in words."""


def encode_checkpoint(payload: dict[str, Any]) -> bytes:
    """The bytes of ``checkpoint.pt`` for a trainer state and run facts."""
    full = {"format_version": CHECKPOINT_FORMAT_VERSION, "gancurve_version": __version__, **payload}
    buffer = io.BytesIO()
    torch.save(full, buffer)
    return buffer.getvalue()


def load_checkpoint(run: RunDir) -> dict[str, Any]:
    """Read and validate ``checkpoint.pt`` on the CPU; never runs code from the file."""
    path = run.require(CHECKPOINT_FILE, "the trained networks")
    try:
        with warnings.catch_warnings():  # torch warns about damaged zip files before failing
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise GancurveError(
            f"Refused to load {path}: it is not a plain gancurve checkpoint "
            "(it holds objects that could run code, or is not a checkpoint at all)."
        ) from error
    except Exception as error:  # torch raises many types for a truncated or foreign file
        raise GancurveError(
            f"Cannot read {path}: the file is damaged or truncated ({type(error).__name__})."
        ) from error
    try:
        return validated(payload, path)
    except DamagedCheckpointError as error:
        raise GancurveError(f"{path} is damaged: {error}.") from error


def validated(payload: object, path: Path) -> dict[str, Any]:
    """The payload, once every part of it is what a run writes; else ``DamagedCheckpointError``."""
    if not isinstance(payload, dict) or not all(key in payload for key in _REQUIRED_KEYS):
        raise GancurveError(f"{path} is not a gancurve checkpoint.")
    version = payload["format_version"]
    if version != CHECKPOINT_FORMAT_VERSION:
        raise GancurveError(
            f"{path} has checkpoint format {version}, but this gancurve "
            f"({__version__}) reads format {CHECKPOINT_FORMAT_VERSION}."
        )
    try:
        config = TrainConfig.from_dict(payload["config"])
    except (TypeError, ValueError) as error:
        raise DamagedCheckpointError(f"its configuration is invalid ({error})") from error
    if not isinstance(payload["device"], str):
        raise DamagedCheckpointError("its device is not a name")
    _check_tensor("fixed_ideas", payload["fixed_ideas"], (None, config.ideas))
    _check_trainer(payload["trainer"], config)
    return payload


def _check_trainer(trainer: object, config: TrainConfig) -> None:
    if not isinstance(trainer, dict):
        raise DamagedCheckpointError("its training state is not a mapping")
    step = trainer.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise DamagedCheckpointError(f"its step {step!r} is not a whole number from 0 up")
    for network, shapes in network_shapes(config).items():
        weights = trainer.get(network)
        if not isinstance(weights, dict) or set(weights) != set(shapes):
            raise DamagedCheckpointError(f"its {network} weights are not the {network}'s parameters")
        for name, shape in shapes.items():
            _check_tensor(f"{network} {name}", weights[name], shape)
        _check_adam(
            trainer.get("opt_g" if network == "generator" else "opt_d"), network, list(shapes.values())
        )
    rng = trainer.get("rng")
    if not isinstance(rng, torch.Tensor) or rng.dtype != torch.uint8 or rng.ndim != 1:
        raise DamagedCheckpointError("its random generator state is not a byte array")


def _check_adam(adam: object, network: str, shapes: list[tuple[int, ...]]) -> None:
    if not isinstance(adam, dict) or not isinstance(adam.get("state"), dict):
        raise DamagedCheckpointError(f"the {network}'s Adam state is not a mapping")
    for index, state in adam["state"].items():
        if index not in range(len(shapes)) or not isinstance(state, dict):
            raise DamagedCheckpointError(f"the {network}'s Adam state names parameter {index!r}")
        for moment in ("exp_avg", "exp_avg_sq"):
            # Not checked for finiteness: a moment may overflow while the weights are still fine.
            _check_tensor(f"the {network}'s Adam {moment}", state.get(moment), shapes[index], finite=False)
        step = state.get("step")
        if not isinstance(step, torch.Tensor) or step.numel() != 1 or not float(step) >= 0:
            raise DamagedCheckpointError(f"the {network}'s Adam step count is not a number from 0 up")


def _check_tensor(what: str, value: object, shape: tuple[int | None, ...], finite: bool = True) -> None:
    """A float32 tensor of this shape (None: any length), with finite values if ``finite``."""
    if not isinstance(value, torch.Tensor):
        raise DamagedCheckpointError(f"its {what} is not an array")
    if value.dtype != WEIGHT_DTYPE:
        raise DamagedCheckpointError(f"its {what} holds {value.dtype} values, where a run writes float32")
    if value.ndim != len(shape) or any(
        want not in (None, got) for want, got in zip(shape, value.shape, strict=False)
    ):
        raise DamagedCheckpointError(f"its {what} has shape {tuple(value.shape)}, expected {shape}")
    if finite and not bool(torch.isfinite(value).all()):
        raise DamagedCheckpointError(
            f"its {what} holds values that are not finite (did the run diverge before this was saved?)"
        )


def network_shapes(config: TrainConfig) -> dict[str, dict[str, tuple[int, ...]]]:
    """Every parameter's shape, by network, as ``state_dict()`` names them."""
    ideas, hidden, points = config.ideas, config.hidden, config.points
    return {
        "generator": {
            "net.0.weight": (hidden, ideas), "net.0.bias": (hidden,),
            "net.2.weight": (points, hidden), "net.2.bias": (points,),
        },
        "discriminator": {
            "net.0.weight": (hidden, points), "net.0.bias": (hidden,),
            "net.2.weight": (1, hidden), "net.2.bias": (1,),
        },
    }  # fmt: skip


def checkpoint_config(payload: dict[str, Any]) -> TrainConfig:
    """The hyperparameters stored in a validated checkpoint."""
    return TrainConfig.from_dict(payload["config"])


def load_networks(run: RunDir) -> tuple[Generator, Discriminator, TrainConfig, int]:
    """The run's trained G and D (on the CPU, eval mode), its config and its step."""
    payload = load_checkpoint(run)
    config = checkpoint_config(payload)
    generator = Generator(config.ideas, config.hidden, config.points)
    discriminator = Discriminator(config.points, config.hidden)
    generator.load_state_dict(payload["trainer"]["generator"])  # shapes and dtypes validated
    discriminator.load_state_dict(payload["trainer"]["discriminator"])
    return generator.eval(), discriminator.eval(), config, payload["trainer"]["step"]


def load_generator(run: RunDir) -> tuple[Generator, TrainConfig, int]:
    """The run's trained generator (on the CPU, eval mode), its config and its step."""
    generator, _, config, step = load_networks(run)
    return generator, config, step
