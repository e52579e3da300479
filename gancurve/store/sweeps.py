"""The sweep directory on disk, and the checks of what it holds::

    sweep.json      what was asked: seeds, hyperparameters, cadence, device, versions
    summary.csv     one row per seed: final metrics and verdict
    summary.json    the same rows and the aggregate (success rate, W1 quantiles, worst seeds)
    seed-001/ ...   one ordinary run directory per seed

Files are replaced atomically, as a run's are. The sweep's lock (``.lock``) is held while it
trains, beside each member's own lock.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gancurve.core.config import SEED_MAX
from gancurve.errors import GancurveError, UsageError
from gancurve.formats import json_safe
from gancurve.store.atomic import atomic_write_files
from gancurve.store.jsonfile import read_json
from gancurve.store.rundir import GRID_FILE, LOCK_FILE, SWEEP_FILE, RunDir, is_grid, member_name
from gancurve.store.runs import (
    check_run_name,
    discard_run,
    ensure_runs_dir,
    is_directory,
    locate,
    probe,
    timestamp_name,
)

SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
#: Bumped when sweep.json changes incompatibly.
SWEEP_FORMAT_VERSION = 1
#: The most members one sweep trains (about 0.5 MB of memory each, with their logs).
MEMBERS_MAX = 10_000
#: The columns of summary.csv, in order.
ROW_FIELDS = (
    "seed", "run", "step", "verdict", "w1", "ks", "residual", "in_bounds", "spread", "coverage",
    "d_accuracy", "d_score", "reason",
)  # fmt: skip
METRIC_FIELDS = ROW_FIELDS[4:12]
#: The metrics only some rows have, columns of their rows only (before ``reason``): D's slope at the
#: real painting (every member since it was added; a summary written before has none), the
#: mode-collapse metrics of an artist with modes, a conditional G's errors against its condition,
#: and a point's offset.
OPTIONAL_FIELDS = (
    "d_slope_real", "d_slope_a", "modes_captured", "high_quality", "mode_kl", "w1_label_0", "w1_label_1",
    "a_error", "a_error_p90", "a_offset",
)  # fmt: skip


class SweepDir:
    """One sweep's directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def name(self) -> str:
        """The sweep's name (its directory name)."""
        return self.path.name

    def member(self, seed: int) -> RunDir:
        """The run directory of the member trained with ``seed``."""
        return RunDir(self.path / member_name(seed))

    def write_facts(self, facts: dict[str, Any]) -> None:
        """Write ``sweep.json``."""
        text = json.dumps(facts, indent=2, sort_keys=True) + "\n"
        atomic_write_files([(self.path / SWEEP_FILE, text.encode())])

    def read_facts(self) -> dict[str, Any]:
        """Read ``sweep.json``, checked enough to trust its seeds."""
        path = self.path / SWEEP_FILE
        try:
            facts = read_json(path)
        except FileNotFoundError:
            raise GancurveError(f"{self.path} is not a gancurve sweep (it has no {SWEEP_FILE}).") from None
        except (OSError, ValueError) as error:
            raise GancurveError(f"Cannot read {path}: {error}.") from error
        if not isinstance(facts, dict):
            raise GancurveError(f"{path} is damaged: it has no list of seeds.")
        facts["seeds"] = checked_seeds(facts.get("seeds"), path)
        return facts

    def write_summary(self, rows: list[dict[str, Any]], outcome: dict[str, Any]) -> None:
        """Write summary.csv and summary.json together (both or, on failure, neither)."""
        document = {"aggregate": outcome, "members": rows}
        text = json.dumps(json_safe(document), indent=2, allow_nan=False) + "\n"
        atomic_write_files(
            [(self.path / SUMMARY_CSV, summary_csv(rows).encode()), (self.path / SUMMARY_JSON, text.encode())]
        )

    def read_summary(self) -> dict[str, Any]:
        """Read summary.json."""
        return read_summary_json(self.path / SUMMARY_JSON, f"Sweep {self.name!r}", "members", self.path)

    def discard_summary(self) -> None:
        """Remove a summary the members have moved past (the next full run writes it again)."""
        discard_summary(self.path)


def read_summary_json(path: Path, owner: str, key: str, place: Path) -> dict[str, Any]:
    """A sweep's or a grid's summary.json (``owner`` names it in messages; ``key`` must be there;
    ``place``: the sweep's or grid's directory, for the command that finishes it)."""
    try:
        summary = read_json(path)
    except FileNotFoundError:
        raise GancurveError(
            f"{owner} has no summary yet; finish it with '{finish_command(place)}'."
        ) from None
    except (OSError, ValueError) as error:
        raise GancurveError(f"Cannot read {path}: {error}.") from error
    if not isinstance(summary, dict) or key not in summary:
        raise GancurveError(f"{path} is damaged.")
    problem = _recipes_problem(summary[key]) if key == "recipes" else _sweep_problem(summary)
    if problem:
        raise GancurveError(f"{path} is damaged: {problem}.")
    return summary


# -- what a summary.json must hold for its readers (plot, compare) to trust it -------------------
# (Its writers are write_summary here and in grid.py; a file edited or damaged by hand is refused
# here, once, rather than failing as a TypeError wherever a value is used.)


_AGGREGATE_NUMBER = re.compile(
    r".*_(median|p90|max|mean)|collapsed|diverged|still_learning|dropped_modes|ignores_condition"
    r"|near_point|near_point_rate"
)


def _is_number(value: object) -> bool:
    """A JSON number or null (a metric not computed: a diverged member's, written as null)."""
    return value is None or type(value) in (int, float)


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _sweep_problem(summary: dict[str, Any]) -> str | None:
    """What is wrong with a sweep's summary, or None."""
    problem = _aggregate_problem(summary.get("aggregate"))
    members = summary["members"]
    if problem is None and not (isinstance(members, list) and members):
        problem = "'members' is not a list of members"
    for index, row in enumerate(members if problem is None else []):
        problem = _member_problem(row)
        if problem:
            return f"member {index + 1}: {problem}"
    return problem


def _member_problem(row: object) -> str | None:
    """What is wrong with one member's row (see ``sweep.summary.member_row``), or None."""
    from gancurve.store.runs import is_run_name

    if not isinstance(row, dict):
        return "it is not a record"
    if not (_is_count(row.get("seed")) and _is_count(row.get("step"))):
        return "its seed and step are not whole numbers"
    if not is_run_name(row.get("run")):  # a plain name: the reader opens SWEEP/run
        return f"its run {row.get('run')!r} is not a member's name"
    if not (isinstance(row.get("verdict"), str) and isinstance(row.get("reason", ""), str)):
        return "its verdict is not text"
    wrong = [name for name in METRIC_FIELDS if name not in row or not _is_number(row[name])]
    wrong += [name for name in OPTIONAL_FIELDS if name in row and not _is_number(row[name])]
    return f"its {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a number" if wrong else None


def _aggregate_problem(aggregate: object) -> str | None:
    """What is wrong with an aggregate (see ``sweep.summary.aggregate``), or None."""
    if not isinstance(aggregate, dict):
        return "its aggregate is not a record"
    if not (_is_count(aggregate.get("members")) and _is_count(aggregate.get("converged"))):
        return "its aggregate's counts are not whole numbers"
    rate, interval = aggregate.get("success_rate"), aggregate.get("success_rate_95")
    if not (_is_number(rate) and rate is not None):
        return "its aggregate's success_rate is not a number"
    if not (isinstance(interval, list) and len(interval) == 2 and None not in interval
            and all(map(_is_number, interval))):  # fmt: skip
        return "its aggregate's success_rate_95 is not an interval"
    worst = aggregate.get("worst", [])
    if not (isinstance(worst, list) and all(isinstance(row, dict) for row in worst)):
        return "its aggregate's worst is not a list of members"
    # The statistics readers format as numbers (w1_median, residual_mean, …) and the verdict counts.
    wrong = [
        key for key, value in aggregate.items() if _AGGREGATE_NUMBER.fullmatch(key) and not _is_number(value)
    ]
    return (
        f"its aggregate's {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a number"
        if wrong
        else None
    )


def _recipes_problem(recipes: object) -> str | None:
    """What is wrong with a grid's recipes (see ``sweep.grid.GridDir.write_summary``), or None."""
    from gancurve.store.runs import is_run_name

    if not (isinstance(recipes, list) and recipes and all(isinstance(r, dict) for r in recipes)):
        return "'recipes' is not a list of recipes"
    for index, recipe in enumerate(recipes, start=1):
        if not (isinstance(recipe.get("recipe"), str) and is_run_name(recipe.get("sweep"))):
            return f"recipe {index} has no label or no plain sweep name"
        versus = recipe.get("versus_first")
        problem = _aggregate_problem(recipe.get("aggregate")) or _versus_problem(versus, first=index == 1)
        if problem:
            return f"recipe {index}: {problem}"
    return None


def _versus_problem(versus: object, first: bool) -> str | None:
    """What is wrong with a recipe's paired difference from the first (the first has none)."""
    if first or versus is None:
        return None if first == (versus is None) else "its difference from the first is missing or extra"
    if not isinstance(versus, dict):
        return "its difference from the first is not a record"
    counts = all(_is_count(versus.get(key)) for key in ("seeds", "b_better", "a_better"))
    numbers = all(_is_number(versus.get(key)) for key in ("median", "low", "high"))  # (null: ∞, diverged)
    return None if counts and numbers else "its difference from the first is not numbers"


def checked_seeds(seeds: object, path: Path) -> list[int]:
    """The seeds a sweep.json or grid.json lists, held to ``--seeds``'s own checks (a file that
    lists 20,000 seeds is refused as the option would be, before anything is built for them)."""
    if not isinstance(seeds, list):
        raise GancurveError(f"{path} is damaged: it has no list of seeds.")
    try:
        return list(check_seeds(seeds, "it"))
    except UsageError as error:
        raise GancurveError(f"{path} is damaged: {error}") from None


def discard_summary(place: Path) -> None:
    """Remove a sweep's or grid's summary files (the CSV last: summary.json is what is read)."""
    for name in (SUMMARY_JSON, SUMMARY_CSV):
        with contextlib.suppress(OSError):
            (place / name).unlink()


def resume_command(place: Path, steps: int | None) -> str:
    """The command that continues a sweep or grid (its directory) to ``steps``, found wherever it is."""
    where = f"--name {shlex.quote(place.name)}"
    if place.parent != Path("runs"):  # the default runs directory needs no option
        where += f" --runs-dir {shlex.quote(str(place.parent))}"
    return f"gancurve sweep --resume {where}" + (f" --steps {steps}" if steps is not None else "")


def finish_command(place: Path) -> str:
    """The command that finishes a sweep (a grid's recipe: its grid) at the total it was started with."""
    if not is_grid(place) and is_grid(place.parent):
        place = place.parent  # one recipe of a grid trains with the grid's others
    facts_file = place / (GRID_FILE if is_grid(place) else SWEEP_FILE)
    try:
        facts = read_json(facts_file)
    except (OSError, ValueError):
        facts = None
    return resume_command(place, _saved_steps(facts))


def _saved_steps(facts: object) -> int | None:
    """The total a sweep or grid was started with, as its record says (None: it does not say)."""
    cadence = facts.get("cadence") if isinstance(facts, dict) else None
    steps = cadence.get("steps") if isinstance(cadence, dict) else None
    return steps if type(steps) is int and steps >= 1 else None


def is_sweep(path: Path) -> bool:
    """Whether ``path`` is a sweep directory."""
    return (path / SWEEP_FILE).is_file()


def find_sweep(runs_dir: Path, name: str, grids: bool = False) -> SweepDir:
    """A sweep by name (in the runs directory) or by path (with a ``/``: as given, then inside the
    runs directory, so ``GRID/loss-hinge`` finds a grid's recipe). ``grids``: a grid is found too
    (its directory, as a :class:`SweepDir`; the caller tells them apart with ``is_grid``)."""
    path = locate(runs_dir, name, "The sweep")
    if not is_directory(path, "The sweep"):
        raise GancurveError(f"No sweep {name!r} in {runs_dir}; start it with 'gancurve sweep --name {name}'.")
    if not (is_sweep(path) or (grids and is_grid(path))):
        hint = " It is a grid: name one of its recipes, e.g. NAME/RECIPE." if is_grid(path) else ""
        raise GancurveError(f"{path} is not a gancurve sweep (it has no {SWEEP_FILE}).{hint}")
    return SweepDir(path)


def create_sweep(runs_dir: Path, name: str | None) -> SweepDir:
    """Make a new sweep directory; an existing name is refused (continue it with --resume)."""
    ensure_runs_dir(runs_dir)
    name = check_run_name(name) if name is not None else "sweep-" + timestamp_name(runs_dir)
    path = runs_dir / name
    probe(path, "--name")  # (a link loop there would be "already exists"; a name too long, a traceback)
    try:
        path.mkdir()
    except FileExistsError:
        raise UsageError(
            f"{name!r} already exists in {runs_dir}; pick another --name, "
            "or continue the sweep with --resume."
        ) from None
    except OSError as error:
        raise GancurveError(f"Cannot create {path}: {error.strerror}.") from error
    return SweepDir(path)


def discard_sweep(sweep: SweepDir, seeds: list[int]) -> None:
    """Remove a sweep none of whose members ever saved: the files it wrote, then the directory.

    Anything else found there is left alone (and so is the directory that holds it).
    """
    members = [sweep.member(seed) for seed in seeds]
    if any(member.existing_checkpoint() for member in members):
        return
    for member in members:
        discard_run(member)
    for leftover in (SWEEP_FILE, LOCK_FILE):
        with contextlib.suppress(OSError):
            (sweep.path / leftover).unlink()
    with contextlib.suppress(OSError):
        sweep.path.rmdir()


# -- seeds, as a sweep may train them (``--seeds`` and sweep.json alike) ----------------------------


def check_seed_count(count: int, source: str = "--seeds") -> None:
    """Refuse more seeds than one sweep trains; call it before building a list of ``count`` seeds.

    ``source`` names where the seeds came from in the message (``--seeds``, or a sweep.json).
    """
    if count > MEMBERS_MAX:
        raise UsageError(f"{source} asks for {count:,} seeds; a sweep trains at most {MEMBERS_MAX:,}.")


def check_seeds(seeds: Sequence[object], source: str = "--seeds") -> tuple[int, ...]:
    """The seeds as a sweep may train them: at most ``MEMBERS_MAX``, whole numbers from 0 to
    ``SEED_MAX``, each once. ``parse_seeds`` uses it on ``--seeds``; it also suits seeds read back
    from disk (``source`` names the file in the message). Raises :class:`UsageError`.
    """
    check_seed_count(len(seeds), source)  # first: the checks below walk the seeds
    if not seeds:
        raise UsageError(f"{source} names no seed; a sweep trains at least one.")
    seen: set[int] = set()
    for seed in seeds:
        if type(seed) is not int or seed < 0:  # (bool is an int, but not a seed)
            raise UsageError(f"{source} names {seed!r}, which is not a seed (a whole number ≥ 0).")
        if seed > SEED_MAX:
            raise UsageError(f"{source} names {seed}, larger than the largest seed, 2**63 - 1.")
        if seed in seen:
            raise UsageError(f"{source} names seed {seed} twice; each seed trains once.")
        seen.add(seed)
    return tuple(seeds)  # type: ignore[arg-type]  # (every item checked to be an int above)


# -- summary.csv -------------------------------------------------------------------------------


def summary_csv(rows: Sequence[dict[str, Any]]) -> str:
    """summary.csv: one row per seed, metrics with 6 significant digits, NaN as an empty cell."""
    text = io.StringIO()
    modes = tuple(name for name in OPTIONAL_FIELDS if any(name in row for row in rows))
    writer = csv.DictWriter(text, fieldnames=(*ROW_FIELDS[:-1], *modes, ROW_FIELDS[-1]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return text.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value
