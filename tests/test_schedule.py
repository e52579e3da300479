"""Learning-rate schedules: the factor, the config's checks and the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import run_cli

from gancurve.core.config import TrainConfig
from gancurve.core.schedule import SCHEDULE_CODES, decay_factor, linear_decay_factor, warmup_factor


def test_linear_decay_falls_from_its_start_to_zero_at_its_end() -> None:
    assert [linear_decay_factor(step, 10, 20) for step in (1, 10, 11, 15, 19, 20, 30)] == [
        1.0, 1.0, 0.9, 0.5, pytest.approx(0.1), 0.0, 0.0
    ]  # fmt: skip
    assert linear_decay_factor(5, 0, 0) == 1.0  # the constant schedule
    linear = SCHEDULE_CODES["linear-decay"]
    assert [decay_factor(step, linear, 10, 20) for step in (1, 10, 11, 15, 20, 30)] == [
        linear_decay_factor(step, 10, 20) for step in (1, 10, 11, 15, 20, 30)
    ]


def test_cosine_falls_along_half_a_cosine_and_the_warmup_rises_from_zero() -> None:
    cosine = SCHEDULE_CODES["cosine"]
    assert [decay_factor(step, cosine, 10, 20) for step in (1, 10, 15, 20, 30)] == [
        1.0, 1.0, pytest.approx(0.5), 0.0, 0.0
    ]  # fmt: skip
    assert decay_factor(12, cosine, 10, 20) == pytest.approx((1 + math.cos(math.pi * 0.2)) / 2)
    assert decay_factor(12, cosine, 10, 20) > linear_decay_factor(12, 10, 20)  # slower at first
    assert decay_factor(18, cosine, 10, 20) < linear_decay_factor(18, 10, 20)  # faster at the end
    assert decay_factor(5, cosine, 0, 0) == 1.0
    assert [warmup_factor(step, 4) for step in (1, 2, 4, 9)] == [0.25, 0.5, 1.0, 1.0]
    assert warmup_factor(1, 0) == 1.0  # none


@pytest.mark.parametrize(
    "fields",
    [
        {"lr_schedule": "cosine"},  # a decay needs its steps
        {"lr_schedule": "exponential"},
        {"decay_start": 5},
        {"lr_schedule": "linear-decay", "decay_start": 9, "decay_end": 9},
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TrainConfig(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("schedule", ["linear-decay", "cosine"])
def test_the_command_line_fixes_the_decay_in_steps(schedule: str, tmp_path: Path) -> None:
    options = ["--lr-schedule", schedule, "--decay-start", "0.25", "--warmup", "10"]
    code, _, stderr = run_cli("train", *options, "--steps", "80", "--name", "d", "--runs-dir", str(tmp_path))
    assert code == 0, stderr
    config = json.loads((tmp_path / "d" / "config.json").read_text())["config"]
    assert (config["lr_schedule"], config["decay_start"], config["decay_end"]) == (schedule, 20, 80)
    assert config["warmup"] == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--decay-start", "0.5"], "--lr-schedule linear-decay"), (["--lr-schedule", "linear-decay",
      "--decay-start", "1"], "--decay-start"), (["--lr-schedule", "step"], "constant, linear-decay, cosine"),
     (["--warmup", "-3"], "--warmup must be a whole number of steps")],
)  # fmt: skip
def test_bad_schedule_options_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    code, _, stderr = run_cli("train", *args, "--runs-dir", str(tmp_path))
    assert code == 2 and stderr.count("\n") == 1 and message in stderr
    assert not any(tmp_path.iterdir())
