"""What an install leaves where: numba's compiled step is cached outside the package.

numba's default cache is the package's own ``__pycache__``. pip does not know those files, so an
uninstall left ``site-packages/gancurve/`` behind, and that folder then shadowed the editable
install the README's second command makes (``ImportError: cannot import name '__version__'``).
CI runs the README's two commands in a row (``.ci/run``); these tests pin the mechanism.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gancurve

PACKAGE = Path(gancurve.__file__).resolve().parent

#: Prints, as JSON, where each compiled function of the step keeps its cache, and numba's own
#: setting afterwards (the step's decorations must not leave it changed for the user's functions).
WHERE = """
import json, numba
from gancurve.core.engines import kernel, kernel_ops
paths = [f._cache._cache_path for f in (kernel.train_steps, kernel._update_d, kernel_ops.adam)]
print(json.dumps({"paths": paths, "after": numba.config.CACHE_DIR, "dir": kernel_ops.cache_dir()}))
"""


def _cache_paths(environment: dict[str, str]) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CACHE_DIR"}
    result = subprocess.run(
        [sys.executable, "-c", WHERE], env={**env, **environment}, capture_output=True, text=True, check=True
    )
    found: dict[str, object] = json.loads(result.stdout)
    return found


def test_the_compiled_step_is_cached_in_the_users_cache_directory(tmp_path: Path) -> None:
    found = _cache_paths({"XDG_CACHE_HOME": str(tmp_path)})
    paths = [Path(path).resolve() for path in found["paths"]]  # type: ignore[union-attr]
    for path in paths:
        assert PACKAGE not in path.parents, path
        assert str(path).startswith(str(found["dir"]))
    if sys.platform.startswith("linux"):
        assert all(tmp_path.resolve() in path.parents for path in paths)
    assert found["after"] == "", "numba's own setting must be left as the user had it"


def test_numba_cache_dir_set_by_the_user_wins(tmp_path: Path) -> None:
    found = _cache_paths({"NUMBA_CACHE_DIR": str(tmp_path / "mine")})
    for path in found["paths"]:  # type: ignore[union-attr]
        assert Path(path).resolve().is_relative_to((tmp_path / "mine").resolve())
