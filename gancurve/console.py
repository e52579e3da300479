"""The two consoles: results go to stdout, progress, warnings and errors to stderr."""

from __future__ import annotations

from rich.console import Console

from gancurve.formats import json_text

#: Results a user may pipe somewhere (tables, JSON, paths).
out = Console(highlight=False)
#: Everything else: progress bars, warnings, errors.
err = Console(stderr=True, highlight=False)


def error_line(message: str) -> None:
    """One line on stderr, never wrapped, never interpreted as markup."""
    err.print(f"Error: {message}", style="bold red", markup=False, soft_wrap=True)


def print_json(data: object) -> None:
    """Standard JSON on stdout: a number that is not finite (a diverged G's W1) becomes null."""
    out.print_json(json_text(data))
