"""``evaluate``: score a trained generator against the artist it imitates, exactly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from gancurve.core.artist import Artist, ParameterLaw, make_artist
from gancurve.core.condition import Condition, make_condition
from gancurve.core.config import PAINTINGS_MAX, TrainConfig
from gancurve.core.critic import real_slopes
from gancurve.core.draws import ARTIST_FLOOR_STREAM, draw_ideas, stream
from gancurve.core.metrics import TARGET_SPREAD, Verdict, quality, verdict
from gancurve.core.networks import Weights, logits, paint
from gancurve.core.objectives import OBJECTIVES
from gancurve.core.stats import discriminator_stats
from gancurve.errors import UsageError
from gancurve.store.checkpoint import load_networks
from gancurve.store.rundir import RunDir

#: D's slope at the real painting of the law's median (``core.critic.real_slopes``), as
#: ``evaluate`` and a sweep's summary report it.
SLOPE_KEYS = ("d_slope_real", "d_slope_a")
#: The ideal value of each quality metric (what a perfect generator gets with infinite samples).
IDEAL = {
    "w1": 0.0,
    "ks": 0.0,
    "residual": 0.0,
    "in_bounds": 1.0,
    "spread": TARGET_SPREAD,
    "coverage": 1.0,
    "w1_label_0": 0.0,
    "w1_label_1": 0.0,
    "a_error": 0.0,
    "a_error_p90": 0.0,
}


def ideal(loss: str, law: ParameterLaw | None = None) -> dict[str, float | None]:
    """Every metric's ideal for a run of this objective and artist: D's at the objective's
    equilibrium, the spread of the artist's law, (with modes) every mode captured, and (a point)
    no offset and a flat D at the point — the Dirac-GAN's equilibrium; for a law with a width D's
    slope at one real painting has no ideal of its own (None)."""
    objective = OBJECTIVES[loss]
    d_loss = objective.d_loss_at_equilibrium
    modes: dict[str, float | None] = {}
    if law is not None and law.modes > 1:
        modes = {"modes_captured": float(law.modes), "high_quality": 1.0, "mode_kl": 0.0}
    point = law is not None and law.is_point
    if point:
        modes["a_offset"] = 0.0
    flat = 0.0 if point else None
    return {
        **IDEAL,
        "spread": law.std if law is not None else TARGET_SPREAD,
        **modes,
        "d_accuracy": objective.view_at_equilibrium,
        "d_score": None if d_loss is None else 0.0 - d_loss,  # 0.0 − d: never "-0.000"
        "d_slope_real": flat,
        "d_slope_a": flat,
    }


@dataclass(frozen=True)
class Evaluation:
    """G's metrics, the artist's own (the floor for this sample size), and the verdict."""

    run: str
    step: int
    samples: int
    generator: dict[str, float]
    artist: dict[str, float]
    verdict: Verdict
    loss: str  # the run's objective: what d_accuracy and d_score mean
    ema: float = 0.0  # the decay of G's moving average that was scored; 0: G itself


def evaluate_run(run: RunDir, n: int, seed: int, raw: bool = False) -> tuple[Evaluation, TrainConfig]:
    """Draw ``n`` paintings from G (its moving average when the run keeps one, unless ``raw``)
    and ``n`` from the artist; score both the same way. With the config they were scored by:
    the checkpoint's (what the run is), which a copied or edited config.json may contradict."""
    if not 2 <= n <= PAINTINGS_MAX:
        raise UsageError(f"-n must be from 2 to {PAINTINGS_MAX:,}, got {n:,}.")
    weights, config, step = load_networks(run, raw)
    result = evaluate_weights(weights, config, run.name, step, n, seed)
    return dataclasses.replace(result, ema=0.0 if raw else config.ema), config


def evaluate_weights(
    weights: dict[str, Weights], config: TrainConfig, name: str, step: int, n: int, seed: int
) -> Evaluation:
    """:func:`evaluate_run` on weights in memory (a sweep scores its members without reading them back)."""
    draws = evaluation_draws(config, n, seed)
    generator, judged = score_generator(weights, config, draws)
    # The artist "playing G": its second, independent real sample, scored the same way (the floor).
    a_view, a_score = discriminator_stats(
        config.loss, draws.d_logits(weights, draws.real, draws.real_a), draws.d_logits(weights, *draws.floor)
    )
    a_quality = quality(draws.floor[0], draws.artist, (draws.condition, draws.floor[1]))
    # The artist's view: the tutorial's accuracy looks at real paintings only (the same number);
    # a margin compares them with the second real sample instead of G's. D's slope at the real
    # painting is D's alone: the same number in both columns.
    slopes = {key: generator[key] for key in SLOPE_KEYS}
    return Evaluation(
        run=name,
        step=step,
        samples=n,
        generator=generator,
        artist={**a_quality.to_dict(), "d_accuracy": a_view, "d_score": a_score, **slopes},
        verdict=judged,
        loss=config.loss,
    )


@dataclass(frozen=True)
class EvaluationDraws:
    """What an evaluation draws, whatever the generator: G's ideas and the conditions asked of
    them, the artist's real paintings, and its second sample (the floor). The same for every
    run of one artist, condition and size, so a sweep draws them once for all its members."""

    artist: Artist
    condition: Condition
    g_inputs: np.ndarray  # the ideas, joined with the conditions asked
    requested: np.ndarray  # the a each row of G is asked for (what D is told of G's paintings)
    real: np.ndarray
    real_a: np.ndarray
    floor: tuple[np.ndarray, np.ndarray]  # the second real sample: its paintings and their a

    def d_logits(self, weights: dict[str, Weights], paintings: np.ndarray, a: np.ndarray) -> np.ndarray:
        """D's logits for paintings, each told its row's condition."""
        return logits(weights["discriminator"], self.condition.joined(paintings, a))


def evaluation_draws(config: TrainConfig, n: int, seed: int) -> EvaluationDraws:
    """The draws of an evaluation of ``n`` paintings with ``seed`` (see :class:`EvaluationDraws`)."""
    artist, condition = make_artist(config), make_condition(config)
    rng = stream(seed)
    requested = condition.requested_a(n)  # a conditional G is asked for evenly spread conditions
    ideas = draw_ideas(rng, config.prior, (n, config.ideas))
    real_a = artist.sample_a(n, rng)
    floor_a = artist.sample_a(n, stream(seed, ARTIST_FLOOR_STREAM))
    return EvaluationDraws(
        artist,
        condition,
        condition.joined(ideas, requested),
        requested,
        artist.paint(real_a),
        real_a,
        (artist.paint(floor_a), floor_a),
    )


def score_generator(
    weights: dict[str, Weights], config: TrainConfig, draws: EvaluationDraws
) -> tuple[dict[str, float], Verdict]:
    """G's metrics and D's view of it on ``draws``, and the verdict: what a sweep's summary row
    records of each member, and what ``evaluate`` says of a run."""
    fake = paint(weights["generator"], draws.g_inputs)
    view, score = discriminator_stats(
        config.loss,
        draws.d_logits(weights, draws.real, draws.real_a),
        draws.d_logits(weights, fake, draws.requested),
    )
    g_quality = quality(fake, draws.artist, (draws.condition, draws.requested))
    judged = verdict(g_quality, view, OBJECTIVES[config.loss], draws.artist.law)
    slope, along = real_slopes(weights["discriminator"], draws.artist, draws.condition)
    metrics = {**g_quality.to_dict(), "d_accuracy": view, "d_score": score}
    return {**metrics, "d_slope_real": slope, "d_slope_a": along}, judged
