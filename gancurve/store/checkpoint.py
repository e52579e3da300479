"""Saving and loading the full training state (``checkpoint.pt``).

A checkpoint is data, never code: it is loaded with ``torch.load(weights_only=True)``,
which refuses any pickle that would build arbitrary objects, and it is validated before
anything uses it.
"""

from __future__ import annotations

import pickle
from typing import Any

import torch

from gancurve import __version__
from gancurve.core.config import TrainConfig
from gancurve.core.models import Discriminator, Generator
from gancurve.errors import GancurveError
from gancurve.store.atomic import atomic_write
from gancurve.store.rundir import CHECKPOINT_FILE, CHECKPOINT_FORMAT_VERSION, RunDir

_REQUIRED_KEYS = ("format_version", "config", "trainer", "fixed_ideas", "device")


def save_checkpoint(run: RunDir, payload: dict[str, Any]) -> None:
    """Write ``checkpoint.pt`` atomically from a trainer state and run facts."""
    full = {"format_version": CHECKPOINT_FORMAT_VERSION, "gancurve_version": __version__, **payload}
    atomic_write(run.checkpoint_path, lambda stream: torch.save(full, stream))


def load_checkpoint(run: RunDir) -> dict[str, Any]:
    """Read and validate ``checkpoint.pt`` on the CPU; never runs code from the file."""
    path = run.require(CHECKPOINT_FILE, "the trained networks")
    try:
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
    return _validated(payload, path)


def _validated(payload: object, path: object) -> dict[str, Any]:
    if not isinstance(payload, dict) or not all(key in payload for key in _REQUIRED_KEYS):
        raise GancurveError(f"{path} is not a gancurve checkpoint.")
    version = payload["format_version"]
    if version != CHECKPOINT_FORMAT_VERSION:
        raise GancurveError(
            f"{path} has checkpoint format {version}, but this gancurve "
            f"({__version__}) reads format {CHECKPOINT_FORMAT_VERSION}."
        )
    try:
        TrainConfig.from_dict(payload["config"])
    except (TypeError, ValueError) as error:
        raise GancurveError(f"{path} holds an invalid configuration: {error}.") from error
    return payload


def checkpoint_config(payload: dict[str, Any]) -> TrainConfig:
    """The hyperparameters stored in a validated checkpoint."""
    return TrainConfig.from_dict(payload["config"])


def load_networks(run: RunDir) -> tuple[Generator, Discriminator, TrainConfig, int]:
    """The run's trained G and D (on the CPU, eval mode), its config and its step."""
    payload = load_checkpoint(run)
    config = checkpoint_config(payload)
    generator = Generator(config.ideas, config.hidden, config.points)
    discriminator = Discriminator(config.points, config.hidden)
    try:
        generator.load_state_dict(payload["trainer"]["generator"])
        discriminator.load_state_dict(payload["trainer"]["discriminator"])
    except (KeyError, RuntimeError, TypeError) as error:
        raise GancurveError(
            f"{run.checkpoint_path} does not match its own configuration (shapes differ)."
        ) from error
    return generator.eval(), discriminator.eval(), config, int(payload["trainer"].get("step", 0))


def load_generator(run: RunDir) -> tuple[Generator, TrainConfig, int]:
    """The run's trained generator (on the CPU, eval mode), its config and its step."""
    generator, _, config, step = load_networks(run)
    return generator, config, step
