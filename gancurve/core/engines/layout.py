"""The batched engines' memory layout, shared by the compiled CPU step and the torch one.

A member's weights are one flat vector per network (``I`` ideas, ``H`` hidden, ``P`` points):

- G: ``W1 (I, H) | b1 (H) | W2 (P, H) | b2 (P)``
- D: ``V1 (P, H) | c1 (H) | v2 (H) | c2 (1)``

``W1`` and ``V1`` are torch's first-layer weights transposed, so that the hidden units are the
contiguous axis. The per-member numbers the step reads are the columns of a ``hyper`` table.
"""

from __future__ import annotations

#: Columns of the per-member hyper-parameter table ``hyper`` (float64). ``LOSS`` is the
#: objective's code (:data:`~gancurve.core.objectives.LOSS_CODES`); ``DECAY_START``/``DECAY_END``
#: are the linear learning-rate decay's steps (both 0: constant); ``R1`` is the penalty's γ;
#: ``EMA`` the decay of the average of G's weights (0: none kept); ``NOISE`` instance noise's σ
#: (0: none); ``OPTIMIZER`` the optimizer's code (:data:`~gancurve.core.config.OPTIMIZER_CODES`:
#: 0 Adam, 1 SGD) and ``MOMENTUM`` SGD's momentum (SGD keeps its momentum buffer where Adam keeps
#: its first moment, and leaves the second at 0); ``EMA_START`` the step up to which G's average is
#: G itself (0: it averages from the start); ``SCHEDULE`` the learning-rate schedule's code
#: (:data:`~gancurve.core.schedule.SCHEDULE_CODES`) and ``WARMUP`` the warm-up's steps.
(
    LR_G,
    LR_D,
    BETA1,
    BETA2,
    EPS,
    LOSS,
    DECAY_START,
    DECAY_END,
    R1,
    EMA,
    NOISE,
    OPTIMIZER,
    MOMENTUM,
    EMA_START,
    SCHEDULE,
    WARMUP,
) = range(16)
HYPER_COLUMNS = 16
#: Per member, the last step's logits: D on the artist's batch, D on G's batch, new D on G's batch.
LOGIT_PARTS = 3


def generator_size(ideas: int, hidden: int, points: int) -> int:
    """Numbers in G's flat weight vector."""
    return ideas * hidden + hidden + points * hidden + points


def discriminator_size(points: int, hidden: int) -> int:
    """Numbers in D's flat weight vector."""
    return points * hidden + 2 * hidden + 1
