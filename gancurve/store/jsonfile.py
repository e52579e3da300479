"""Reading back a JSON file gancurve wrote, whatever happened to it since.

``json.loads`` fails in more ways than ``JSONDecodeError``: text nested past Python's stack raises
``RecursionError``, an integer of more than 4,300 digits a plain ``ValueError``; and reading a
"file" that is a pipe waits for ever (deaf to Ctrl-C, which only sets the stop flag while a
command runs), one that is a link to ``/dev/zero`` never ends. Here each is an ``OSError`` (it
cannot be read) or a ``ValueError`` (it is not JSON), which the readers turn into one line.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any


def read_json(path: Path) -> Any:
    """The JSON value in ``path``: ``FileNotFoundError`` if there is none, another ``OSError`` if it
    cannot be read or is no regular file, ``ValueError`` if its text is not JSON (or not UTF-8)."""
    if path.exists() and not path.is_file():
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return parse_json(path.read_text(encoding="utf-8"))


def parse_json(text: str) -> Any:
    """``json.loads``, with text nested too deeply for it a ``ValueError`` too."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("its values are nested too deeply to be read") from None
