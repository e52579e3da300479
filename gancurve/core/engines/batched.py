"""The CPU engine: N independent runs in one process, each trained exactly like its own run.

:class:`BatchedEngine` holds every member's weights, Adam moments and random streams with a
leading model axis and advances them together through the compiled step of
:mod:`gancurve.core.engines.kernel`. Member ``k`` is the run ``gancurve train`` makes with its
config: the same initial weights, the same draws from the same per-seed streams in the same
order, the same step. ``gancurve train`` is a sweep of one (:func:`single_run`), so there is
one CPU engine, not two; the readable autograd trainer stays the oracle the tests hold it to.

Members may differ in anything the step reads per member (seed, learning rates); they share
the architecture and the batch size, which fix the arrays' shapes. A member whose numbers blow
up is frozen (:meth:`BatchedEngine.freeze`) and the others go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gancurve.core.artist import make_artist
from gancurve.core.config import OPTIMIZER_CODES, TrainConfig
from gancurve.core.draws import BlockDraws, needs_mix, needs_noise
from gancurve.core.engines import layout
from gancurve.core.engines.protocol import RNG_NUMPY, STAT_NAMES, AdamState, TrainState
from gancurve.core.networks import NETWORKS, Weights, forward, initial_weights, network_shapes
from gancurve.core.objectives import LOSS_CODES
from gancurve.core.schedule import SCHEDULE_CODES
from gancurve.core.stats import step_stats

#: torch.optim.Adam's default epsilon, which the reference trainer uses.
ADAM_EPS = 1e-8
#: The architecture every member of one engine must share (it fixes the arrays' shapes).
SHARED_FIELDS = ("ideas", "hidden", "points", "batch_size", "d_steps", "condition")
#: The config's fields a member's row of the ``hyper`` table holds (:meth:`BatchedEngine.set_hyper`
#: writes them; ``lr_schedule`` only names the decay its two steps columns hold): what a member may
#: change between two steps (:meth:`BatchedEngine.retune`) — everything else fixes its arrays,
#: its artist or its draws.
HYPER_FIELDS = (
    "lr_g",
    "lr_d",
    "beta1",
    "beta2",
    "loss",
    "lr_schedule",
    "decay_start",
    "decay_end",
    "warmup",
    "r1",
    "ema",
    "instance_noise",
    "momentum",
)


class BatchedEngine:
    """N runs advanced together; see the module's docstring."""

    #: Steps of random draws made at once for every member (one numpy call per stream).
    BLOCK_STEPS = 64
    #: A one-line message when the engine had to change course (a GPU engine that could not
    #: capture its CUDA graph); None when there is nothing to say.
    notice: str | None = None

    def __init__(self, configs: Sequence[TrainConfig], dtype: type[np.floating[Any]] = np.float32) -> None:
        if not configs:
            raise ValueError("an engine needs at least one member")
        first = configs[0]
        for config in configs[1:]:
            for name in SHARED_FIELDS:
                if getattr(config, name) != getattr(first, name):
                    raise ValueError(f"every member must have the same {name}")
            if make_artist(config).family != make_artist(first).family:  # the kernel's one basis
                raise ValueError("every member must paint the same family of curves")
        self.configs, self.dtype = list(configs), dtype
        self.artist = make_artist(first)  # the paintings' family: every member's (its law may differ)
        members = len(configs)
        self.g = np.zeros((members, layout.generator_size(first.g_inputs, first.hidden, first.points)), dtype)
        self.d = np.zeros((members, layout.discriminator_size(first.d_inputs, first.hidden)), dtype)
        self.g_ema = np.zeros_like(self.g)  # the average of G's weights (members with an EMA decay)
        self.g_moments = np.zeros((members, 2, self.g.shape[1]), dtype)
        self.d_moments = np.zeros((members, 2, self.d.shape[1]), dtype)
        self.adam_steps = np.zeros((members, 2), np.int64)  # G's Adam step (the training step), D's
        self.steps = np.zeros(members, np.int64)  # a frozen member's count stops where it froze
        self.active = np.ones(members, np.bool_)
        self.hyper = np.zeros((members, layout.HYPER_COLUMNS), np.float64)
        self.logits = np.zeros((members, layout.LOGIT_PARTS, first.batch_size), dtype)
        self.draws = [BlockDraws(config, make_artist(config), dtype) for config in configs]
        slots = (members, self.BLOCK_STEPS, first.d_steps, first.batch_size)  # a slot per update of D
        self._real_a = np.zeros(slots, dtype)
        self._ideas = np.zeros((*slots, first.ideas), dtype)
        self._mix = np.zeros(slots, dtype)  # WGAN-GP's mixing weights (its members only)
        # Instance noise per painting point, the artist's then G's (no points when no member has any).
        noise_points = first.points if any(needs_noise(config) for config in configs) else 0
        self._noise = np.zeros((*slots[:3], 2, first.batch_size, noise_points), dtype)
        self._condition = np.zeros((*slots, first.g_inputs - first.ideas), dtype)  # each row's condition
        self._block_used = self.BLOCK_STEPS  # nothing drawn yet
        self._basis, self._offset = self.artist.basis(dtype), self.artist.offset(dtype)
        self._prepare()
        for member, config in enumerate(configs):
            self.set_hyper(member, config)
            weights = initial_weights(config)
            self.g[member] = pack_generator(weights["generator"])
            self.d[member] = pack_discriminator(weights["discriminator"])
        self.g_ema[...] = self.g  # the average starts from G's initial weights

    @property
    def members(self) -> int:
        """How many runs this engine trains."""
        return len(self.configs)

    def set_hyper(self, member: int, config: TrainConfig) -> None:
        """Take a member's learning rates and betas from its config (a forced resume may change them)."""
        self.configs[member] = config
        self.hyper[member, layout.LR_G] = config.lr_g
        self.hyper[member, layout.LR_D] = config.lr_d
        self.hyper[member, layout.BETA1], self.hyper[member, layout.BETA2] = config.beta1, config.beta2
        self.hyper[member, layout.EPS] = ADAM_EPS
        self.hyper[member, layout.LOSS] = LOSS_CODES[config.loss]
        self.hyper[member, layout.DECAY_START] = config.decay_start
        self.hyper[member, layout.DECAY_END] = config.decay_end
        self.hyper[member, layout.SCHEDULE] = SCHEDULE_CODES[config.lr_schedule]
        self.hyper[member, layout.WARMUP] = config.warmup
        self.hyper[member, layout.R1] = config.r1
        self.hyper[member, layout.EMA] = config.ema
        self.hyper[member, layout.EMA_START] = config.ema_start
        if needs_noise(config) and self._noise.shape[-1] == 0:
            raise ValueError("this engine was made without instance noise; make it with the member's config")
        self.hyper[member, layout.NOISE] = config.instance_noise
        self.hyper[member, layout.OPTIMIZER] = OPTIMIZER_CODES[config.optimizer]
        self.hyper[member, layout.MOMENTUM] = config.momentum

    def retune(self, member: int, config: TrainConfig) -> None:
        """Continue a member from its next step with ``config``, which may differ from its own only
        in :data:`HYPER_FIELDS` (and not in whether it draws WGAN-GP's mixing weights or instance
        noise: its random streams stay the ones it has); ``ValueError`` naming what cannot change
        between steps.

        Its weights, moments and draws go on as they are; a member that starts keeping G's moving
        average averages from its G now (as a forced resume that starts one does)."""
        problem = retune_problem(self.configs[member], config)
        if problem:
            raise ValueError(problem)
        if config.ema > 0 and self.configs[member].ema == 0:
            self.g_ema[member] = self.g[member]
        self.set_hyper(member, config)

    def advance(self, steps: int) -> None:
        """Train every active member ``steps`` more steps."""
        while steps > 0:
            if self._block_used == self.BLOCK_STEPS:
                self._draw_block()
            count = min(steps, self.BLOCK_STEPS - self._block_used)
            self._run_steps(count)
            for member in np.flatnonzero(self.active):
                self.draws[member].use(count)
            self.steps[self.active] += count
            self._block_used += count
            steps -= count

    def _prepare(self) -> None:
        """Make the step ready to run (here: load the compiled kernel)."""
        prepare(self.dtype)

    def _run_steps(self, count: int) -> None:
        """``count`` steps of every active member, on the current block's next draws."""
        from gancurve.core.engines import kernel

        kernel.share_members(int(np.count_nonzero(self.active)))
        kernel.train_steps(
            self.g, self.d, self.g_ema, self.g_moments, self.d_moments, self.adam_steps, self.hyper,
            self.active, self._real_a, self._ideas, self._condition, self._mix, self._noise, self._block_used,
            count, self._basis, self._offset, self.logits,
        )  # fmt: skip

    def _draw_block(self) -> None:
        for member in np.flatnonzero(self.active):
            self.draws[member].fill(
                self._real_a[member], self._ideas[member], self._mix[member], self._condition[member],
                self._noise[member],
            )  # fmt: skip
        self._block_used = 0

    def set_active(self, mask: np.ndarray) -> None:
        """Train only the members in ``mask`` from now on (e.g. the ones catching up).

        Members that join draw afresh from their own positions, so every member still sees
        exactly its own stream.
        """
        if not np.array_equal(mask, self.active):
            self.active[:] = mask
            self._block_used = self.BLOCK_STEPS

    def freeze(self, member: int) -> None:
        """Stop training a member (it diverged); the others go on."""
        self.active[member] = False

    def last_stats(self, member: int) -> dict[str, float]:
        """What the member's latest step measured (:data:`STAT_NAMES`), from its logits."""
        if self.steps[member] == 0:
            raise RuntimeError("no step has been taken yet")
        real, fake, new = self.logits[member]
        return dict(zip(STAT_NAMES, step_stats(self.configs[member].loss, real, fake, new), strict=True))

    def weights(self, member: int) -> dict[str, Weights]:
        """A member's weights by network and torch's parameter names (copies)."""
        return {
            "generator": unpack_generator(self.g[member], self.configs[member]),
            "discriminator": unpack_discriminator(self.d[member], self.configs[member]),
        }

    def paint(self, member: int, ideas: np.ndarray, raw: bool = False) -> np.ndarray:
        """The member's G's paintings (float32) for its inputs ``(n, g_inputs)``: by G's moving average
        when the member keeps one, unless ``raw``."""
        averaged = self.configs[member].ema > 0 and not raw
        generator = unpack_generator((self.g_ema if averaged else self.g)[member], self.configs[member])
        return forward(generator, ideas).astype(np.float32, copy=False)

    def state(self, member: int) -> TrainState:
        """A member's training state (copies), as every engine saves it."""
        config = self.configs[member]
        g_steps, d_steps = (int(steps) for steps in self.adam_steps[member])
        adam = {
            "generator": AdamState(
                g_steps,
                unpack_generator(self.g_moments[member, 0], config),
                unpack_generator(self.g_moments[member, 1], config),
            ),
            "discriminator": AdamState(
                d_steps,
                unpack_discriminator(self.d_moments[member, 0], config),
                unpack_discriminator(self.d_moments[member, 1], config),
            ),
        }
        ema = unpack_generator(self.g_ema[member], config) if config.ema > 0 else None
        return TrainState(
            int(self.steps[member]), self.weights(member), adam, self.draws[member].state(), ema=ema
        )

    def load_state(self, member: int, state: TrainState) -> None:
        """Continue a member from a state saved by any CPU engine; ``ValueError`` when it does not fit."""
        if state.rng_kind != RNG_NUMPY:
            raise ValueError(f"its random stream is {state.rng_kind!r}, not numpy's")
        try:
            generator, discriminator = (state.weights[name] for name in NETWORKS)
            self.g[member] = pack_generator(generator, self.configs[member])
            self.d[member] = pack_discriminator(discriminator, self.configs[member])
            for moment in (0, 1):
                g_adam, d_adam = state.adam["generator"], state.adam["discriminator"]
                g_named = g_adam.exp_avg if moment == 0 else g_adam.exp_avg_sq
                d_named = d_adam.exp_avg if moment == 0 else d_adam.exp_avg_sq
                self.g_moments[member, moment] = pack_generator(g_named, self.configs[member])
                self.d_moments[member, moment] = pack_discriminator(d_named, self.configs[member])
            self.draws[member].set_state(state.rng)
            # A run that kept no average (or a forced resume that starts one) averages from here.
            ema = state.ema if state.ema is not None else generator
            self.g_ema[member] = pack_generator(ema, self.configs[member])
        except (KeyError, ValueError) as error:
            raise ValueError(f"the saved training state does not fit this model: {error}") from error
        self.adam_steps[member] = state.adam["generator"].steps, state.adam["discriminator"].steps
        self.steps[member] = state.step
        # The block drawn so far is the other members' business: draw afresh for everyone, each
        # member from its own position, so no member skips or repeats a draw.
        self._block_used = self.BLOCK_STEPS


def retune_problem(config: TrainConfig, wanted: TrainConfig) -> str | None:
    """Why a member trained with ``config`` cannot go on with ``wanted`` from its next step (the
    fields that differ outside :data:`HYPER_FIELDS`, or a change of its random streams); None: it can."""
    fixed = [name for name in config.differences_in(wanted) if name not in HYPER_FIELDS]
    if fixed:
        return f"{', '.join(fixed)} cannot change between steps"
    if needs_mix(config) != needs_mix(wanted):
        return "wasserstein-gp draws random numbers of its own: it cannot start or stop between steps"
    if needs_noise(config) != needs_noise(wanted):
        return "instance noise draws random numbers of its own: it cannot start or stop between steps"
    return None


def prepare(dtype: type[np.floating[Any]] = np.float32) -> None:
    """Load the compiled step for ``dtype`` now (numba's cache: ~0.4 s), not in the middle of a run.

    The first call after an install compiles it instead (~20 s), once: numba caches it on disk.
    """
    from gancurve.core.engines import kernel

    empty, moments, slots = np.zeros((0, 1), dtype), np.zeros((0, 2, 1), dtype), np.zeros((0, 1, 1, 1), dtype)
    kernel.train_steps(
        empty, empty, empty, moments, moments, np.zeros((0, 2), np.int64),
        np.zeros((0, layout.HYPER_COLUMNS)), np.zeros(0, np.bool_), slots, np.zeros((0, 1, 1, 1, 1), dtype),
        np.zeros((0, 1, 1, 1, 0), dtype), slots, np.zeros((0, 1, 1, 2, 1, 1), dtype), 0, 0, np.ones(1, dtype),
        np.zeros(1, dtype),
        np.zeros((0, layout.LOGIT_PARTS, 1), dtype),
    )  # fmt: skip


def _check_shapes(named: Weights, network: str, config: TrainConfig | None) -> None:
    if config is None:
        return
    for name, shape in network_shapes(config)[network].items():
        if named[name].shape != shape:
            raise ValueError(f"{network} {name} has shape {named[name].shape}, expected {shape}")


def pack_generator(named: Weights, config: TrainConfig | None = None) -> np.ndarray:
    """G's named weights as the kernel's flat vector ``W1ᵀ | b1 | W2 | b2``."""
    _check_shapes(named, "generator", config)
    parts = (named["net.0.weight"].T, named["net.0.bias"], named["net.2.weight"], named["net.2.bias"])
    return np.concatenate([part.ravel() for part in parts])


def pack_discriminator(named: Weights, config: TrainConfig | None = None) -> np.ndarray:
    """D's named weights as the kernel's flat vector ``V1ᵀ | c1 | v2 | c2``."""
    _check_shapes(named, "discriminator", config)
    parts = (named["net.0.weight"].T, named["net.0.bias"], named["net.2.weight"], named["net.2.bias"])
    return np.concatenate([part.ravel() for part in parts])


def unpack_generator(flat: np.ndarray, config: TrainConfig) -> Weights:
    """The kernel's flat G vector as named weights in torch's shapes (copies)."""
    ideas, hidden, points = config.g_inputs, config.hidden, config.points
    w1, b1, w2 = ideas * hidden, ideas * hidden + hidden, ideas * hidden + hidden + points * hidden
    return {
        "net.0.weight": flat[:w1].reshape(ideas, hidden).T.copy(),
        "net.0.bias": flat[w1:b1].copy(),
        "net.2.weight": flat[b1:w2].reshape(points, hidden).copy(),
        "net.2.bias": flat[w2:].copy(),
    }


def unpack_discriminator(flat: np.ndarray, config: TrainConfig) -> Weights:
    """The kernel's flat D vector as named weights in torch's shapes (copies)."""
    hidden, inputs = config.hidden, config.d_inputs
    v1, c1 = inputs * hidden, inputs * hidden + hidden
    return {
        "net.0.weight": flat[:v1].reshape(inputs, hidden).T.copy(),
        "net.0.bias": flat[v1:c1].copy(),
        "net.2.weight": flat[c1 : c1 + hidden].reshape(1, hidden).copy(),
        "net.2.bias": flat[c1 + hidden :].copy(),
    }


class Member:
    """One member of a :class:`BatchedEngine` as an :class:`~gancurve.core.engines.protocol.Engine`.

    The training loop of one run talks to this; :meth:`advance` advances the whole engine, which
    is what a run trained alone wants (its engine has one member).
    """

    def __init__(self, engine: BatchedEngine, index: int) -> None:
        self.engine, self.index = engine, index
        self.config = engine.configs[index]
        self.artist = engine.artist
        self.device: str = getattr(engine, "device", "cpu")

    @property
    def notice(self) -> str | None:
        """The engine's message, if it had to change course."""
        return self.engine.notice

    @property
    def step_count(self) -> int:
        """Steps this member has taken."""
        return int(self.engine.steps[self.index])

    def step(self) -> None:
        """One step of the engine."""
        self.engine.advance(1)

    def advance(self, steps: int) -> None:
        """``steps`` steps of the engine."""
        self.engine.advance(steps)

    def last_stats(self) -> dict[str, float]:
        """What this member's latest step measured."""
        return self.engine.last_stats(self.index)

    def paint(self, ideas: np.ndarray, raw: bool = False) -> np.ndarray:
        """This member's G's paintings for ``ideas`` (its moving average's, unless ``raw``)."""
        return self.engine.paint(self.index, ideas, raw)

    def weights(self) -> dict[str, Weights]:
        """This member's weights now (copies)."""
        return self.engine.weights(self.index)

    def state(self) -> TrainState:
        """This member's training state."""
        return self.engine.state(self.index)

    def load_state(self, state: TrainState) -> None:
        """Continue this member from a saved state."""
        self.engine.load_state(self.index, state)
        self.engine.set_hyper(self.index, self.config)

    def retune(self, config: TrainConfig) -> None:
        """Continue from the next step with ``config`` (see :meth:`BatchedEngine.retune`)."""
        self.engine.retune(self.index, config)
        self.config = config


def single_run(config: TrainConfig, dtype: type[np.floating[Any]] = np.float32) -> Member:
    """The engine of ``gancurve train`` on the CPU: a sweep of one."""
    return Member(BatchedEngine([config], dtype), 0)
