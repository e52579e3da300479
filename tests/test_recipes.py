"""``--recipe``: each preset resolves to its documented values; options given explicitly win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

from gancurve.core.config import TrainConfig
from gancurve.core.recipes import RECIPES, choose, describe

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
