"""The conditional GAN (``--condition label|a``): the condition's columns and laws, its metrics on
constructed generators (one that ignores its condition fails, a perfect one passes), the critic,
resume, and the command line. The engines' gradients with a condition are held to autograd in
test_engines.py and test_batched.py."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli
from scipy import stats

from gancurve.core.artist import Artist, ParameterLaw, modes_law
from gancurve.core.condition import Condition, make_condition
from gancurve.core.config import TrainConfig
from gancurve.core.critic import critic_view
from gancurve.core.draws import eval_ideas, fixed_ideas
from gancurve.core.engines.batched import single_run
from gancurve.core.metrics import CONVERGED_MAX_CONDITION_ERROR, quality, verdict
from gancurve.core.networks import initial_weights, network_shapes

ARTIST = Artist()
LABEL, ASKED_A = Condition("label", ARTIST.law), Condition("a", ARTIST.law)
N = 10_000


def paintings_of(a: np.ndarray) -> np.ndarray:
    return ARTIST.paint(np.asarray(a, dtype=np.float64))


def test_the_condition_columns_follow_the_lesson() -> None:
    a = np.array([1.0, 1.49, 1.5, 1.51, 2.0], dtype=np.float32)
    assert LABEL.threshold == 1.5  # the lesson's (a - 1) > 0.5
    assert LABEL.values(a)[:, 0].tolist() == [0, 0, 0, 1, 1] and LABEL.values(a).dtype == np.float32
    assert np.array_equal(ASKED_A.values(a)[:, 0], a)
    assert Condition("none", ARTIST.law).values(a).shape == (5, 0)
    assert (LABEL.width, ASKED_A.width, Condition("none", ARTIST.law).width) == (1, 1, 0)


def test_each_label_has_the_exact_law_of_its_half() -> None:
    lower, upper = LABEL.halves()
    assert (lower.intervals, upper.intervals) == (((1.0, 1.5),), ((1.5, 2.0),))
    four = modes_law(4)
    assert Condition("label", four).halves() == (
        ParameterLaw(four.intervals[:2]),
        ParameterLaw(four.intervals[2:]),
    )
    rng = np.random.default_rng(1)
    sample = rng.uniform(1.5, 2.0, 3000)
    reference = stats.wasserstein_distance(sample, np.linspace(1.5, 2.0, 200_001))
    assert upper.w1(sample) == pytest.approx(reference, abs=1e-5)
    with pytest.raises(ValueError, match="even number of modes"):
        TrainConfig(artist="parabola-modes", modes=3, condition="label")


def test_requests_spread_evenly_over_the_law() -> None:
    requested = LABEL.requested_a(1000)
    assert requested[0] == pytest.approx(1.0005) and requested[-1] == pytest.approx(1.9995)
    assert np.mean(LABEL.values(requested)) == 0.5  # half of each label
    config = TrainConfig(condition="a")
    inputs = eval_ideas(config, 8)
    assert inputs.shape == (8, config.g_inputs) == (8, 6) and inputs.dtype == np.float32
    assert np.allclose(inputs[:, -1], make_condition(config).requested_a(8))
    assert np.array_equal(inputs[:, :5], eval_ideas(TrainConfig(), 8))  # the same ideas as without
    assert fixed_ideas(TrainConfig(condition="label"), 16)[:, -1].tolist() == [0.0] * 8 + [1.0] * 8


def test_a_condition_widens_the_first_layers_only() -> None:
    shapes = network_shapes(TrainConfig(condition="label"))
    assert shapes["generator"]["net.0.weight"] == (128, 6)
    assert shapes["generator"]["net.2.weight"] == (15, 128)
    assert shapes["discriminator"]["net.0.weight"] == (128, 16)
    bound = 1 / math.sqrt(16)  # nn.Linear's init for D's 16 inputs
    assert np.abs(initial_weights(TrainConfig(condition="a"))["discriminator"]["net.0.weight"]).max() <= bound


@pytest.mark.parametrize("condition", [LABEL, ASKED_A])
def test_a_perfect_g_passes_and_one_that_ignores_its_condition_fails(condition: Condition) -> None:
    requested = condition.requested_a(N)
    asked = (condition, requested)
    perfect = quality(paintings_of(requested), ARTIST, asked)
    ignoring = quality(paintings_of(np.random.default_rng(2).permutation(requested)), ARTIST, asked)
    assert perfect.w1 == ignoring.w1 < 1e-3  # the same curves: only the pairing differs
    if condition.name == "label":
        assert perfect.w1_label_0 < 1e-3 and perfect.w1_label_1 < 1e-3
        # A G that ignores the label paints U(1, 2) for both: W1 to a half is 0.25.
        assert ignoring.w1_label_0 == pytest.approx(0.25, abs=0.01)
        assert ignoring.w1_label_1 == pytest.approx(0.25, abs=0.01)
        assert ignoring.a_error is None and "a_error" not in ignoring.to_dict()
    else:
        assert perfect.a_error < 1e-12 and perfect.a_error_p90 < 1e-12
        assert ignoring.a_error == pytest.approx(1 / 3, abs=0.01)  # E|U − U'| for independent U(1, 2)
        assert ignoring.w1_label_0 is None
    assert verdict(perfect, 0.5).label == "converged"
    failed = verdict(ignoring, 0.5)
    assert failed.label == "ignores condition" and "not the ones it is asked for" in failed.reason
    # Every painting a little off what it was asked for, within the verdict's threshold: converged.
    near = quality(paintings_of(requested + 0.9 * CONVERGED_MAX_CONDITION_ERROR), ARTIST, asked)
    assert verdict(near, 0.5).label == "converged"


def test_an_unconditional_quality_has_no_condition_metrics() -> None:
    q = quality(paintings_of(np.linspace(1, 2, 500)), ARTIST, (Condition("none", ARTIST.law), np.ones(500)))
    assert not {"w1_label_0", "a_error"} & set(q.to_dict())


def test_the_optimal_d_given_the_label_for_a_g_whose_law_is_known() -> None:
    """G paints U(1.25, 1.5) for label 0 and U(1.5, 2) for label 1; each label holds half the
    artist's U(1, 2), density 2 on its half. At each painting's own label: D* = 2/(2 + 0) = 1 on
    (1, 1.25), 2/(2 + 4) = 1/3 on (1.25, 1.5), 2/(2 + 2) = 1/2 on (1.5, 2)."""
    rng = np.random.default_rng(3)
    g_a = np.concatenate([rng.uniform(1.25, 1.5, 20_000), rng.uniform(1.5, 2.0, 20_000)])
    labels = np.repeat([0.0, 1.0], 20_000)
    weights = initial_weights(TrainConfig(condition="label"))["discriminator"]
    view = critic_view(weights, ARTIST, g_a, "minimax", LABEL, g_labels=labels)
    assert view.d_star is not None and view.gap is not None and view.condition == "label"
    for a, expected in ((1.1, 1.0), (1.17, 1.0), (1.37, 1 / 3), (1.65, 0.5), (1.85, 0.5)):
        assert view.d_star[np.argmin(np.abs(view.a - a))] == pytest.approx(expected, abs=0.03), a
    assert critic_view(weights, ARTIST, g_a, "minimax", ASKED_A).d_star is None  # no D* for an asked a
    assert critic_view(weights, ARTIST, g_a, "minimax", LABEL, g_labels=np.zeros(len(g_a))).d_star is None


def test_a_conditional_critic_shows_d_with_each_paintings_own_condition() -> None:
    config = TrainConfig(condition="label", seed=3)
    engine = single_run(config)
    engine.advance(200)
    weights = engine.state().weights["discriminator"]
    a_hat = ARTIST.fit(engine.paint(eval_ideas(config, 2000)))[0]
    view = critic_view(weights, ARTIST, a_hat, "minimax", make_condition(config))
    assert view.d_star is None and view.gap is None and view.condition == "label"
    assert np.all((view.d > 0) & (view.d < 1)) and np.isfinite(view.push).all()


def test_a_conditional_run_resumes_exactly(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    common = ["--condition", "a", "--eval-every", "100", "--checkpoint-every", "100", *runs]
    assert run_cli("train", "--steps", "200", "--name", "whole", *common)[0] == 0
    assert run_cli("train", "--steps", "100", "--name", "split", *common)[0] == 0
    code, _, stderr = run_cli("train", "--steps", "200", "--name", "split", "--resume", *common)
    assert code == 0, stderr
    whole = (tmp_path / "whole" / "metrics.csv").read_text().splitlines()
    split = (tmp_path / "split" / "metrics.csv").read_text().splitlines()
    assert whole == split and "a_error" in whole[0]
    again = ("--steps", "300", "--name", "split", "--resume", "--condition", "label")
    for force in ((), ("--force",)):  # a label is not an a, even with --force
        code, _, stderr = run_cli("train", *again, *force, *runs)
        assert code == 2 and stderr.count("\n") == 1 and "Cannot change condition" in stderr, stderr


def test_the_lesson_from_the_command_line(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    code, _, stderr = run_cli("train", "--condition", "label", "--steps", "300", "--eval-every", "100",
                              "--name", "lesson", *runs)  # fmt: skip
    assert code == 0, stderr
    config = json.loads((tmp_path / "lesson" / "config.json").read_text())["config"]
    assert config["condition"] == "label"
    code, stdout, _ = run_cli(
        "sample", "--run", "lesson", "-n", "4", "--label", "1", "--format", "json", *runs
    )
    samples = json.loads(stdout)
    assert code == 0 and samples["label"] == [1.0] * 4 and len(samples["y"]) == 4
    code, stdout, _ = run_cli("sample", "--run", "lesson", "-n", "4", "--format", "csv", *runs)
    rows = stdout.splitlines()
    assert rows[0].endswith(",label")
    assert [row.split(",")[-1] for row in rows[1:]] == ["0.0", "0.0", "1.0", "1.0"]  # an even spread
    code, stdout, _ = run_cli("evaluate", "--run", "lesson", "--json", "-n", "2000", *runs)
    result = json.loads(stdout)
    assert code == 0 and {"w1_label_0", "w1_label_1"} <= set(result["generator"])
    assert result["artist"]["w1_label_0"] < 0.01 and result["ideal"]["w1_label_1"] == 0.0
    code, stdout, _ = run_cli("evaluate", "--run", "lesson", *runs)
    assert "W1, label 0" in stdout and "W1, label 1" in stdout
    for args, fragment in [
        (("--a", "1.3"), "ask with --label"),
        (("--label", "1", "--a", "1.3"), "not both"),
        (("--label", "2"), "--label"),
    ]:
        code, _, stderr = run_cli("sample", "--run", "lesson", *args, *runs)
        assert code == 2 and fragment in stderr and stderr.count("\n") == 1, stderr
    assert run_cli("plot", "--run", "lesson", *runs)[0] == 0
    assert run_cli("animate", "--run", "lesson", str(tmp_path / "lesson.gif"), *runs)[0] == 0
    assert (tmp_path / "lesson.gif").stat().st_size > 0


def test_asking_a_run_without_a_condition_is_a_usage_error(trained_runs_dir: Path) -> None:
    for args in (("--label", "1"), ("--a", "1.2")):
        code, _, stderr = run_cli("sample", "--runs-dir", str(trained_runs_dir), "--run", "tiny", *args)
        assert code == 2 and "trained without a condition" in stderr and stderr.count("\n") == 1


def test_a_conditional_sweep_summarises_the_condition(tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)]
    code, stdout, stderr = run_cli("sweep", "--seeds", "2", "--steps", "100", "--eval-every", "100",
                                   "--condition", "a", "--name", "s", "--json", *runs)  # fmt: skip
    assert code == 0, stderr
    aggregate = json.loads(stdout)["aggregate"]
    assert aggregate["a_error_mean"] > 0 and "a_error_p90_mean" in aggregate
    header = (tmp_path / "s" / "summary.csv").read_text().splitlines()[0].split(",")
    assert header[-3:] == ["a_error", "a_error_p90", "reason"]
    code, stdout, _ = run_cli(
        "sample", "--run", "s/seed-1", "-n", "2", "--a", "1.7", "--format", "json", *runs
    )
    assert code == 0 and json.loads(stdout)["a"] == pytest.approx([1.7, 1.7])
    code, _, stderr = run_cli("sample", "--run", "s/seed-1", "-n", "2", "--a", "2.5", *runs)
    assert code == 0 and "outside the artist's [1, 2]" in stderr and "extrapolates" in stderr
    code, _, stderr = run_cli("sample", "--run", "s/seed-1", "--a", "nan", *runs)
    assert code == 2 and "finite" in stderr and stderr.count("\n") == 1


def test_a_conditional_generator_exports_with_its_condition_column(tmp_path: Path) -> None:
    """``export model``: the exported G takes the ideas with the condition appended, and paints
    what the run's own G paints for them."""
    import torch

    from gancurve.core.networks import paint
    from gancurve.store.checkpoint import load_checkpoint
    from gancurve.store.rundir import RunDir

    runs = ["--runs-dir", str(tmp_path)]
    assert run_cli("train", "--condition", "label", "--steps", "100", "--name", "c", *runs)[0] == 0
    output = tmp_path / "g.pt2"
    code, stdout, stderr = run_cli("export", "model", str(output), "--run", "c", *runs)
    assert code == 0 and "ideas ⊕ label (n, 6)" in stdout, stderr
    inputs = LABEL.joined(
        np.random.default_rng(0).standard_normal((9, 5)).astype(np.float32), np.full(9, 1.8)
    )
    exported = torch.export.load(str(output)).module()(torch.from_numpy(inputs)).detach().numpy()
    generator = load_checkpoint(RunDir(tmp_path / "c")).state.weights["generator"]
    assert np.abs(exported - paint(generator, inputs)).max() < 1e-5
