"""A recipe written in a file: ``--recipe mine.toml`` (or ``.json``), or a run's own ``config.json``.

A recipe file holds training options by their names, as the Python API takes them::

    # mine.toml
    loss = "non-saturating"
    lr_g = 8e-4
    betas = [0.0, 0.99]
    lr_schedule = "linear-decay"
    decay_start = 0.5

A run's (or a sweep's) ``config.json`` / ``sweep.json`` serves as one too: its config becomes the
options that give it (the betas as a pair, the decay's start as its share of the run), the seed
included, so a colleague reruns exactly what was run (with the same ``--steps``).
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

from gancurve.core.config import TrainConfig
from gancurve.core.recipes import RECIPES, TRAINING_OPTIONS, choose
from gancurve.core.schedule import DECAYING
from gancurve.errors import UsageError

#: The endings a recipe file may have.
RECIPE_FILE_SUFFIXES = (".toml", ".json")
#: The largest recipe file read: a run's config.json is under 2 kB.
RECIPE_FILE_MAX = 1 << 20


def is_recipe_file(recipe: str) -> bool:
    """Whether ``--recipe`` names a file rather than one of the named recipes."""
    return recipe not in RECIPES and (Path(recipe).suffix in RECIPE_FILE_SUFFIXES or "/" in recipe)


def read_recipe_file(path: Path) -> dict[str, Any]:
    """The training options a recipe file (or a run's config.json) holds; one line naming the file
    and the key for anything else (:class:`UsageError`, exit 2)."""
    content = _parse(path)
    if isinstance(content.get("config"), dict):  # a run's config.json or a sweep's sweep.json
        return _options_of_config(path, content["config"])
    options = {}
    for key, value in content.items():
        option = TRAINING_OPTIONS.get(key)
        if option is None or key == "recipe":
            known = ", ".join(name for name in TRAINING_OPTIONS if name != "recipe")
            raise UsageError(f"{path}: {key!r} is not a training option; a recipe holds {known}.")
        if option.kind is tuple and isinstance(value, list):
            value = tuple(value)  # TOML and JSON write a pair as a list
        problem = option.choice.rule.problem(key, value)
        if problem:
            raise UsageError(f"{path}: {problem}.")
        options[key] = value
    try:  # the rules between options hold within the file too (decay_start needs its schedule);
        # checked for a long run: the run's own --steps is checked with the options given
        choose(options, 1_000_000)
    except ValueError as error:
        raise UsageError(f"{path}: {error}.") from None
    return options


def _parse(path: Path) -> dict[str, Any]:
    if path.suffix not in RECIPE_FILE_SUFFIXES:
        raise UsageError(f"{path}: a recipe file is .toml or .json (or give one of {', '.join(RECIPES)}).")
    try:
        # Looked at before it is opened: a pipe would wait for ever (deaf to Ctrl-C, which only
        # sets the stop flag here) and /dev/zero would fill the memory.
        facts = path.stat()
        if not stat.S_ISREG(facts.st_mode):
            raise UsageError(f"The recipe file {path} is not a file (a directory, a pipe or a device).")
        if facts.st_size > RECIPE_FILE_MAX:
            raise UsageError(
                f"The recipe file {path} holds {facts.st_size:,} bytes; a recipe is a few lines "
                f"(at most {RECIPE_FILE_MAX:,} bytes)."
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"No recipe file {path} (the named recipes are {', '.join(RECIPES)}).") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"Cannot read the recipe file {path}: {error}.") from None
    try:
        content = _toml(text) if path.suffix == ".toml" else json.loads(text)
    except ValueError as error:  # json's and tomllib's decode errors are ValueErrors
        raise UsageError(f"{path} is not valid {path.suffix[1:].upper()}: {error}.") from None
    except RecursionError:  # [[[[… nested past Python's stack: no recipe is
        raise UsageError(f"{path} is not a recipe: its values are nested too deeply.") from None
    if not isinstance(content, dict):
        raise UsageError(f"{path}: a recipe is a table of options, not {type(content).__name__}.")
    return content


def _toml(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads TOML with the tomli package
        import tomli as tomllib
    parsed: dict[str, Any] = tomllib.loads(text)
    return parsed


def _options_of_config(path: Path, fields: dict[str, Any]) -> dict[str, Any]:
    try:
        config = TrainConfig.from_dict(fields)
    except (ValueError, TypeError) as error:
        raise UsageError(f"{path} holds no valid configuration: {error}.") from None
    options: dict[str, Any] = {name: getattr(config, name) for name in TRAINING_OPTIONS if name in fields}
    options.pop("decay_start", None)  # a number of steps there, a share of the run here
    options.pop("ema_start", None)  # likewise
    options["betas"] = (config.beta1, config.beta2)
    if config.lr_schedule in DECAYING:
        options["decay_start"] = config.decay_start / config.decay_end
    if config.ema_start:  # a share of the run's length, which only a decay's end records
        if not config.decay_end:
            raise UsageError(
                f"{path} starts G's average at step {config.ema_start:,} of a run whose length it does "
                "not record; copy it without ema_start and give --ema-start as a share."
            )
        options["ema_start"] = config.ema_start / config.decay_end
    if config.artist != "parabola-modes":
        options.pop("modes", None)  # kept in every config, an option only of that artist
    return options
