"""Seeds and random draws: what every engine draws, in which order, from which stream.

A run's randomness comes from its seed alone, through numpy's documented ``PCG64`` bit
generator seeded by ``SeedSequence``: the same seed gives the same numbers on every machine
and every numpy ≥ 1.17. Streams, each derived from the run's seed:

- the **weights** stream draws G's and D's initial weights (see :mod:`gancurve.core.networks`);
- the **training** stream draws, every step, the artist's batch and then G's ideas;
- side streams draw the fixed snapshot ideas and the evaluation ideas, so that changing how
  often a run snapshots or evaluates never changes the run itself.

Engines on a GPU draw their training stream on the device with torch's generator instead (a
CUDA graph cannot call numpy); see docs/design.md for which runs are bit-reproducible where.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig

FloatType = type[np.floating[Any]]

#: Streams, by the number that derives their seed from the run's.
WEIGHTS_STREAM = 0
FIXED_IDEAS_STREAM = 1
EVAL_IDEAS_STREAM = 2
ARTIST_FLOOR_STREAM = 3
TRAINING_STREAM = 4
#: A run written by gancurve 0.1.0 (torch's generator) continues on a numpy stream from here.
LEGACY_CONTINUATION_STREAM = 5


def stream(seed: int, *path: int) -> np.random.Generator:
    """The numpy generator of a named stream of ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *path])))


def derived_seed(seed: int, stream_number: int) -> int:
    """An independent 63-bit seed for a named side stream (for generators that take an int)."""
    return int(np.random.SeedSequence([seed, stream_number]).generate_state(1, dtype=np.uint64)[0] >> 1)


def training_stream(config: TrainConfig) -> np.random.Generator:
    """The generator of a run's per-step draws."""
    return stream(config.seed, TRAINING_STREAM)


def fixed_ideas(config: TrainConfig, n: int = 16) -> np.ndarray:
    """The ideas used for every snapshot of a run, so pictures stay comparable over time."""
    return stream(config.seed, FIXED_IDEAS_STREAM).standard_normal((n, config.ideas), dtype=np.float32)


def eval_ideas(config: TrainConfig, n: int) -> np.ndarray:
    """The ideas a run's evaluations paint from: the same at every evaluation of the run."""
    return stream(config.seed, EVAL_IDEAS_STREAM).standard_normal((n, config.ideas), dtype=np.float32)


def draw_batch(
    artist: ParabolaArtist, config: TrainConfig, rng: np.random.Generator, dtype: FloatType = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """One step's random draws, in the order every CPU engine uses: the artist's batch, then the ideas."""
    real = artist.sample(config.batch_size, rng, dtype)
    ideas = rng.standard_normal((config.batch_size, config.ideas), dtype=dtype)
    return real, ideas


def generator_state(rng: np.random.Generator) -> np.ndarray:
    """A PCG64 generator's full state as six uint64 words (for the checkpoint)."""
    state = rng.bit_generator.state
    words = [state["state"]["state"], state["state"]["inc"]]
    halves = [part for word in words for part in (word >> 64, word & (2**64 - 1))]
    return np.array([*halves, state["has_uint32"], state["uinteger"]], dtype=np.uint64)


def set_generator_state(rng: np.random.Generator, words: np.ndarray) -> None:
    """Restore :func:`generator_state`; ``ValueError`` if the words are not one."""
    if words.dtype != np.uint64 or words.shape != (6,):
        raise ValueError("the random generator state is not six 64-bit words")
    high, low, inc_high, inc_low, has_uint32, uinteger = (int(w) for w in words)
    rng.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": (high << 64) | low, "inc": (inc_high << 64) | inc_low},
        "has_uint32": has_uint32,
        "uinteger": uinteger,
    }
