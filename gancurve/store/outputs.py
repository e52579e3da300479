"""Checking a file the user asked us to write, before any work is done for it."""

from __future__ import annotations

import os
from pathlib import Path

from gancurve.errors import GancurveError, UsageError
from gancurve.store.atomic import write_target
from gancurve.store.rundir import CONFIG_FILE, RUN_FILES


def check_output(output: Path) -> None:
    """Refuse an output path that cannot or must not be written, with a sentence that says why.

    Its directory must exist and be writable, it must not be a directory, and it must not be
    one of a run's own files (``export model runs/R/checkpoint.pt`` would destroy the run).
    """
    target = write_target(output)
    if target.is_dir():
        raise UsageError(f"Cannot write {output}: it is a directory; give a file name.")
    directory = target.parent
    if not directory.is_dir():
        raise UsageError(f"Cannot write {output}: the directory {directory} does not exist.")
    if target.name in RUN_FILES and (directory / CONFIG_FILE).is_file():
        raise UsageError(
            f"Refusing to write {output}: it is the {target.name} of run {directory.name!r}, and "
            "writing it would destroy the run. Write somewhere else."
        )
    if not os.access(directory, os.W_OK):
        raise GancurveError(f"Cannot write {output}: the directory {directory} is not writable.")
