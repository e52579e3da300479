"""``gancurve export model``: the trained generator as a model file, for use outside gancurve.

Every model file is checked right after it is written: loaded back with its own loader and
compared with the in-memory generator on fixed inputs. A file that fails the check is never
left behind (it is written to a temporary name and only renamed once it passed).
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from gancurve.core.config import TrainConfig
from gancurve.core.models import Generator, load_weights
from gancurve.core.networks import Weights
from gancurve.errors import GancurveError
from gancurve.store.atomic import replace_with, temporary_sibling
from gancurve.store.outputs import check_output

#: The largest difference allowed between the exported model and the generator.
TOLERANCE = 1e-5
#: Batch sizes the check runs the exported model on (the batch dimension is dynamic).
CHECK_BATCHES = (1, 7, 64)


def generator_module(weights: Weights, config: TrainConfig) -> Generator:
    """The trained G as a torch module (float32, eval mode); a conditional G takes its ideas with
    the condition appended (``config.g_inputs`` columns)."""
    module = Generator(config.g_inputs, config.hidden, config.points)
    load_weights(module, weights)
    return module.eval()


def export_model(generator: Generator, ideas: int, output: Path, fmt: str) -> float:
    """Write the generator in ``fmt``, check it, and return the largest difference found."""
    check_output(output)
    if fmt == "onnx" and not all(importlib.util.find_spec(name) for name in ("onnx", "onnxruntime")):
        raise GancurveError("ONNX export needs the optional extra: pip install 'gancurve[onnx]'.")
    writer, loader = {"export": (_write_export, _load_export), "torchscript": (_write_script, _load_script),
                      "onnx": (_write_onnx, _load_onnx)}[fmt]  # fmt: skip
    generator = generator.eval()
    with temporary_sibling(output) as temp:
        with warnings.catch_warnings():  # TorchScript is deprecated upstream; the user chose it
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            try:
                writer(generator, ideas, temp)
                difference = _check(generator, ideas, loader(temp))
            except GancurveError:
                raise
            except Exception as error:
                raise GancurveError(
                    f"Export to {fmt} failed: {type(error).__name__}: {error}".splitlines()[0]
                ) from error
        if not difference <= TOLERANCE:
            raise GancurveError(
                f"The exported model differs from the generator by {difference:.2e} "
                f"(> {TOLERANCE}); not written."
            )
        replace_with(temp, output)
    return difference


def _check(generator: Generator, ideas: int, run: Callable[[np.ndarray], np.ndarray]) -> float:
    """Largest absolute difference between the export and the generator on fixed inputs."""
    rng = torch.Generator().manual_seed(0)
    worst = 0.0
    for batch in CHECK_BATCHES:
        inputs = torch.randn(batch, ideas, generator=rng)
        with torch.no_grad():
            expected = generator(inputs).numpy()
        got = np.asarray(run(inputs.numpy()))
        if got.shape != expected.shape:
            raise GancurveError(f"The exported model returned shape {got.shape}, expected {expected.shape}.")
        worst = max(worst, float(np.abs(got - expected).max()))
    return worst


def _example(ideas: int) -> torch.Tensor:
    return torch.zeros(4, ideas)


def _write_export(generator: Generator, ideas: int, path: Path) -> None:
    batch = torch.export.Dim("n", min=1, max=2**31 - 1)
    program = torch.export.export(generator, (_example(ideas),), dynamic_shapes=({0: batch},))
    torch.export.save(program, path)


def _load_export(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    module = torch.export.load(path).module()
    return lambda x: module(torch.from_numpy(x)).detach().numpy()


def _write_script(generator: Generator, _ideas: int, path: Path) -> None:
    torch.jit.save(torch.jit.script(generator), str(path))


def _load_script(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    module = torch.jit.load(str(path))  # type: ignore[no-untyped-call]
    return lambda x: module(torch.from_numpy(x)).detach().numpy()


def _write_onnx(generator: Generator, ideas: int, path: Path) -> None:
    torch.onnx.export(
        generator, (_example(ideas),), str(path), input_names=["ideas"], output_names=["paintings"],
        dynamic_axes={"ideas": {0: "n"}, "paintings": {0: "n"}}, dynamo=False,
    )  # fmt: skip


def _load_onnx(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"ideas": x.astype(np.float32)})[0]
