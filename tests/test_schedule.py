"""Learning-rate schedules: the factor, the config's checks and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

from gancurve.core.config import TrainConfig
from gancurve.core.schedule import linear_decay_factor


def test_linear_decay_falls_from_its_start_to_zero_at_its_end() -> None:
    assert [linear_decay_factor(step, 10, 20) for step in (1, 10, 11, 15, 19, 20, 30)] == [
        1.0, 1.0, 0.9, 0.5, pytest.approx(0.1), 0.0, 0.0
    ]  # fmt: skip
    assert linear_decay_factor(5, 0, 0) == 1.0  # the constant schedule


@pytest.mark.parametrize(
    "fields",
    [
        {"lr_schedule": "cosine"},
        {"decay_start": 5},
        {"lr_schedule": "linear-decay", "decay_start": 9, "decay_end": 9},
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TrainConfig(**fields)  # type: ignore[arg-type]


def test_the_command_line_fixes_the_decay_in_steps(tmp_path: Path) -> None:
    schedule = ["--lr-schedule", "linear-decay", "--decay-start", "0.25"]
    code, _, stderr = run_cli("train", *schedule, "--steps", "80", "--name", "d", "--runs-dir", str(tmp_path))
    assert code == 0, stderr
    config = json.loads((tmp_path / "d" / "config.json").read_text())["config"]
    assert (config["lr_schedule"], config["decay_start"], config["decay_end"]) == ("linear-decay", 20, 80)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--decay-start", "0.5"], "--lr-schedule linear-decay"), (["--lr-schedule", "linear-decay",
      "--decay-start", "1"], "--decay-start"), (["--lr-schedule", "cosine"], "constant, linear-decay")],
)  # fmt: skip
def test_bad_schedule_options_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    code, _, stderr = run_cli("train", *args, "--runs-dir", str(tmp_path))
    assert code == 2 and stderr.count("\n") == 1 and message in stderr
    assert not any(tmp_path.iterdir())
