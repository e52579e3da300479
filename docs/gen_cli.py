"""Write docs/cli.md, the reference of every command and option, from the Typer app itself.

python docs/gen_cli.py          # rewrite docs/cli.md
python docs/gen_cli.py --check  # exit 1 if docs/cli.md is out of date (the tests do this)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from gancurve.cli import app

TARGET = Path(__file__).parent / "cli.md"
WIDTH = 100

HEADER = f"""# Command reference

Generated from the command-line app by `python docs/gen_cli.py` (typer {typer.__version__}); a test
fails when this file is out of date. Every command also answers `-h`/`--help`.

Exit codes: 0 success · 1 runtime error (missing run, damaged file, no CUDA, …) ·
2 usage error (a bad option value) · 130/143 training stopped by Ctrl-C/SIGTERM after saving.
"""


def _sections(command: Any, path: list[str], parent: Any = None) -> list[str]:
    settings = {
        **getattr(command, "context_settings", {}),
        "terminal_width": WIDTH,
        "max_content_width": WIDTH,
    }
    context = command.context_class(command, info_name=path[-1], parent=parent, **settings)
    text = command.get_help(context).rstrip()
    sections = [f"## `{' '.join(path)}`\n\n```text\n{text}\n```\n"]
    for name in getattr(command, "commands", {}):
        sections += _sections(command.commands[name], [*path, name], context)
    return sections


def generated_with(text: str) -> str | None:
    """The typer version a generated reference names (help layout differs between versions)."""
    marker = "(typer "
    return text.split(marker, 1)[1].split(")", 1)[0] if marker in text else None


def render() -> str:
    """The whole reference as Markdown."""
    return HEADER + "\n" + "\n".join(_sections(typer.main.get_command(app), ["gancurve"]))


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        if TARGET.read_text(encoding="utf-8") != text:
            sys.exit("docs/cli.md is out of date: run python docs/gen_cli.py")
        return
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
