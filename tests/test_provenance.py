"""The versions every record carries do not depend on what this process happened to import."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest


def _torch_version_recorded(import_torch_first: bool) -> str | None:
    code = (
        ("import torch\n" if import_torch_first else "")
        + "import json, sys\n"
        + "from gancurve.store.provenance import provenance\n"
        + "print(json.dumps([provenance()['torch_version'], 'torch' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    version, imported = json.loads(out)
    assert imported == import_torch_first  # recording the version never imports torch
    return str(version) if version is not None else None


@pytest.mark.slow
def test_the_torch_version_is_recorded_whether_or_not_torch_was_imported() -> None:
    # A Dask worker that never imported torch once wrote "torch_version": null where the same
    # sweep here wrote "2.13.0+cpu": the cluster's members differed from the in-process ones.
    installed = metadata.version("torch")
    assert _torch_version_recorded(import_torch_first=False) == installed
    assert _torch_version_recorded(import_torch_first=True) == installed
