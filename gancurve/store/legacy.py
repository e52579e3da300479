"""Reading a run written by gancurve 0.1.0: ``checkpoint.pt``, a torch pickle of plain data.

It is loaded with ``torch.load(weights_only=True)``, which refuses any pickle that would build
arbitrary objects, validated part by part like a current checkpoint, and turned into a
:class:`~gancurve.store.checkpoint.Checkpoint`. The run's next save writes
``checkpoint.safetensors`` and removes the old file.

0.1.0 drew its training stream from torch's generator. On the CPU the run continues on a numpy
stream derived from its seed and step (:meth:`~gancurve.core.draws.TrainingStreams.continuing`):
its random stream changes once, at that step, and the user is told so. On a GPU the stream was
and stays torch's, so nothing changes there.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from gancurve.core.config import TrainConfig
from gancurve.core.draws import TrainingStreams
from gancurve.core.engines.protocol import RNG_NUMPY, RNG_TORCH, AdamState, TrainState
from gancurve.core.networks import PARAMETERS, Weights, network_shapes
from gancurve.errors import GancurveError
from gancurve.store.saved import Checkpoint, DamagedCheckpointError, check_array

LEGACY_FORMAT_VERSION = 1
_REQUIRED_KEYS = ("format_version", "config", "trainer", "fixed_ideas", "device")


def load_legacy_checkpoint(path: Path) -> Checkpoint:
    """Read, validate and convert a 0.1.0 ``checkpoint.pt``; never runs code from the file."""
    import torch

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
        return _convert(payload, path)
    except DamagedCheckpointError as error:
        raise GancurveError(f"{path} is damaged: {error}.") from error


def _convert(payload: object, path: Path) -> Checkpoint:
    if not isinstance(payload, dict) or not all(key in payload for key in _REQUIRED_KEYS):
        raise GancurveError(f"{path} is not a gancurve checkpoint.")
    version = payload["format_version"]
    if version != LEGACY_FORMAT_VERSION:
        raise GancurveError(
            f"{path} has checkpoint format {version}, but this gancurve reads checkpoint.pt only in format "
            f"{LEGACY_FORMAT_VERSION}."
        )
    try:
        config = TrainConfig.from_dict(payload["config"])
    except (TypeError, ValueError) as error:
        raise DamagedCheckpointError(f"its configuration is invalid ({error})") from error
    device = payload["device"]
    if not isinstance(device, str):
        raise DamagedCheckpointError("its device is not a name")
    trainer = payload["trainer"]
    if not isinstance(trainer, dict):
        raise DamagedCheckpointError("its training state is not a mapping")
    step = trainer.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise DamagedCheckpointError(f"its step {step!r} is not a whole number from 0 up")
    fixed = _array(payload["fixed_ideas"], "fixed_ideas")
    check_array("fixed_ideas", fixed, (None, config.ideas))
    weights, adam = {}, {}
    for network, shapes in network_shapes(config).items():
        weights[network] = _weights(trainer.get(network), network, shapes)
        adam[network] = _adam(trainer.get("opt_g" if network == "generator" else "opt_d"), network, shapes)
    state = TrainState(step, weights, adam, *_rng(trainer.get("rng"), config, device, step))
    return Checkpoint(
        config, device, fixed, state, str(payload.get("gancurve_version", "0.1.0")), legacy=True
    )


def _array(value: object, what: str) -> np.ndarray:
    import torch

    if not isinstance(value, torch.Tensor):
        raise DamagedCheckpointError(f"its {what} is not an array")
    array: np.ndarray = value.detach().cpu().numpy()
    return array


def _weights(value: object, network: str, shapes: dict[str, tuple[int, ...]]) -> Weights:
    if not isinstance(value, dict) or set(value) != set(shapes):
        raise DamagedCheckpointError(f"its {network} weights are not the {network}'s parameters")
    weights = {name: _array(value[name], f"{network} {name}") for name in shapes}
    for name, shape in shapes.items():
        check_array(f"{network} {name}", weights[name], shape)
    return weights


def _adam(value: object, network: str, shapes: dict[str, tuple[int, ...]]) -> AdamState:
    if not isinstance(value, dict) or not isinstance(value.get("state"), dict):
        raise DamagedCheckpointError(f"the {network}'s Adam state is not a mapping")
    states: dict[Any, Any] = value["state"]
    if not states:
        return AdamState(
            0, *({name: np.zeros(shape, np.float32) for name, shape in shapes.items()} for _ in "ab")
        )
    if set(states) != set(range(len(PARAMETERS))):
        raise DamagedCheckpointError(f"the {network}'s Adam state does not name its parameters")
    moments: dict[str, Weights] = {"exp_avg": {}, "exp_avg_sq": {}}
    for index, name in enumerate(PARAMETERS):
        state = states[index]
        if not isinstance(state, dict):
            raise DamagedCheckpointError(f"the {network}'s Adam state is not a mapping")
        for moment, arrays in moments.items():
            arrays[name] = _array(state.get(moment), f"{network}'s Adam {moment}")
            check_array(f"the {network}'s Adam {moment}", arrays[name], shapes[name], finite=False)
    step = _array(states[0].get("step"), f"{network}'s Adam step")
    if step.size != 1 or not float(step.reshape(())) >= 0:
        raise DamagedCheckpointError(f"the {network}'s Adam step count is not a number from 0 up")
    return AdamState(int(float(step.reshape(()))), moments["exp_avg"], moments["exp_avg_sq"])


def _rng(value: object, config: TrainConfig, device: str, step: int) -> tuple[np.ndarray, str]:
    """The stream to continue with: numpy's from here on the CPU (a change, said), torch's on a GPU."""
    rng = _array(value, "random generator state")
    if rng.dtype != np.uint8 or rng.ndim != 1:
        raise DamagedCheckpointError("its random generator state is not a byte array")
    if device.split(":")[0] != "cpu":
        return rng, RNG_TORCH
    return TrainingStreams.continuing(config, step).state(), RNG_NUMPY


def legacy_note(checkpoint: Checkpoint) -> str | None:
    """The one line a resumed 0.1.0 run prints, or None for a current checkpoint."""
    if not checkpoint.legacy:
        return None
    changed = checkpoint.state.rng_kind == RNG_NUMPY
    stream_note = (
        f"its random stream changes once, at step {checkpoint.step}, to numpy's"
        if changed
        else "its random stream is unchanged"
    )
    return (
        f"This run was written by gancurve {checkpoint.written_by} (checkpoint.pt): {stream_note}; "
        "it is saved as checkpoint.safetensors from now on."
    )
