"""Seeds and random draws: what every engine draws, in which order, from which stream.

A run's randomness comes from its seed alone. The training stream (the artist's batch, then
G's ideas, every step) belongs to the engine; side streams (the fixed snapshot ideas, the
evaluation ideas) have seeds of their own derived from the run's, so that changing how often
a run snapshots or evaluates never changes the run itself.
"""

from __future__ import annotations

import numpy as np
import torch

from gancurve.core.artist import ParabolaArtist
from gancurve.core.config import TrainConfig

#: Side streams, by the number that derives their seed from the run's.
FIXED_IDEAS_STREAM = 1
EVAL_IDEAS_STREAM = 2
ARTIST_FLOOR_STREAM = 3


def derived_seed(seed: int, stream: int) -> int:
    """An independent seed for a named side stream (fixed ideas, evaluation samples...).

    Side streams must not draw from the training generator: otherwise changing how
    often we take snapshots would change the training run itself.
    """
    return int(np.random.SeedSequence([seed, stream]).generate_state(1, dtype=np.uint64)[0] >> 1)


def fixed_ideas(config: TrainConfig, n: int = 16) -> torch.Tensor:
    """The ideas used for every snapshot of a run, so pictures stay comparable over time."""
    rng = torch.Generator().manual_seed(derived_seed(config.seed, FIXED_IDEAS_STREAM))
    return torch.randn(n, config.ideas, generator=rng)


def eval_ideas(config: TrainConfig, n: int) -> torch.Tensor:
    """The ideas a run's evaluations paint from: the same at every evaluation of the run."""
    rng = torch.Generator().manual_seed(derived_seed(config.seed, EVAL_IDEAS_STREAM))
    return torch.randn(n, config.ideas, generator=rng)


def draw_batch(
    artist: ParabolaArtist, config: TrainConfig, rng: torch.Generator, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step's random draws, in the order every engine uses: the artist's batch, then the ideas."""
    real = artist.sample(config.batch_size, rng, dtype)
    ideas = torch.randn(config.batch_size, config.ideas, generator=rng, device=rng.device, dtype=dtype)
    return real, ideas
