"""Grids: one sweep of several recipes over the same seeds, compared fairly.

A sweep option given several values (``--loss minimax,hinge --ema 0,0.999``) makes a grid: every
combination of the values is a *recipe*, and every recipe trains every seed. All members of all
recipes share one engine, and member k of every recipe starts from the same initial weights and
sees the same random draws (seed k), so recipe B against recipe A is read seed by seed (see
:mod:`gancurve.sweep.compare`). On disk a grid is a directory of ordinary sweeps::

    grid.json       the axes, the recipes (their names and options) and the seeds
    summary.csv     one row per recipe: its outcome, and its paired difference from the first
    summary.json    the same, with each recipe's whole aggregate
    loss-minimax_ema-0/ ...   one sweep per recipe (sweep.json, summary.*, seed-001/ ...)
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gancurve.core.recipes import TRAINING_OPTIONS, Choices
from gancurve.errors import GancurveError, UsageError
from gancurve.formats import json_safe
from gancurve.store.atomic import atomic_write_files
from gancurve.store.jsonfile import read_json
from gancurve.store.rundir import GRID_FILE
from gancurve.store.runs import is_run_name
from gancurve.sweep.compare import PairedDifference, paired_difference
from gancurve.sweep.store import read_summary_json
from gancurve.training.resume import choices_of

SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
#: The most recipes one grid may hold (each trains every seed).
RECIPES_MAX = 64


@dataclass(frozen=True)
class GridPoint:
    """One recipe of a grid: the values it takes on the grid's axes."""

    values: dict[str, Any]

    @property
    def label(self) -> str:
        """For people: ``loss=hinge ema=0.999``."""
        return " ".join(f"{name}={_text(value)}" for name, value in self.values.items())

    @property
    def slug(self) -> str:
        """Its sweep's directory name: ``loss-hinge_ema-0.999`` (a recipe file by its file name)."""
        return "_".join(
            f"{name.replace('_', '-')}-{Path(_text(value)).name}" for name, value in self.values.items()
        )


def number_text(value: float) -> str:
    """A number as briefly as ``:g`` writes it, but with every digit it needs to be read back
    exactly (``0.0001000001``, not ``0.0001``): two values of an axis never share a name, so
    never a directory. The exponent has no ``+`` (``1e20``), which a run name may not hold."""
    for digits in range(1, 18):  # 17 significant digits round-trip every float
        text = f"{value:.{digits}g}"
        if float(text) == value:
            break
    return text.replace("e+", "e")


def _text(value: Any) -> str:
    return number_text(value) if isinstance(value, float) else str(value)


def expand(axes: dict[str, tuple[Any, ...]]) -> list[GridPoint]:
    """Every combination of the axes' values, the first axis varying slowest; each recipe's sweep
    has its own directory name (a value given twice would share one, so it is refused)."""
    names = list(axes)
    points = [
        GridPoint(dict(zip(names, values, strict=True))) for values in itertools.product(*axes.values())
    ]
    if len(points) > RECIPES_MAX:
        raise UsageError(f"The grid has {len(points)} recipes; at most {RECIPES_MAX} fit in one sweep.")
    seen: dict[str, GridPoint] = {}
    for point in points:
        if point.slug in seen:
            first = seen[point.slug]
            # Values are told apart by value before this; what remains is a recipe file named
            # twice (a path and another to it), or two files of one name in two folders.
            if all(_same_file(first.values[name], point.values[name]) for name in names):
                raise UsageError(
                    f"The recipes {first.label!r} and {point.label!r} are the same recipe; "
                    "give each value once."
                )
            raise UsageError(
                f"The recipes {first.label!r} and {point.label!r} would share the directory "
                f"{point.slug!r}: a recipe file's directory is named by its file name; rename one file."
            )
        seen[point.slug] = point
    return points


def _same_file(a: Any, b: Any) -> bool:
    """Whether two values of an axis are one (recipe files: one file, however its path is written)."""
    if isinstance(a, str) and isinstance(b, str) and a != b:
        return Path(a).resolve() == Path(b).resolve()
    return bool(a == b)


@dataclass(frozen=True)
class GridRecipe:
    """One recipe of a grid: its point and its training choices."""

    point: GridPoint
    choices: Choices


def grid_choices(
    given: Mapping[str, object], steps: int, flags: bool = False
) -> tuple[Choices, tuple[GridRecipe, ...]]:
    """A sweep's training options: an option a grid may vary given as a tuple of several values is
    an axis of the grid, with one value it is a plain option. Returns the choices every recipe
    shares and the grid's recipes, each resolved on its own (() when there is no grid)."""

    axes: dict[str, tuple[Any, ...]] = {}
    shared: dict[str, object] = {}
    for name, value in given.items():
        if TRAINING_OPTIONS[name].choice.grid and isinstance(value, tuple):
            if len(value) > 1:
                axes[name] = value
            else:
                shared[name] = value[0]
        else:
            shared[name] = value
    for name, values in axes.items():  # each value by its rule before a name is made of it (nan,nan)
        for value in values:
            choices_of({**shared, name: value}, steps, flags)
    points = expand(axes) if axes else []
    recipes = tuple(
        GridRecipe(point, choices_of({**shared, **point.values}, steps, flags)) for point in points
    )
    return choices_of(shared, steps, flags), recipes


@dataclass(frozen=True)
class RecipeOutcome:
    """One recipe's line in a grid's summary."""

    recipe: str  # its label
    sweep: str  # its sweep's directory name
    aggregate: dict[str, Any]
    versus_first: PairedDifference | None  # W1, this recipe − the first (None for the first)


def compare_recipes(
    labels: list[str], slugs: list[str], parts: list[list[dict[str, Any]]]
) -> list[RecipeOutcome]:
    """Each recipe's aggregate and its paired W1 difference from the first recipe."""
    from gancurve.sweep.summary import aggregate

    outcomes = []
    for index, (label, slug, rows) in enumerate(zip(labels, slugs, parts, strict=True)):
        versus = paired_difference(parts[0], rows, "w1") if index else None
        outcomes.append(RecipeOutcome(label, slug, aggregate(rows), versus))
    return outcomes


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

    def write_summary(self, outcomes: list[RecipeOutcome]) -> None:
        """Write summary.csv and summary.json together (both or, on failure, neither)."""
        document = {"recipes": [asdict(outcome) for outcome in outcomes]}
        text = json.dumps(json_safe(document), indent=2, allow_nan=False) + "\n"
        atomic_write_files(
            [
                (self.path / SUMMARY_CSV, grid_csv(outcomes).encode()),
                (self.path / SUMMARY_JSON, text.encode()),
            ]
        )

    def read_summary(self) -> dict[str, Any]:
        """Read summary.json."""
        return read_summary_json(self.path / SUMMARY_JSON, f"Grid {self.name!r}", "recipes", self.path)


#: The columns of a grid's summary.csv.
GRID_FIELDS_CSV = (
    "recipe", "sweep", "members", "converged", "success_rate", "w1_median", "w1_p90", "w1_max",
    "residual_mean", "in_bounds_mean", "w1_vs_first_median", "w1_vs_first_low", "w1_vs_first_high",
    "better_than_first", "worse_than_first",
)  # fmt: skip


def grid_csv(outcomes: list[RecipeOutcome]) -> str:
    """summary.csv of a grid: one row per recipe (numbers with 6 significant digits)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(GRID_FIELDS_CSV)
    for outcome in outcomes:
        a, versus = outcome.aggregate, outcome.versus_first
        numbers = [
            a[key]
            for key in ("success_rate", "w1_median", "w1_p90", "w1_max", "residual_mean", "in_bounds_mean")
        ]
        paired: list[Any] = ["", "", "", "", ""]
        if versus is not None:
            paired = [versus.median, versus.low, versus.high, versus.b_better, versus.a_better]
        cells = [outcome.recipe, outcome.sweep, a["members"], a["converged"], *numbers, *paired]
        writer.writerow([f"{cell:.6g}" if isinstance(cell, float) else cell for cell in cells])
    return text.getvalue()
