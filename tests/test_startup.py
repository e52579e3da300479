"""``gancurve --help`` must not pay for torch or matplotlib."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["sample", "--help"]])
def test_help_imports_neither_torch_nor_matplotlib(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gancurve", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "typer" in imported  # the import log was read correctly
    assert not {name for name in imported if name.split(".")[0] in {"torch", "matplotlib", "imageio"}}
