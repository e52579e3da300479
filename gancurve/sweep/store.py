"""The sweep directory on disk::

    sweep.json      what was asked: seeds, hyperparameters, cadence, device, versions
    summary.csv     one row per seed: final metrics and verdict
    summary.json    the same rows and the aggregate (success rate, W1 quantiles, worst seeds)
    seed-001/ ...   one ordinary run directory per seed

Files are replaced atomically, as a run's are. The sweep's lock (``.lock``) is held while it
trains, beside each member's own lock.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from pathlib import Path
from typing import Any

from gancurve.errors import GancurveError, UsageError
from gancurve.formats import json_safe
from gancurve.store.atomic import atomic_write_files
from gancurve.store.rundir import LOCK_FILE, RunDir
from gancurve.store.runs import check_run_name, discard_run, ensure_runs_dir, is_path, timestamp_name
from gancurve.sweep.seeds import check_seeds, member_name
from gancurve.sweep.summary import summary_csv
from gancurve.training.cadence import saved_cadence

SWEEP_FILE = "sweep.json"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
#: Bumped when sweep.json changes incompatibly.
SWEEP_FORMAT_VERSION = 1


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
            facts = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise GancurveError(f"{self.path} is not a gancurve sweep (it has no {SWEEP_FILE}).") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
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
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GancurveError(
            f"{owner} has no summary yet; finish it with '{finish_command(place)}'."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GancurveError(f"Cannot read {path}: {error}.") from error
    if not isinstance(summary, dict) or key not in summary:
        raise GancurveError(f"{path} is damaged.")
    return summary


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
    from gancurve.sweep.grid import GRID_FILE, is_grid

    if not is_grid(place) and is_grid(place.parent):
        place = place.parent  # one recipe of a grid trains with the grid's others
    facts_file = place / (GRID_FILE if is_grid(place) else SWEEP_FILE)
    try:
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        facts = None
    cadence = saved_cadence(facts)
    return resume_command(place, cadence.steps if cadence is not None else None)


def is_sweep(path: Path) -> bool:
    """Whether ``path`` is a sweep directory."""
    return (path / SWEEP_FILE).is_file()


def find_sweep(runs_dir: Path, name: str, grids: bool = False) -> SweepDir:
    """A sweep by name (in the runs directory) or by path (with a ``/``: as given, then inside the
    runs directory, so ``GRID/loss-hinge`` finds a grid's recipe). ``grids``: a grid is found too
    (its directory, as a :class:`SweepDir`; the caller tells them apart with ``is_grid``)."""
    from gancurve.sweep.grid import is_grid

    path = Path(name).expanduser() if is_path(name) else runs_dir / name
    if is_path(name) and not path.is_dir() and not path.is_absolute():
        path = runs_dir / path
    if not path.is_dir():
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
