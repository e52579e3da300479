"""The docs stay true: the CLI reference is current and the tour's commands run."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest
import typer
from helpers import cli_runner

from gancurve.cli import app

DOCS = Path(__file__).parent.parent / "docs"
sys.path.insert(0, str(DOCS))
import gen_api  # noqa: E402
import gen_cli  # noqa: E402


def test_cli_reference_is_up_to_date() -> None:
    committed = (DOCS / "cli.md").read_text(encoding="utf-8")
    if gen_cli.generated_with(committed) != typer.__version__:  # another typer lays help out differently
        pytest.skip(f"docs/cli.md was generated with typer {gen_cli.generated_with(committed)}")
    assert committed == gen_cli.render(), "run: python docs/gen_cli.py"


def test_api_reference_is_up_to_date() -> None:
    assert (DOCS / "api.md").read_text(encoding="utf-8") == gen_api.render(), "run: python docs/gen_api.py"


def tour_commands() -> list[list[str]]:
    """The ``gancurve ...`` lines of the 60-second tour in docs/index.md, without comments."""
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    block = re.search(r"## 60-second tour\s+```bash\n(.*?)```", text, re.S)
    assert block, "docs/index.md lost its tour"
    lines = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("gancurve ")]


@pytest.mark.slow
def test_every_command_of_the_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANCURVE_RUNS_DIR", str(tmp_path / "runs"))
    commands = tour_commands()
    assert [c[0] for c in commands] == [
        "train",
        "sample",
        "evaluate",
        "plot",
        "animate",
        "export",
        "sweep",
        "plot",
        "train",
        "sweep",
        "train",
        "sample",
    ]
    for args in commands:
        result = cli_runner().invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.stderr)
    assert (tmp_path / "training.gif").stat().st_size > 0 and (tmp_path / "generator.pt2").is_file()
    runs = tmp_path / "runs"
    first_run = min(
        (path for path in runs.iterdir() if path.name not in ("tut", "two", "lesson")), key=lambda p: p.name
    )
    assert (first_run / "plot.png").is_file() and (runs / "tut" / "plot.png").is_file()
    assert len(json.loads((runs / "tut" / "summary.json").read_text())["members"]) == 20
    recipes = json.loads((runs / "two" / "summary.json").read_text())["recipes"]
    assert [recipe["recipe"] for recipe in recipes] == ["recipe=tutorial", "recipe=best"]
    assert recipes[1]["versus_first"]["median"] < 0  # the tour's claim: the best recipe does better
    assert json.loads((runs / "lesson" / "config.json").read_text())["config"]["condition"] == "label"
