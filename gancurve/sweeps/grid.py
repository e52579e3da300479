"""Grids: one sweep of several recipes over the same seeds, compared fairly.

A sweep option given several values (``--loss minimax,hinge --ema 0,0.999``) makes a grid: every
combination of the values is a *recipe*, and every recipe trains every seed. All members of all
recipes share one engine, and member k of every recipe starts from the same initial weights and
sees the same random draws (seed k), so recipe B against recipe A is read seed by seed (see
:mod:`gancurve.sweeps.compare`). On disk a grid is a directory of ordinary sweeps::

    grid.json       the axes, the recipes (their names and options) and the seeds
    summary.csv     one row per recipe: its outcome, and its paired difference from the first
    summary.json    the same, with each recipe's whole aggregate
    loss-minimax_ema-0/ ...   one sweep per recipe (sweep.json, summary.*, seed-001/ ...)
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gancurve.core.recipes import TRAINING_OPTIONS, Choices
from gancurve.errors import UsageError
from gancurve.store.grids import GridDir
from gancurve.sweeps.compare import PairedDifference, paired_difference
from gancurve.training.resume import choices_of

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
    from gancurve.sweeps.summary import aggregate

    outcomes = []
    for index, (label, slug, rows) in enumerate(zip(labels, slugs, parts, strict=True)):
        versus = paired_difference(parts[0], rows, "w1") if index else None
        outcomes.append(RecipeOutcome(label, slug, aggregate(rows), versus))
    return outcomes


#: The columns of a grid's summary.csv.
GRID_FIELDS_CSV = (
    "recipe", "sweep", "members", "converged", "success_rate", "w1_median", "w1_p90", "w1_max",
    "residual_mean", "in_bounds_mean", "w1_vs_first_median", "w1_vs_first_low", "w1_vs_first_high",
    "better_than_first", "worse_than_first",
)  # fmt: skip


def write_grid_summary(grid: GridDir, outcomes: list[RecipeOutcome]) -> None:
    """The grid's summary.csv and summary.json, from its recipes' outcomes."""
    grid.write_summary([asdict(outcome) for outcome in outcomes], grid_csv(outcomes))


def grid_csv(outcomes: list[RecipeOutcome]) -> str:
    """summary.csv of a grid: one row per recipe (numbers with 6 significant digits)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(GRID_FIELDS_CSV)
    for outcome in outcomes:
        cells = recipe_row(asdict(outcome)).values()
        writer.writerow(
            ["" if cell is None else f"{cell:.6g}" if isinstance(cell, float) else cell for cell in cells]
        )
    return text.getvalue()


#: The columns of the paired difference from the first recipe (None for the first itself).
_VERSUS = {"w1_vs_first_median": "median", "w1_vs_first_low": "low", "w1_vs_first_high": "high",
           "better_than_first": "b_better", "worse_than_first": "a_better"}  # fmt: skip


def recipe_row(recipe: Mapping[str, Any]) -> dict[str, Any]:
    """One recipe's row of the grid's summary, summary.csv's columns (``GRID_FIELDS_CSV``), from
    its record in summary.json; the first recipe has no difference from itself (None)."""
    aggregate, versus = recipe["aggregate"], recipe["versus_first"]
    row = {"recipe": recipe["recipe"], "sweep": recipe["sweep"]}
    row.update({key: aggregate[key] for key in GRID_FIELDS_CSV[2 : -len(_VERSUS)]})
    row.update({key: None if versus is None else versus[name] for key, name in _VERSUS.items()})
    return row
