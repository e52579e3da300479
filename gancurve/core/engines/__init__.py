"""Training engines. Every engine computes the reference step; they differ in speed.

- ``reference``: :class:`~gancurve.core.engines.reference.Trainer`, readable autograd (any device);
- ``fast`` on the CPU: :func:`~gancurve.core.engines.batched.single_run`, the compiled batched
  engine (numba) with one member — the engine ``gancurve sweep`` runs with many;
- ``fast`` on CUDA: :class:`~gancurve.core.engines.cuda_graph.GraphEngine`, one CUDA graph per step;
- ``fast`` elsewhere (mps): the reference trainer.

All of them save the same checkpoint, so a run can be resumed by any engine on the same device.
This module imports no torch itself, so that the CLI can offer the choices without paying for
torch; the CPU engine never imports it (it imports numba), the others do when one is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gancurve.core.config import TrainConfig
    from gancurve.core.engines.protocol import Engine

#: The engines a user can choose; the first is the default.
ENGINES = ("fast", "reference")
DEFAULT_ENGINE = ENGINES[0]


def make_engine(config: TrainConfig, device: str = "cpu", kind: str = DEFAULT_ENGINE) -> Engine:
    """The engine of that kind for this device (``cpu``, ``cuda``, ``cuda:1``, ``mps``).

    The CPU engine (``fast`` on the CPU) imports no torch; every other engine does.
    """
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r}; choose one of {', '.join(ENGINES)}")
    device_type = device.split(":")[0]
    if kind == "fast" and device_type == "cpu":
        from gancurve.core.engines.batched import single_run

        return single_run(config)
    if kind == "fast" and device_type == "cuda":
        from gancurve.core.engines.cuda_graph import GraphEngine

        return GraphEngine(config, device)
    from gancurve.core.engines.reference import Trainer

    return Trainer(config, device)
