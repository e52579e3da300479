"""Saving and loading the full training state: ``checkpoint.safetensors``.

A checkpoint is data that cannot carry code: a safetensors file (named arrays behind a JSON
header, read by the ``safetensors`` package without torch) whose header metadata holds the
config, the step, the device and the versions. Every part is validated (types, shapes, dtypes,
finiteness) before anything uses it, so a damaged or hand-edited file is refused with one
sentence instead of being cast or trusted silently. Runs written by gancurve 0.1.0
(``checkpoint.pt``) are read by :mod:`gancurve.store.legacy`, which imports torch only then.

Layout (format 2)::

    generator/net.0.weight ... discriminator/net.2.bias      float32, the weights
    adam/generator/exp_avg/net.0.weight ...                  float32, Adam's first moments
    adam/generator/exp_avg_sq/net.0.weight ...               float32, Adam's second moments
    ema/generator/net.0.weight ...                           float32, G's moving average (a run
                                                             with --ema only)
    rng                                                      the training streams' state (uint64)
    fixed_ideas                                              float32 (n, ideas), the snapshot ideas
    metadata: format_version, gancurve_version, config (JSON), step, adam_steps (JSON),
              rng_kind, device
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gancurve.core.config import TrainConfig
from gancurve.core.draws import STREAMS_STATE_SIZES
from gancurve.core.engines.protocol import RNG_NUMPY, RNG_TORCH, AdamState, TrainState
from gancurve.core.networks import NETWORKS, Weights, network_shapes
from gancurve.errors import GancurveError
from gancurve.store.jsonfile import parse_json
from gancurve.store.legacy import load_legacy_checkpoint
from gancurve.store.rundir import CHECKPOINT_FORMAT_VERSION, LEGACY_CHECKPOINT_FILE, RunDir
from gancurve.store.saved import Checkpoint, DamagedCheckpointError, check_array
from gancurve.version import __version__

#: Where G's moving average lives in the file (a run with ``--ema`` only).
EMA_PREFIX = "ema/generator"
_METADATA_KEYS = ("format_version", "config", "step", "adam_steps", "rng_kind", "device")


def encode_checkpoint(config: TrainConfig, device: str, fixed_ideas: np.ndarray, state: TrainState) -> bytes:
    """The bytes of ``checkpoint.safetensors``."""
    from safetensors.numpy import save

    tensors: dict[str, np.ndarray] = {"rng": state.rng, "fixed_ideas": _float32(fixed_ideas)}
    for network in NETWORKS:
        adam = state.adam[network]
        for prefix, arrays in _named_parts(network, state.weights[network], adam):
            tensors.update({f"{prefix}/{name}": _float32(array) for name, array in arrays.items()})
    if state.ema is not None:
        tensors.update({f"{EMA_PREFIX}/{name}": _float32(array) for name, array in state.ema.items()})
    metadata = {
        "format_version": str(CHECKPOINT_FORMAT_VERSION),
        "gancurve_version": __version__,
        "config": json.dumps(config.to_dict(), sort_keys=True),
        "step": str(state.step),
        "adam_steps": json.dumps({network: state.adam[network].steps for network in NETWORKS}),
        "rng_kind": state.rng_kind,
        "device": device,
    }
    return canonical(save(tensors, metadata=metadata))


def canonical(encoded: bytes) -> bytes:
    """A safetensors file with its JSON header's keys sorted: safetensors writes the metadata in the
    order of a Rust hash map, seeded anew in every process, so the same state made the same file
    only by chance. Sorted, one state is one file (a sweep's member is the same bytes trained here
    or on a Dask worker). The arrays and their offsets are untouched; the header is padded with
    spaces to a multiple of 8 bytes, as safetensors pads it."""
    size = int.from_bytes(encoded[:8], "little")
    header = json.loads(encoded[8 : 8 + size])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + encoded[8 + size :]


def _named_parts(network: str, weights: Weights, adam: AdamState) -> list[tuple[str, Weights]]:
    return [
        (network, weights),
        (f"adam/{network}/exp_avg", adam.exp_avg),
        (f"adam/{network}/exp_avg_sq", adam.exp_avg_sq),
    ]


def _float32(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)


def load_checkpoint(run: RunDir) -> Checkpoint:
    """Read and validate the run's checkpoint; never runs code from the file."""
    path = run.existing_checkpoint()
    if path is None:
        raise GancurveError(
            f"Run {run.name!r} has no checkpoint (the trained networks); is the run complete?"
        )
    if path.name == LEGACY_CHECKPOINT_FILE:
        return load_legacy_checkpoint(path)
    metadata, tensors = _read(path)
    try:
        return decode(metadata, tensors)
    except DamagedCheckpointError as error:
        raise GancurveError(f"{path} is damaged: {error}.") from error


def _read(path: Path) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as file:
            metadata = file.metadata() or {}
            tensors = {key: file.get_tensor(key) for key in file.keys()}  # noqa: SIM118 - not a dict
    except Exception as error:  # safetensors raises its own error for a bad header, lengths, dtypes
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise GancurveError(f"Cannot read {path}: the file is damaged or truncated ({reason}).") from error
    return metadata, tensors


def decode(metadata: dict[str, str], tensors: dict[str, np.ndarray]) -> Checkpoint:
    """A checkpoint from a file's metadata and arrays, once every part is what a run writes."""
    missing = [key for key in _METADATA_KEYS if key not in metadata]
    if missing:
        raise DamagedCheckpointError(f"its metadata lacks {', '.join(missing)}")
    version = metadata["format_version"]
    if version != str(CHECKPOINT_FORMAT_VERSION):
        raise GancurveError(
            f"The checkpoint has format {version}, but this gancurve ({__version__}) reads formats 1 "
            f"(checkpoint.pt) and {CHECKPOINT_FORMAT_VERSION}."
        )
    config = _config(metadata["config"])
    step = _whole(metadata["step"], "step")
    adam_steps = _adam_steps(metadata["adam_steps"])
    rng_kind = metadata["rng_kind"]
    expected = expected_arrays(config)
    unexpected = sorted(set(tensors) - set(expected) - {"rng", "fixed_ideas"})
    if unexpected:
        raise DamagedCheckpointError(f"it holds arrays a run does not write ({', '.join(unexpected[:3])})")
    for key, shape in expected.items():
        check_array(key, tensors.get(key), shape, finite=not key.startswith("adam/"))
    check_array("fixed_ideas", tensors.get("fixed_ideas"), (None, config.g_inputs))
    rng = tensors.get("rng")
    check_rng(rng, rng_kind)
    assert rng is not None
    state = TrainState(
        step=step,
        weights={net: _part(tensors, net) for net in NETWORKS},
        adam={
            net: AdamState(
                adam_steps[net],
                _part(tensors, f"adam/{net}/exp_avg"),
                _part(tensors, f"adam/{net}/exp_avg_sq"),
            )
            for net in NETWORKS
        },
        rng=rng,
        rng_kind=rng_kind,
        ema=_part(tensors, EMA_PREFIX) if config.ema > 0 else None,
    )
    return Checkpoint(
        config, metadata["device"], tensors["fixed_ideas"], state, metadata.get("gancurve_version", "?")
    )


def expected_arrays(config: TrainConfig) -> dict[str, tuple[int, ...]]:
    """Every weight and moment array of a checkpoint, by key, with its shape."""
    arrays = {}
    for network, shapes in network_shapes(config).items():
        for prefix in (network, f"adam/{network}/exp_avg", f"adam/{network}/exp_avg_sq"):
            arrays.update({f"{prefix}/{name}": shape for name, shape in shapes.items()})
    if config.ema > 0:
        arrays.update(
            {f"{EMA_PREFIX}/{name}": shape for name, shape in network_shapes(config)["generator"].items()}
        )
    return arrays


def _part(tensors: dict[str, np.ndarray], prefix: str) -> Weights:
    return {
        key[len(prefix) + 1 :]: array for key, array in tensors.items() if key.rsplit("/", 1)[0] == prefix
    }


def _config(text: str) -> TrainConfig:
    try:
        return TrainConfig.from_dict(parse_json(text))
    except (TypeError, ValueError) as error:
        raise DamagedCheckpointError(f"its configuration is invalid ({error})") from error


def _whole(text: str, what: str) -> int:
    if not (isinstance(text, str) and text.isdigit()):
        raise DamagedCheckpointError(f"its {what} {text!r} is not a whole number from 0 up")
    return int(text)


def _adam_steps(text: str) -> dict[str, int]:
    try:
        steps = parse_json(text)
    except ValueError as error:
        raise DamagedCheckpointError("its Adam step counts are not JSON") from error
    if not isinstance(steps, dict) or not all(
        isinstance(steps.get(net), int) and not isinstance(steps.get(net), bool) and steps[net] >= 0
        for net in NETWORKS
    ):
        raise DamagedCheckpointError("its Adam step counts are not whole numbers from 0 up")
    return {net: int(steps[net]) for net in NETWORKS}


def check_rng(rng: object, kind: str) -> None:
    """The training streams' state: twelve uint64 words (numpy; eighteen with WGAN-GP's mixing
    stream, twenty-four with instance noise's) or torch's generator bytes."""
    if kind == RNG_NUMPY:
        sizes = [(size,) for size in STREAMS_STATE_SIZES]
        if not isinstance(rng, np.ndarray) or rng.dtype != np.uint64 or rng.shape not in sizes:
            raise DamagedCheckpointError(
                "its random stream state is not twelve, eighteen or twenty-four 64-bit words"
            )
    elif kind == RNG_TORCH:
        if not isinstance(rng, np.ndarray) or rng.dtype != np.uint8 or rng.ndim != 1:
            raise DamagedCheckpointError("its random stream state is not a byte array")
    else:
        raise DamagedCheckpointError(f"its random stream kind {kind!r} is unknown")


def load_networks(run: RunDir, raw: bool = False) -> tuple[dict[str, Weights], TrainConfig, int]:
    """The run's trained weights (numpy, by network), its config and its step. G is the moving
    average of its weights when the run keeps one, unless ``raw``."""
    checkpoint = load_checkpoint(run)
    return checkpoint.state.weights_to_use(raw), checkpoint.config, checkpoint.step
