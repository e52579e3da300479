"""``--recipe``: each preset resolves to its documented values; options given explicitly win."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from gancurve.core.config import TrainConfig
from gancurve.core.recipes import RECIPES, choose, describe
from gancurve.store.checkpoint import load_checkpoint
from gancurve.store.runs import find_run

NOTHING_GIVEN = {"lr_g": None, "lr_d": None, "loss": None, "r1": None, "batch_size": None}


def resolve(recipe: str | None, given: dict[str, object] | None = None, **options: object) -> TrainConfig:
    """The config a fresh 10,000-step run gets from these options."""
    return choose({**NOTHING_GIVEN, **(given or {}), "recipe": recipe, **options}, 10_000).config


def test_tutorial_is_the_defaults() -> None:
    assert resolve("tutorial") == TrainConfig() == resolve(None)


def test_best_is_what_docs_recipes_md_names() -> None:
    best = resolve("best")
    assert (best.loss, best.lr_g, best.lr_d, best.beta1, best.beta2) == (
        "non-saturating",
        8e-4,
        8e-4,
        0.0,
        0.99,
    )
    assert (best.lr_schedule, best.decay_start, best.decay_end) == ("linear-decay", 5_000, 10_000)
    recipes_md = (Path(__file__).parents[1] / "docs" / "recipes.md").read_text()
    assert "--recipe best" in recipes_md


def test_explicit_options_override_a_recipe() -> None:
    config = resolve("best", {"lr_g": 1e-3, "loss": "hinge"}, betas=(0.5, 0.9), decay_start=0.3)
    assert (config.lr_g, config.lr_d, config.loss) == (1e-3, 8e-4, "hinge")
    assert (config.beta1, config.beta2, config.decay_start) == (0.5, 0.9, 3_000)
    constant = resolve("best", lr_schedule="constant")
    assert (constant.lr_schedule, constant.decay_start, constant.decay_end) == ("constant", 0, 0)
    with pytest.raises(ValueError, match="decay_start belongs"):
        resolve("best", lr_schedule="constant", decay_start=0.3)


def test_every_recipe_is_a_valid_config_with_a_summary() -> None:
    for name, recipe in RECIPES.items():
        assert recipe.name == name and recipe.summary
        resolve(name)  # raises if a preset's value is not a valid config


def test_describe_names_the_choices() -> None:
    line = describe(resolve("best", {"r1": 1.0}))
    assert line == "non-saturating · Adam 0.0008, betas 0/0.99 · linear decay steps 5,000–10,000 · R1 1"
    assert describe(TrainConfig()) == "minimax · Adam 0.0001, betas 0.9/0.999"


def test_train_with_a_recipe_saves_its_values(tmp_path: Path) -> None:
    code, stdout, stderr = run_cli("train", "--recipe", "best", "--lr-d", "4e-4", "--steps", "40",
                                   "--name", "r", "--runs-dir", str(tmp_path), "--json")  # fmt: skip
    assert code == 0, stderr
    config = json.loads((tmp_path / "r" / "config.json").read_text())["config"]
    assert (config["loss"], config["lr_g"], config["lr_d"], config["decay_end"]) == (
        "non-saturating",
        8e-4,
        4e-4,
        40,
    )
    assert json.loads(stdout)["recipe"].startswith("non-saturating · Adam G 0.0008, D 0.0004")


# -- a recipe in a file ---------------------------------------------------------------------------

MINE = 'loss = "hinge"\nlr_g = 3e-4\nbetas = [0.5, 0.9]\nlr_schedule = "linear-decay"\ndecay_start = 0.25\n'


def test_a_recipe_file_gives_its_options_and_options_given_win(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(MINE)
    (tmp_path / "mine.json").write_text(json.dumps({"loss": "hinge", "lr_g": 3e-4, "betas": [0.5, 0.9]}))
    code, _, stderr = run_cli("train", "--recipe", str(tmp_path / "mine.toml"), "--lr-g", "2e-4", "--steps",
                              "40", "--name", "t", "--runs-dir", str(tmp_path / "runs"))  # fmt: skip
    assert code == 0, stderr
    config = TrainConfig.from_dict(
        json.loads((tmp_path / "runs" / "t" / "config.json").read_text())["config"]
    )
    assert (config.loss, config.lr_g, config.beta1, config.beta2) == ("hinge", 2e-4, 0.5, 0.9)
    assert (config.lr_schedule, config.decay_start, config.decay_end) == ("linear-decay", 10, 40)
    code, _, stderr = run_cli("train", "--recipe", str(tmp_path / "mine.json"), "--steps", "40",
                              "--name", "j", "--runs-dir", str(tmp_path / "runs"))  # fmt: skip
    assert code == 0, stderr
    assert json.loads((tmp_path / "runs" / "j" / "config.json").read_text())["config"]["lr_g"] == 3e-4


@pytest.mark.parametrize(
    ("content", "said"),
    [('loss = "hinge"\nlr_gg = 1\n', "'lr_gg' is not a training option"),
     ("lr_g = -1\n", "lr_g must be a positive finite number"),
     ('betas = [0.5]\n', "betas must be two numbers"),
     ('recipe = "best"\n', "'recipe' is not a training option"),
     ("lr_g = \n", "is not valid TOML"),
     ("", None)],
)  # fmt: skip
def test_a_bad_recipe_file_is_one_line_naming_the_key(tmp_path: Path, content: str, said: str | None) -> None:
    recipe = tmp_path / "bad.toml"
    recipe.write_text(content)
    runs = tmp_path / "runs"
    code, _, stderr = run_cli("train", "--recipe", str(recipe), "--steps", "20", "--runs-dir", str(runs))
    if said is None:  # an empty recipe is the defaults
        assert code == 0, stderr
        return
    assert code == 2 and stderr.count("\n") == 1 and said in stderr and str(recipe) in stderr, stderr
    assert not runs.exists() or not any(runs.iterdir())


def test_an_option_given_overrides_a_recipe_file_as_it_does_a_named_recipe(tmp_path: Path) -> None:
    """mine.toml's linear decay (with its decay_start) and --lr-schedule constant: a constant run,
    as for --recipe best; it said '--decay-start belongs to the linear-decay schedule', an option
    the user never gave. A file whose own options disagree is refused naming the file."""
    (tmp_path / "mine.toml").write_text(MINE)
    runs = tmp_path / "runs"
    code, _, stderr = run_cli("train", "--recipe", str(tmp_path / "mine.toml"), "--lr-schedule", "constant",
                              "--steps", "40", "--name", "c", "--runs-dir", str(runs))  # fmt: skip
    assert code == 0, stderr
    config = json.loads((runs / "c" / "config.json").read_text())["config"]
    assert (config["loss"], config["lr_schedule"], config["decay_start"]) == ("hinge", "constant", 0)
    (tmp_path / "odd.toml").write_text("decay_start = 0.5\n")
    code, _, stderr = run_cli("train", "--recipe", str(tmp_path / "odd.toml"), "--steps", "40",
                              "--runs-dir", str(runs))  # fmt: skip
    assert code == 2 and stderr.count("\n") == 1, stderr
    assert str(tmp_path / "odd.toml") in stderr and "decay_start belongs to a decaying schedule" in stderr


def _feed_a_waiting_reader(fifo: Path) -> None:
    """Give a recipe to whoever opened ``fifo`` for reading (nobody: nothing to do)."""
    time.sleep(2)
    with contextlib.suppress(OSError):  # ENXIO: no reader, the pipe was refused unopened
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(descriptor, b"lr_g = 1e-4\n")
        os.close(descriptor)


@pytest.mark.parametrize("kind", ["nested JSON", "nested TOML", "huge", "directory", "pipe"])
def test_a_recipe_file_that_is_no_recipe_is_refused_unread(tmp_path: Path, kind: str) -> None:
    """[[[[… deep raised RecursionError; a pipe was opened and read (it waited for ever, deaf to
    Ctrl-C and SIGTERM; here a thread feeds it a recipe, which was accepted); /dev/zero (not a
    regular file either) filled the memory. Each is one line now, before the file is opened."""
    recipe = tmp_path / ("bad.json" if kind == "nested JSON" else "bad.toml")
    if kind == "nested JSON":
        recipe.write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "nested TOML":
        recipe.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    elif kind == "huge":
        recipe.write_text("lr_g = 1e-4\n" + "#" * 2_000_000 + "\n")
    elif kind == "directory":
        recipe.mkdir()
    else:
        os.mkfifo(recipe)
        threading.Thread(target=_feed_a_waiting_reader, args=(recipe,), daemon=True).start()
    runs = tmp_path / "runs"
    code, _, stderr = run_cli("train", "--recipe", str(recipe), "--steps", "20", "--runs-dir", str(runs))
    assert code == 2 and stderr.count("\n") == 1 and str(recipe) in stderr, stderr
    assert "Traceback" not in stderr and not runs.exists()


def test_a_missing_recipe_file_says_which_recipes_there_are(tmp_path: Path) -> None:
    code, _, stderr = run_cli("train", "--recipe", str(tmp_path / "nope.toml"), "--runs-dir", str(tmp_path))
    assert code == 2 and "No recipe file" in stderr and "tutorial, best" in stderr


def test_a_runs_config_json_reruns_exactly_what_was_run(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = [
        "train",
        "--recipe",
        "best",
        "--seed",
        "5",
        "--ema",
        "0.99",
        "--ema-start",
        "0.25",  # step 50 in its config.json, a share again as a recipe
        "--steps",
        "200",
        "--runs-dir",
        str(runs),
    ]
    assert run_cli(*first, "--name", "mine")[0] == 0
    again = run_cli("train", "--recipe", str(runs / "mine" / "config.json"), "--steps", "200",
                    "--runs-dir", str(runs), "--name", "theirs")  # fmt: skip
    assert again[0] == 0, again[2]
    ours, theirs = (load_checkpoint(find_run(runs, name)) for name in ("mine", "theirs"))
    assert ours.config == theirs.config and ours.config.ema_start == 50
    assert all(
        np.array_equal(ours.state.weights[net][key], theirs.state.weights[net][key])
        for net in ours.state.weights
        for key in ours.state.weights[net]
    )


def test_a_grid_may_take_a_recipe_file(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(MINE)
    code, _, stderr = run_cli("sweep", "--seeds", "1", "--steps", "20", "--recipe",
                              f"tutorial,{tmp_path / 'mine.toml'}", "--name", "g",
                              "--runs-dir", str(tmp_path / "runs"))  # fmt: skip
    assert code == 0, stderr
    sweep = json.loads((tmp_path / "runs" / "g" / "recipe-mine.toml" / "sweep.json").read_text())
    assert sweep["config"]["loss"] == "hinge"
