"""The GAN objectives a run can train with, and what each one's numbers mean (plain Python:
the CLI's help reads it without numpy).

Every objective is written on D's logit ``l`` (the output before the sigmoid). Per painting,
D's loss has a term on the artist's paintings and one on G's; G's loss has one on its own:

============== ============================ ============================ ========================
loss           D, artist's painting         D, G's painting              G, its painting
============== ============================ ============================ ========================
minimax        ``−log σ(l)``                ``−log(1 − σ(l))``           ``log(1 − σ(l))``
non-saturating ``−log σ(l)``                ``−log(1 − σ(l))``           ``−log σ(l)``
least-squares  ``½ (l − 1)²``               ``½ l²``                     ``½ (l − 1)²``
hinge          ``max(0, 1 − l)``            ``max(0, 1 + l)``            ``−l``
wasserstein-gp ``−l``                       ``l``                        ``−l``
============== ============================ ============================ ========================

Each loss is the mean of its terms over the batch. The least-squares loss (Mao et al. 2017) and
the hinge loss (Lim & Ye 2017; Miyato et al. 2018) and the Wasserstein critic with its gradient
penalty (WGAN-GP, Gulrajani et al. 2017: ``λ·(‖∇ₓ̂ l(x̂)‖ − 1)²`` with λ = 10 at points
``x̂ = ε·x + (1 − ε)·G(z)`` between an artist's painting and one of G's, ``ε ~ U(0, 1)``) read
``l`` as D's raw output, not through a
sigmoid, so "D's probability that a painting is real" is not theirs to report: each objective
names what the ``d_accuracy`` column of metrics.csv holds for it (its *view*), where its numbers
settle when D can no longer tell the two apart, and how close to that level the verdict wants
the view of a converged run (0.05 for the tutorial's accuracy; 0.1 for the hinge's margin, a
difference of two means each held to 0.05). ``d_score`` is always ``−d_loss``, D's
objective, which D maximises (for the tutorial's loss, ``log D(x) + log(1 − D(G(z)))``). A
penalty (``--r1``) is not part of ``d_loss``: the columns stay comparable across penalties.

The terms are written three times, each where its engine needs it: in numpy in
:mod:`gancurve.core.stats` (a step's numbers from its logits), their derivatives by hand in the
compiled step (:mod:`gancurve.core.engines.kernel`), and in torch in :mod:`gancurve.core.losses`
for the autograd engines; tests hold the three together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Objective:
    """What one ``--loss`` means for the numbers a run reports."""

    name: str
    help: str  # one line for ``train -h`` and the docs
    view: str  # the short name of what the d_accuracy column holds for this loss ...
    view_help: str  # ... and what it is
    view_at_equilibrium: float  # ... when D cannot tell real from fake ...
    view_tolerance: float  # ... and how close to that a converged run's view must be
    d_loss_at_equilibrium: float | None  # D's loss there (None: not one number)
    g_loss_at_equilibrium: float | None  # G's loss there (None: not one number)

    @property
    def probabilistic(self) -> bool:
        """Whether D's output is a probability through a sigmoid (the tutorial's reading)."""
        return self.name in ("minimax", "non-saturating")


_LOG2 = math.log(2.0)
_ACCURACY = ("D accuracy", "D's mean probability that the artist's paintings are real")
_MARGIN = ("D margin", "D's mean output on the artist's paintings minus its mean on G's")
OBJECTIVES = {
    "minimax": Objective(
        "minimax", "the tutorial's: G minimises log(1 - D(G(z)))", *_ACCURACY, 0.5, 0.05, 2 * _LOG2, -_LOG2
    ),
    "non-saturating": Objective(
        "non-saturating", "G minimises -log D(G(z)), a strong gradient while D wins", *_ACCURACY, 0.5, 0.05,
        2 * _LOG2, _LOG2,
    ),
    "least-squares": Objective(
        "least-squares", "LSGAN: D's output is pulled to 1 on real and 0 on fake, G pulls it to 1",
        "D output", "D's mean raw output on the artist's paintings", 0.5, 0.05, 0.25, 0.125,
    ),
    "hinge": Objective(
        "hinge", "D: max(0, 1 - D(x)) + max(0, 1 + D(G(z))), G maximises D(G(z))", *_MARGIN, 0.0, 0.1,
        2.0, None,
    ),
    "wasserstein-gp": Objective(
        "wasserstein-gp", "WGAN-GP: a critic whose gap real - fake estimates W1, with a gradient penalty",
        *_MARGIN, 0.0, 0.1, 0.0, None,
    ),
}  # fmt: skip
#: WGAN-GP's penalty weight λ (Gulrajani et al.'s, for every problem they tried).
WGAN_GP_WEIGHT = 10.0
#: The losses a run may choose, in the order the help lists them; the first is the default.
LOSSES = tuple(OBJECTIVES)
#: Their index: the code the compiled step reads from a member's hyper table.
LOSS_CODES = {name: float(index) for index, name in enumerate(LOSSES)}
