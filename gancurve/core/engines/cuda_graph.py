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

import torch
from torch import nn

from gancurve.core.config import TrainConfig
from gancurve.core.engines.protocol import StepStats
from gancurve.core.engines.reference import Trainer

WARMUP_STEPS = 3


class GraphEngine:
    """Replays the reference step as one CUDA graph; eager where graphs are unavailable."""

    def __init__(
        self, config: TrainConfig, device: torch.device | str, dtype: torch.dtype = torch.float32
    ) -> None:
        self.config = config
        self.device = torch.device(device)
        use_graph = self.device.type == "cuda"
        self.trainer = Trainer(config, self.device, dtype, capturable=use_graph)
        self.artist = self.trainer.artist
        self.graph: Any = None
        self.fallback_reason: str | None = None if use_graph else "CUDA graphs need a CUDA device"
        self._static_stats: StepStats | None = None
        self.notice: str | None = None  # a one-line warning for the user, set if capture fails

    @property
    def step_count(self) -> int:
        """Steps taken so far."""
        return self.trainer.step_count

    @property
    def generator(self) -> nn.Module:
        """G, live."""
        return self.trainer.generator

    @property
    def discriminator(self) -> nn.Module:
        """D, live."""
        return self.trainer.discriminator

    def step(self) -> None:
        """One training step: a graph replay once captured, else the eager step."""
        if self.graph is None and self.fallback_reason is None:
            self._try_capture()
        if self.graph is None:
            self.trainer.step()
            return
        self.graph.replay()
        self.trainer.step_count += 1

    def last_stats(self) -> StepStats:
        """What the latest step measured (device tensors; copying them is the caller's choice)."""
        if self.graph is None:
            return self.trainer.last_stats()
        assert self._static_stats is not None
        return StepStats(*(t.clone() for t in vars(self._static_stats).values()))

    def _try_capture(self) -> None:
        try:
            self._capture()
        except Exception as error:  # any capture failure: fall back, never lose the run
            self.graph = None
            self.fallback_reason = f"{type(error).__name__}: {error}".splitlines()[0]
            self.notice = f"CUDA graph capture failed ({self.fallback_reason}); training continues eagerly."

    def _capture(self) -> None:
        saved = self.trainer.state_dict()  # already a deep copy
        warm_up(self.trainer, saved)
        graph = torch.cuda.CUDAGraph()
        register = getattr(graph, "register_generator_state", None)
        if register is None:
            raise RuntimeError("this torch cannot capture a private random generator in a CUDA graph")
        register(self.trainer.rng)
        steps_before = self.trainer.step_count
        try:
            with torch.cuda.graph(graph):
                stats = self.trainer.step()
        finally:
            self.trainer.step_count = steps_before  # capture records the kernels, it does not run them
        self.graph, self._static_stats = graph, stats

    @torch.no_grad()
    def paint(self, ideas: torch.Tensor) -> torch.Tensor:
        """G's paintings for the given ideas, on the device."""
        return self.trainer.paint(ideas)

    def state_dict(self) -> dict[str, Any]:
        """The reference trainer's checkpoint format."""
        return self.trainer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a saved state in place (a captured graph keeps pointing at the same tensors)."""
        if self.graph is None:
            self.trainer.load_state_dict(state)
            return
        restore_in_place(self.trainer, state)


def warm_up(trainer: Trainer, saved: dict[str, Any]) -> None:
    """Run a few steps (on a side stream on CUDA) to initialise lazy state, then undo them."""
    on_cuda = trainer.device.type == "cuda"
    side = torch.cuda.Stream() if on_cuda else None
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
def restore_in_place(trainer: Trainer, state: dict[str, Any]) -> None:
    """Put a saved state back into the *same* tensors (a graph holds their addresses)."""
    for module, key in ((trainer.generator, "generator"), (trainer.discriminator, "discriminator")):
        for name, tensor in module.state_dict().items():
            tensor.copy_(state[key][name])
    for optimizer, key in ((trainer.opt_g, "opt_g"), (trainer.opt_d, "opt_d")):
        saved_states = state[key]["state"]
        for index, param in enumerate(p for group in optimizer.param_groups for p in group["params"]):
            live = optimizer.state.get(param)
            if not live:
                continue
            for name, tensor in live.items():
                if index in saved_states:
                    tensor.copy_(saved_states[index][name])
                else:
                    tensor.zero_()  # a fresh run: Adam starts from zero moments at step 0
    trainer.rng.set_state(state["rng"])
    trainer.step_count = int(state["step"])
