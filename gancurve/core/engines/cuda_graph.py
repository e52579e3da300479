"""The CUDA engine: the reference step captured once as a CUDA graph, then replayed.

On a GPU the tiny step is all launch overhead: dozens of kernels of a few microseconds each.
A CUDA graph records the whole step — the artist's draw, the ideas, both updates and both Adam
steps — and replays it with one launch. The step is :class:`Trainer`'s own code, so the math
is the reference's by construction.

Capture needs a warm-up (cuBLAS handles, Adam's state), which would train a few steps; the
state before warm-up is restored in place, so the run is not changed by it. If capture fails,
the engine says why and runs the same step eagerly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gancurve.core.config import TrainConfig
from gancurve.core.engines.protocol import STAT_NAMES, TrainState
from gancurve.core.engines.reference import Trainer
from gancurve.core.networks import PARAMETERS, Weights

WARMUP_STEPS = 3


class GraphEngine:
    """Replays the reference step as one CUDA graph; eager where graphs are unavailable."""

    def __init__(
        self, config: TrainConfig, device: torch.device | str, dtype: torch.dtype = torch.float32
    ) -> None:
        self.config = config
        use_graph = torch.device(device).type == "cuda"
        # A new learning rate every step (a schedule, a warm-up): not in a graph.
        scheduled = config.lr_schedule != "constant" or config.warmup > 0
        # The average's start is a Python branch of the step: a graph would keep the one it recorded.
        reason = "a learning-rate schedule changes the step every step" if scheduled else None
        if config.ema > 0 and config.ema_start > 0:
            reason = "--ema-start changes the step at its start"
        self.trainer = Trainer(config, device, dtype, capturable=use_graph and reason is None)
        self.device = self.trainer.device
        self.artist = self.trainer.artist
        self.graph: Any = None
        self.fallback_reason: str | None = None if use_graph else "CUDA graphs need a CUDA device"
        self._static_stats: dict[str, torch.Tensor] | None = None
        self.notice: str | None = None  # a one-line warning for the user, set if capture fails
        if use_graph and reason is not None:
            self.fallback_reason = reason
            self.notice = f"No CUDA graph: {self.fallback_reason}; training runs eagerly."

    @property
    def step_count(self) -> int:
        """Steps taken so far."""
        return self.trainer.step_count

    def step(self) -> None:
        """One training step: a graph replay once captured, else the eager step."""
        if self.graph is None and self.fallback_reason is None:
            self._try_capture()
        if self.graph is None:
            self.trainer.step()
            return
        self.graph.replay()
        self.trainer.step_count += 1

    def advance(self, steps: int) -> None:
        """``steps`` training steps (one graph replay each)."""
        for _ in range(steps):
            self.step()

    def last_stats(self) -> dict[str, float]:
        """What the latest step measured (one device-to-host copy)."""
        if self.graph is None:
            return self.trainer.last_stats()
        assert self._static_stats is not None
        values = torch.stack([self._static_stats[name] for name in STAT_NAMES]).tolist()
        return dict(zip(STAT_NAMES, values, strict=True))

    def _try_capture(self) -> None:
        try:
            self._capture()
        except Exception as error:  # any capture failure: fall back, never lose the run
            self.graph = None
            self.fallback_reason = f"{type(error).__name__}: {error}".splitlines()[0]
            self.notice = f"CUDA graph capture failed ({self.fallback_reason}); training continues eagerly."

    def _capture(self) -> None:
        saved = self.trainer.state()  # copies
        warm_up(self.trainer, saved)
        graph = torch.cuda.CUDAGraph()
        register = getattr(graph, "register_generator_state", None)
        if register is None:
            raise RuntimeError("this torch cannot capture a private random generator in a CUDA graph")
        register(self.trainer.device_rng)
        steps_before = self.trainer.step_count
        try:
            with torch.cuda.graph(graph):
                stats = self.trainer.step()
        finally:
            self.trainer.step_count = steps_before  # capture records the kernels, it does not run them
        self.graph, self._static_stats = graph, stats

    def paint(self, ideas: np.ndarray, raw: bool = False) -> np.ndarray:
        """G's paintings for the given ideas (float32, on the host); the moving average's unless ``raw``."""
        return self.trainer.paint(ideas, raw)

    def weights(self) -> dict[str, Weights]:
        """G's and D's weights now (copies)."""
        return self.trainer.weights()

    def state(self) -> TrainState:
        """The training state (copies)."""
        return self.trainer.state()

    def load_state(self, state: TrainState) -> None:
        """Restore a saved state in place (a captured graph keeps pointing at the same tensors)."""
        if self.graph is None:
            self.trainer.load_state(state)
            return
        restore_in_place(self.trainer, state)


def warm_up(trainer: Trainer, saved: TrainState) -> None:
    """Run a few steps (on a side stream on CUDA) to initialise lazy state, then undo them."""
    side = torch.cuda.Stream() if trainer.torch_device.type == "cuda" else None
    if side is not None:
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(WARMUP_STEPS):
                trainer.step()
        torch.cuda.current_stream().wait_stream(side)
    else:
        for _ in range(WARMUP_STEPS):
            trainer.step()
    restore_in_place(trainer, saved)


@torch.no_grad()
def restore_in_place(trainer: Trainer, state: TrainState) -> None:
    """Put a saved state back into the *same* tensors (a graph holds their addresses)."""
    device = trainer.torch_device
    for name, module, optimizer in trainer.networks():
        params = dict(zip(PARAMETERS, module.parameters(), strict=True))
        adam = state.adam[name]
        for key, param in params.items():
            param.copy_(torch.from_numpy(np.ascontiguousarray(state.weights[name][key])).to(device))
            live = optimizer.state.get(param)
            if not live:
                continue
            if "momentum_buffer" in live:  # SGD: its buffer is kept in the first moment's place
                buffer = adam.exp_avg[key] if adam.steps else np.zeros_like(adam.exp_avg[key])
                live["momentum_buffer"].copy_(torch.from_numpy(np.ascontiguousarray(buffer)).to(device))
                continue
            for moment, saved in (("exp_avg", adam.exp_avg), ("exp_avg_sq", adam.exp_avg_sq)):
                live[moment].copy_(torch.from_numpy(np.ascontiguousarray(saved[key])).to(device))
            live["step"].fill_(float(adam.steps))  # 0 for a fresh run: Adam starts from zero moments
    trainer.load_average(state)  # in place too
    if trainer.on_host:
        trainer.streams.set_state(state.rng)
    else:
        trainer.device_rng.set_state(torch.from_numpy(state.rng.copy()))
    trainer.step_count = state.step
    trainer.sgd_start = (state.step, state.adam["discriminator"].steps)
