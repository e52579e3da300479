"""The package's imports follow docs/design.md: no circle, no layer importing one above it, a pure core.

Every ``import`` counts, at the top of a module or inside a function (an import inside a function
saves start-up time; it must never hide a circle) or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import gancurve

PACKAGE = Path(gancurve.__file__).resolve().parent

#: The layers, lowest first (docs/design.md, "Modules"): a module imports from its own package and
#: from the layers below its own, never from one above or beside it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core", "version"),
    ("errors", "formats"),  # the small shared pieces, each on those it uses
    ("console", "device"),
    ("progress",),
    ("store",),
    ("training", "results"),
    ("sweeps", "render"),
    ("api",),  # the Python API: what the commands compute, for scripts and notebooks
    ("lab",),  # the live page's session and server (gancurve lab), a client of what is below
    ("commands",),
    ("cli",),
    ("__main__", "<root>"),  # the package's own names are the API's, imported when first used
)
#: What the core may import besides the standard library and itself.
CORE_THIRD_PARTY = {"numpy", "numba", "torch"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(module: str) -> Iterator[str]:
    """Every module ``module`` imports, absolute (a ``from X import name`` names ``X.name`` when
    that is a module of ours, else ``X``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if full in MODULES else base


def ours(module: str) -> set[str]:
    return {name for name in imports(module) if name in MODULES and name != module}


def layer_of(module: str) -> tuple[int, str]:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "<root>"
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank, top
    raise AssertionError(f"{module} belongs to no layer of LAYERS (docs/design.md): place it")


def test_no_import_circle() -> None:
    graph = {module: ours(module) for module in MODULES}
    circles: list[list[str]] = []
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        if module in visiting:
            circles.append([*visiting[visiting.index(module) :], module])
            return
        visiting.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert not circles, "import circles: " + "; ".join(" → ".join(circle) for circle in circles)


def test_no_layer_imports_one_above_or_beside_it() -> None:
    wrong = []
    for module in sorted(MODULES):
        rank, top = layer_of(module)
        for imported in sorted(ours(module)):
            imported_rank, imported_top = layer_of(imported)
            if imported_top != top and imported_rank >= rank:
                wrong.append(f"{module} → {imported}")
    assert not wrong, "imports against the layers: " + ", ".join(wrong)


def test_the_core_imports_numpy_numba_and_torch_only() -> None:
    wrong = []
    for module in sorted(name for name in MODULES if name.startswith("gancurve.core")):
        for imported in imports(module):
            root = imported.partition(".")[0]
            inside_core = imported.startswith("gancurve.core")
            if not (inside_core or root in CORE_THIRD_PARTY or root in sys.stdlib_module_names):
                wrong.append(f"{module} → {imported}")
    assert not wrong, "the core imports outside numpy, numba, torch: " + ", ".join(wrong)


def test_the_walk_sees_imports_inside_functions() -> None:
    # The checks above are only as good as the walk: it must see a lazy import.
    assert "gancurve.commands.train" in ours("gancurve.cli")
