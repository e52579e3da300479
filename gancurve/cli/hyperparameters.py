"""The training options a user gave, merged with a ``--recipe``, as the config's own fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gancurve.core.recipes import RECIPES
from gancurve.errors import UsageError

if TYPE_CHECKING:
    from gancurve.sweep.opening import GridRecipe

#: Where linear-decay starts when neither the user nor a recipe says, as a share of --steps.
DEFAULT_DECAY_START = 0.5
#: A recipe's options that are not config fields as they stand (resolved below).
NOT_FIELDS = ("betas", "lr_schedule", "decay_start")
#: How a sweep's grid options are read, by config field (or ``recipe``).
GRID_TYPES: dict[str, Any] = {
    "recipe": str, "loss": str, "lr_g": float, "lr_d": float, "r1": float, "ema": float, "lr_schedule": str,
}  # fmt: skip


def hyperparameters(
    given: Mapping[str, object],
    betas: str | None,
    schedule: str | None,
    decay_start: float | None,
    steps: int,
    recipe: str | None = None,
) -> dict[str, object]:
    """The hyperparameters the user gave (None: not given), a recipe's filling the rest.

    Only what is given or preset is returned: the rest is the config's default (a fresh run) or
    the saved config (a resumed one, where anything given must agree with it unless --force).
    """
    if given.get("modes") is not None and given.get("artist") != "parabola-modes":
        raise UsageError("--modes belongs to --artist parabola-modes; add that, or drop it.")
    preset = RECIPES[recipe].options if recipe is not None else {}
    fields = {key: value for key, value in given.items() if value is not None}
    fields = {**{key: value for key, value in preset.items() if key not in NOT_FIELDS}, **fields}
    if betas is not None:
        fields.update(_betas(betas))
    elif "betas" in preset:
        fields["beta1"], fields["beta2"] = preset["betas"]
    if schedule is None and "lr_schedule" in preset:
        schedule = preset["lr_schedule"]
    if decay_start is None and schedule == "linear-decay":
        decay_start = preset.get("decay_start")
    return {**fields, **_schedule(schedule, decay_start, steps)}


def _betas(option: str) -> dict[str, float]:
    """``--betas B1,B2`` (already checked) as the config's two fields."""
    beta1, beta2 = (float(part) for part in option.split(","))
    return {"beta1": beta1, "beta2": beta2}


def _schedule(schedule: str | None, decay_start: float | None, steps: int) -> dict[str, object]:
    """``--lr-schedule``/``--decay-start`` as the config's fields: the decay's steps are fixed
    from ``--steps`` now, so a resumed run keeps its schedule unless asked (with --force)."""
    if schedule != "linear-decay":
        if decay_start is not None:
            raise UsageError("--decay-start belongs to --lr-schedule linear-decay; add that, or drop it.")
        return {} if schedule is None else {"lr_schedule": schedule, "decay_start": 0, "decay_end": 0}
    share = DEFAULT_DECAY_START if decay_start is None else decay_start
    return {"lr_schedule": schedule, "decay_start": round(share * steps), "decay_end": steps}


def grid_recipes(
    axes: Mapping[str, tuple[Any, ...]],
    given: Mapping[str, object],
    betas: str | None,
    schedule: str | None,
    decay_start: float | None,
    steps: int,
    recipe: str | None,
) -> tuple[GridRecipe, ...]:
    """Every recipe of a grid (the combinations of the axes' values), each resolved as
    :func:`hyperparameters` resolves one; () when no option was given several values."""
    if not axes:
        return ()
    from gancurve.sweep.grid import expand
    from gancurve.sweep.opening import GridRecipe

    recipes = []
    for point in expand(dict(axes)):
        values = dict(point.values)
        point_recipe, point_schedule = values.pop("recipe", recipe), values.pop("lr_schedule", schedule)
        fields = hyperparameters({**given, **values}, betas, point_schedule, decay_start, steps, point_recipe)
        recipes.append(GridRecipe(point, fields))
    return tuple(recipes)


def sweep_hyperparameters(
    listed: Mapping[str, str | None],
    given: Mapping[str, object],
    betas: str | None,
    decay_start: float | None,
    steps: int,
) -> tuple[dict[str, object], tuple[GridRecipe, ...]]:
    """A sweep's options: ``listed`` are the grid-capable ones as typed (``"minimax,hinge"``), the
    rest are ``given``. An option with one value is a plain one; with several, it is an axis of
    the grid. Returns the shared hyperparameters and the grid's recipes (() when there is none)."""
    from gancurve.cli.options import split_values

    values = {name: split_values(text, GRID_TYPES[name]) for name, text in listed.items()}
    single = {name: found[0] for name, found in values.items() if found is not None and len(found) == 1}
    axes = {name: found for name, found in values.items() if found is not None and len(found) > 1}
    recipe, schedule = single.pop("recipe", None), single.pop("lr_schedule", None)
    shared = {**given, **single}
    return (
        hyperparameters(shared, betas, schedule, decay_start, steps, recipe),
        grid_recipes(axes, shared, betas, schedule, decay_start, steps, recipe),
    )
