"""Seeds and random draws: what every engine draws, in which order, from which stream.

A run's randomness comes from its seed alone, through numpy's documented ``PCG64`` bit
generator seeded by ``SeedSequence``: the same seed gives the same numbers on every machine
and every numpy ≥ 1.17. Streams, each derived from the run's seed:

- the **weights** stream draws G's and D's initial weights (see :mod:`gancurve.core.networks`);
- two **training** streams draw, for every update of D, the artist's batch (its ``a``) and G's
  ideas (``--d-steps K``: K of each per step; G learns on the last ideas), standard normal or
  (``--prior uniform``) uniform on [-1, 1] from the same stream (:func:`draw_ideas`). They are separate
  streams so that an engine may draw many steps at once and still get exactly the numbers a
  step-by-step engine gets (numpy's generators fill arrays sequentially);
- a third training stream, for WGAN-GP only, draws the mixing weights ``ε ~ U(0, 1)`` of the
  points where the gradient penalty is taken (one per painting per update of D);
- a fourth, for instance noise only (``--instance-noise σ``), draws the noise ``n ~ N(0, 1)``
  added (times σ) to every point of the paintings D sees: the artist's batch, then G's, per update
  of D. A run with it keeps the mixing stream's place in its state too (unused without WGAN-GP),
  so a state's length says which streams it holds;
- side streams draw the fixed snapshot ideas and the evaluation ideas, so that changing how
  often a run snapshots or evaluates never changes the run itself.

Engines on a GPU draw their training stream on the device with torch's generator instead (a
CUDA graph cannot call numpy); see docs/design.md for which runs are bit-reproducible where.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gancurve.core.artist import Artist
from gancurve.core.condition import make_condition
from gancurve.core.config import TrainConfig

FloatType = type[np.floating[Any]]

#: Streams, by the number that derives their seed from the run's.
WEIGHTS_STREAM = 0
FIXED_IDEAS_STREAM = 1
EVAL_IDEAS_STREAM = 2
ARTIST_FLOOR_STREAM = 3
ARTIST_STREAM = 4  # the training stream of the artist's a
#: A run written by gancurve 0.1.0 (torch's generator) continues on numpy streams from here.
LEGACY_CONTINUATION_STREAM = 5
IDEAS_STREAM = 6  # the training stream of G's ideas
MIX_STREAM = 7  # the training stream of WGAN-GP's mixing weights
NOISE_STREAM = 8  # the training stream of instance noise
#: uint64 words that hold one PCG64 generator's state, and the training streams' (two, three
#: with WGAN-GP's, four with instance noise's).
STATE_WORDS = 6
STREAMS_STATE_SIZES = (2 * STATE_WORDS, 3 * STATE_WORDS, 4 * STATE_WORDS)


def draw_ideas(
    rng: np.random.Generator,
    prior: str,
    shape: tuple[int, ...] = (),
    dtype: FloatType = np.float32,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """G's ideas from ``rng`` by the run's ``prior`` (:data:`~gancurve.core.config.PRIORS`), of
    ``shape`` or into ``out``: standard normal (``standard_normal``, so the tutorial's runs draw
    exactly what they always drew), or uniform on [-1, 1] as ``2u − 1`` of ``u = random()`` (one
    number of the stream per idea either way; numpy fills arrays sequentially, so a block of ideas
    is the concatenation of its steps')."""
    if prior == "normal":
        if out is None:
            return rng.standard_normal(shape, dtype=dtype)
        return rng.standard_normal(dtype=dtype, out=out)
    if out is None:
        out = np.empty(shape, dtype)
    rng.random(dtype=dtype, out=out)
    out *= 2
    out -= 1
    return out


def stream(seed: int, *path: int) -> np.random.Generator:
    """The numpy generator of a named stream of ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *path])))


def needs_mix(config: TrainConfig) -> bool:
    """Whether a run draws WGAN-GP's mixing weights (a third training stream)."""
    return config.loss == "wasserstein-gp"


def needs_noise(config: TrainConfig) -> bool:
    """Whether a run draws instance noise (a fourth training stream)."""
    return config.instance_noise > 0


class TrainingStreams:
    """A run's per-step draws: the artist's ``a`` from one stream, G's ideas from another,
    (WGAN-GP) the penalty's mixing weights from a third and (instance noise) the noise from a
    fourth."""

    def __init__(
        self,
        artist: np.random.Generator,
        ideas: np.random.Generator,
        mix: np.random.Generator | None = None,
        noise: np.random.Generator | None = None,
    ) -> None:
        self.artist, self.ideas, self.mix, self.noise = artist, ideas, mix, noise

    @classmethod
    def for_run(cls, config: TrainConfig) -> TrainingStreams:
        """The streams of a fresh run."""
        noisy = needs_noise(config)
        mix = stream(config.seed, MIX_STREAM) if needs_mix(config) or noisy else None
        noise = stream(config.seed, NOISE_STREAM) if noisy else None
        return cls(stream(config.seed, ARTIST_STREAM), stream(config.seed, IDEAS_STREAM), mix, noise)

    @classmethod
    def continuing(cls, config: TrainConfig, step: int) -> TrainingStreams:
        """Streams for a 0.1.0 run continued at ``step`` (it drew from torch's generator before)."""
        return cls(*(stream(config.seed, LEGACY_CONTINUATION_STREAM, step, part) for part in (0, 1)))

    def _streams(self) -> list[np.random.Generator]:
        optional = [generator for generator in (self.mix, self.noise) if generator is not None]
        return [self.artist, self.ideas, *optional]

    def state(self) -> np.ndarray:
        """The streams' positions as twelve uint64 words, eighteen with the mixing stream,
        twenty-four with the noise's."""
        return np.concatenate([generator_state(generator) for generator in self._streams()])

    def set_state(self, words: np.ndarray) -> None:
        """Restore :meth:`state`; ``ValueError`` if the words are not one.

        A state without the mixing (or noise) stream leaves a run that has one at the stream's
        start (a run resumed with --force into WGAN-GP or instance noise); a state with it, for a
        run without, drops it.
        """
        if words.shape not in [(size,) for size in STREAMS_STATE_SIZES]:
            raise ValueError("the random stream state is not twelve, eighteen or twenty-four 64-bit words")
        for index, generator in enumerate([self.artist, self.ideas, self.mix, self.noise]):
            part = words[index * STATE_WORDS : (index + 1) * STATE_WORDS]
            if generator is not None and part.size:
                set_generator_state(generator, part)


def fixed_ideas(config: TrainConfig, n: int = 16) -> np.ndarray:
    """G's inputs for every snapshot of a run, so pictures stay comparable over time: ideas, and
    for a conditional run the conditions of evenly spread ``a`` (:meth:`Condition.requested_a`)."""
    return _g_inputs(config, stream(config.seed, FIXED_IDEAS_STREAM), n)


def eval_ideas(config: TrainConfig, n: int) -> np.ndarray:
    """G's inputs for a run's evaluations (as :func:`fixed_ideas`): the same at every evaluation."""
    return _g_inputs(config, stream(config.seed, EVAL_IDEAS_STREAM), n)


def _g_inputs(config: TrainConfig, rng: np.random.Generator, n: int) -> np.ndarray:
    ideas = draw_ideas(rng, config.prior, (n, config.ideas))
    condition = make_condition(config)
    return condition.joined(ideas, condition.requested_a(n))


def draw_batch(
    artist: Artist, config: TrainConfig, streams: TrainingStreams, dtype: FloatType = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """One update of D's random draws: the ``a`` of the artist's batch and G's ideas, each from its
    own stream (a step makes ``config.d_steps`` of them; WGAN-GP also draws :func:`draw_mix`)."""
    real_a = artist.sample_a(config.batch_size, streams.artist, dtype)
    ideas = draw_ideas(streams.ideas, config.prior, (config.batch_size, config.ideas), dtype)
    return real_a, ideas


def draw_mix(config: TrainConfig, streams: TrainingStreams, dtype: FloatType = np.float32) -> np.ndarray:
    """WGAN-GP's mixing weights ``ε ~ U(0, 1)`` for one update of D, one per painting."""
    assert streams.mix is not None, "only a WGAN-GP run draws mixing weights"
    return streams.mix.random(config.batch_size, dtype=dtype)


def draw_noise(config: TrainConfig, streams: TrainingStreams, dtype: FloatType = np.float32) -> np.ndarray:
    """Instance noise ``n ~ N(0, 1)`` for one update of D, ``(2, batch, points)``: the artist's
    paintings' then G's (D sees ``painting + σ·n``)."""
    assert streams.noise is not None, "only a run with instance noise draws noise"
    return streams.noise.standard_normal((2, config.batch_size, config.points), dtype=dtype)


def skip_steps(streams: TrainingStreams, steps: int, config: TrainConfig, dtype: FloatType) -> None:
    """Advance the streams past ``steps`` steps' draws (what the draw functions would consume)."""
    count = steps * config.d_steps * config.batch_size
    streams.artist.random(count, dtype=dtype)
    draw_ideas(streams.ideas, config.prior, (count, config.ideas), dtype)
    if needs_mix(config):
        assert streams.mix is not None
        streams.mix.random(count, dtype=dtype)
    if needs_noise(config):
        assert streams.noise is not None
        streams.noise.standard_normal(2 * count * config.points, dtype=dtype)


def generator_state(rng: np.random.Generator) -> np.ndarray:
    """A PCG64 generator's full state as six uint64 words (for the checkpoint)."""
    state = rng.bit_generator.state
    words = [state["state"]["state"], state["state"]["inc"]]
    halves = [part for word in words for part in (word >> 64, word & (2**64 - 1))]
    return np.array([*halves, state["has_uint32"], state["uinteger"]], dtype=np.uint64)


def set_generator_state(rng: np.random.Generator, words: np.ndarray) -> None:
    """Restore :func:`generator_state`; ``ValueError`` if the words are not one."""
    if words.dtype != np.uint64 or words.shape != (STATE_WORDS,):
        raise ValueError("the random generator state is not six 64-bit words")
    high, low, inc_high, inc_low, has_uint32, uinteger = (int(w) for w in words)
    rng.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": (high << 64) | low, "inc": (inc_high << 64) | inc_low},
        "has_uint32": has_uint32,
        "uinteger": uinteger,
    }


class BlockDraws:
    """One run's training draws for many steps at once, handed out a step at a time.

    Drawing a block of steps in one numpy call instead of one call a step saves most of the
    per-call overhead. The numbers are exactly a step-by-step engine's: each stream fills its
    arrays sequentially, so a block is the concatenation of the steps' draws, and :meth:`state`
    gives the streams' position after the last step used, not after the block.
    """

    def __init__(self, config: TrainConfig, artist: Artist, dtype: FloatType) -> None:
        self.config, self.artist, self.dtype = config, artist, dtype
        self.condition = make_condition(config)
        self.streams = TrainingStreams.for_run(config)
        self._block_start = self.streams.state()
        self._used: int | None = None  # steps of the current block used; None: no block drawn
        self._block_steps = 0

    def fill(
        self,
        real_a: np.ndarray,
        ideas: np.ndarray,
        mix: np.ndarray,
        condition: np.ndarray,
        noise: np.ndarray | None = None,
    ) -> None:
        """Draw the next block: the artist's ``a`` ``(steps, d_steps, batch)``, ideas ``(steps,
        d_steps, batch, ideas)``, (WGAN-GP; else left alone) mixing weights like ``a``, the
        condition columns of ``a`` ``(steps, d_steps, batch, width)`` (computed, not drawn), and
        (instance noise; else left alone) the noise ``(steps, d_steps, 2, batch, points)``.

        A block abandoned part-way (e.g. the engine redraws after a member was loaded) is not
        skipped: the new block starts after the last step used.
        """
        if self._used is not None and self._used < self._block_steps:
            self.streams.set_state(self.state())
        self._block_start = self.streams.state()
        self._block_steps = real_a.shape[0]
        real_a[...] = self.artist.sample_a(real_a.size, self.streams.artist, self.dtype).reshape(real_a.shape)
        draw_ideas(self.streams.ideas, self.config.prior, dtype=self.dtype, out=ideas)
        condition[...] = self.condition.values(real_a)
        if needs_mix(self.config):
            assert self.streams.mix is not None
            self.streams.mix.random(dtype=self.dtype, out=mix)
        if needs_noise(self.config):
            assert self.streams.noise is not None and noise is not None
            self.streams.noise.standard_normal(dtype=self.dtype, out=noise)
        self._used = 0

    def use(self, steps: int) -> None:
        """Record that ``steps`` more steps of the current block were trained on."""
        assert self._used is not None, "use() before fill()"
        self._used += steps

    def state(self) -> np.ndarray:
        """The streams' position after the last step used (for the checkpoint)."""
        if self._used is None:
            return self.streams.state()
        replay = TrainingStreams.for_run(self.config)
        replay.set_state(self._block_start)
        skip_steps(replay, self._used, self.config, self.dtype)
        return replay.state()

    def set_state(self, words: np.ndarray) -> None:
        """Continue from a saved position (the next step draws a fresh block)."""
        self.streams.set_state(words)
        self._used = None
