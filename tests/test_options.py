"""Each training choice is declared once, on its TrainConfig field, and every interface is made from it.

These tests walk the declarations (not a list of their own), so a choice added tomorrow is held to
the same: an option of ``train`` and ``sweep`` with its default in the help, its grid form, its
rule's sentence for a bad value on the command line and in the library alike.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

from gancurve.core.config import TrainConfig
from gancurve.core.recipes import TRAINING_OPTIONS, Option, choose
from gancurve.sweeps.grid import grid_choices

OPTIONS = list(TRAINING_OPTIONS.values())


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(_text(part) for part in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def bad_value(option: Option) -> Any:
    """A value every rule of this kind refuses (whole numbers and rates are never negative)."""
    if option.choice.names:
        return "nope"
    if option.kind is tuple:
        return (2.0, 0.0)
    return option.kind(-1)


def two_values(option: Option) -> tuple[Any, Any]:
    """Two different values the option's rule accepts: a grid axis of two recipes."""
    if option.choice.names:
        return option.choice.names[0], option.choice.names[1]
    if option.kind is int:
        return option.default, option.default + 1
    other = option.default + 0.5 if option.choice.rule.accepts(option.default + 0.5) else option.default / 2
    return option.default, other


def test_every_field_is_declared_and_reachable() -> None:
    for declared in fields(TrainConfig):
        choice = declared.metadata.get("choice")
        assert choice is not None, f"{declared.name} has no choice() declaration"
        assert choice.rule.accepts(declared.default), f"{declared.name}'s default breaks its own rule"
        if choice.option:
            assert TRAINING_OPTIONS[declared.name].default == declared.default
    # The fields set another way are reached through the options that stand for them.
    assert {"betas", "decay_start", "recipe"} <= set(TRAINING_OPTIONS)


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_every_option_is_in_the_help_with_its_default(command: str) -> None:
    code, help_text, _ = run_cli(command, "--help")
    flat = " ".join(help_text.split())
    assert code == 0
    for option in OPTIONS:
        if command == "sweep" and option.name == "seed":
            assert option.flag + " " not in flat  # a sweep's seeds are --seeds
            continue
        assert option.flag in flat, option.flag
        shown = f"[default: {_text(option.default)}"
        assert f"{shown}]" in flat or f"{shown}; {option.choice.rule.bounds}]" in flat, option.flag
        if command == "sweep" and option.choice.grid:
            assert "make a grid" in flat.split(option.flag, 1)[1][:700], option.flag


@pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.name)
def test_a_bad_value_is_the_rules_sentence_on_the_command_line_and_in_the_library(
    option: Option, tmp_path: Path
) -> None:
    value = bad_value(option)
    with pytest.raises(ValueError) as library:
        choose({option.name: value}, 1_000)
    assert str(library.value) == option.choice.rule.problem(option.name, value)
    code, _, stderr = run_cli("train", option.flag, _text(value), "--runs-dir", str(tmp_path))
    assert code == 2 and stderr.count("\n") == 1, stderr
    sentence = option.choice.rule.problem(option.flag, value)
    assert sentence is not None and sentence in stderr  # the same sentence, the option as the CLI names it
    assert not any(tmp_path.iterdir()), "a refused option must leave nothing behind"


@pytest.mark.parametrize(
    "option", [option for option in OPTIONS if option.choice.grid], ids=lambda option: option.name
)
def test_every_grid_option_given_two_values_makes_two_recipes(option: Option) -> None:
    first, second = two_values(option)
    needed = dict([option.choice.needs]) if option.choice.needs else {}  # e.g. --optimizer sgd for --momentum
    shared, recipes = grid_choices({option.name: (first, second), **needed}, 1_000)
    assert len(recipes) == 2
    assert [recipe.point.values[option.name] for recipe in recipes] == [first, second]
    assert recipes[0].choices.config != recipes[1].choices.config
    assert recipes[0].point.slug != recipes[1].point.slug
    assert shared.config == TrainConfig(**needed)  # what a grid varies is not shared


@pytest.mark.parametrize(
    "option", [option for option in OPTIONS if option.choice.needs], ids=lambda option: option.name
)
def test_a_choice_given_without_what_it_needs_is_refused_in_one_line(option: Option, tmp_path: Path) -> None:
    assert option.choice.needs is not None
    field, value = option.choice.needs
    other = two_values(option)[1]
    owner = f"the {value} {field}" if isinstance(value, str) else field
    with pytest.raises(ValueError, match=f"{option.name} belongs to {owner}; add {field}={value!r}"):
        choose({option.name: other}, 1_000)
    assert choose({option.name: other, field: value}, 1_000).config != TrainConfig(**{field: value})
    code, _, stderr = run_cli("train", option.flag, _text(other), "--runs-dir", str(tmp_path))
    flag = TRAINING_OPTIONS[field].flag
    assert code == 2 and stderr.count("\n") == 1 and f"add {flag} {value}" in stderr, stderr


def test_a_resume_changes_only_the_fields_asked_for() -> None:
    saved = TrainConfig(lr_g=3e-4, loss="hinge", seed=7)
    asked = choose({"ema": 0.9, "lr_g": None}, 1_000)
    assert asked.given == {"ema"}
    assert asked.over(saved) == TrainConfig(lr_g=3e-4, loss="hinge", seed=7, ema=0.9)
