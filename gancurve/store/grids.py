"""A grid's directory on disk: ``grid.json`` (the recipes, their options, the seeds),
``summary.csv``/``summary.json`` (one row per recipe) and one sweep directory per recipe.
What a grid is and how its recipes are made: :mod:`gancurve.sweeps.grid`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gancurve.errors import GancurveError
from gancurve.formats import json_safe
from gancurve.store.atomic import atomic_write_files
from gancurve.store.jsonfile import read_json
from gancurve.store.rundir import GRID_FILE
from gancurve.store.runs import is_run_name
from gancurve.store.sweeps import SUMMARY_CSV, SUMMARY_JSON, read_summary_json


class GridDir:
    """One grid's directory (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def name(self) -> str:
        """The grid's name (its directory name)."""
        return self.path.name

    def write_facts(self, facts: dict[str, Any]) -> None:
        """Write ``grid.json``."""
        text = json.dumps(json_safe(facts), indent=2, sort_keys=True) + "\n"
        atomic_write_files([(self.path / GRID_FILE, text.encode())])

    def read_facts(self) -> dict[str, Any]:
        """Read ``grid.json``, checked enough to trust its recipes."""
        path = self.path / GRID_FILE
        try:
            facts = read_json(path)
        except (OSError, ValueError) as error:
            raise GancurveError(f"Cannot read {path}: {error}.") from error
        recipes = facts.get("recipes") if isinstance(facts, dict) else None
        if not (
            isinstance(recipes, list)
            and recipes
            and all(isinstance(r, dict) and "sweep" in r for r in recipes)
        ):
            raise GancurveError(f"{path} is damaged: it has no list of recipes.")
        names = [recipe["sweep"] for recipe in recipes]
        for name in names:
            # A recipe's sweep is a directory inside the grid's: a name such as "../other" (a grid
            # someone shared, or edited) would train into, and overwrite, a sweep elsewhere.
            if not is_run_name(name):
                raise GancurveError(
                    f"{path} is damaged: the recipe name {name!r} is not a plain name inside the grid "
                    "(letters, digits, '.', '_' and '-')."
                )
        if len(set(names)) != len(names):
            raise GancurveError(f"{path} is damaged: two recipes share one directory name.")
        return dict(facts)

    def write_summary(self, recipes: list[dict[str, Any]], table: str) -> None:
        """Write summary.csv (``table``) and summary.json (``recipes``) together (both or, on
        failure, neither)."""
        text = json.dumps(json_safe({"recipes": recipes}), indent=2, allow_nan=False) + "\n"
        atomic_write_files(
            [(self.path / SUMMARY_CSV, table.encode()), (self.path / SUMMARY_JSON, text.encode())]
        )

    def read_summary(self) -> dict[str, Any]:
        """Read summary.json."""
        return read_summary_json(self.path / SUMMARY_JSON, f"Grid {self.name!r}", "recipes", self.path)
