"""The package tree keeps the flow: no import cycles, and each package imports only earlier ones.

The order is the flow (document → steps → reviewed version → enrollment → delivery → the
patient's ticks → the nurse's view), then the ways in (web pages, command line). Core modules
sit before the flow; `localtime` turns a step's relative times into instants, so it comes right
after reading. Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tracker"
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "tracker.config",
        "tracker.clock",
        "tracker.dbtypes",
        "tracker.errors",
        "tracker.models",
        "tracker.i18n",
    ),
    ("tracker.accounts",),
    ("tracker.db", "tracker.audit", "tracker.auth"),
    ("tracker.reading",),
    ("tracker.localtime",),
    ("tracker.library",),
    ("tracker.care",),
    ("tracker.reminders",),
    ("tracker.patient",),
    ("tracker.workspace",),
    ("tracker.web", "tracker.api", "tracker.fhir"),
    ("tracker", "tracker.wsgi", "tracker.migrations"),  # the app factory and its entry points
    ("tracker.cli",),
)
MAX_LINES = 400  # the style's 100-300, with room for one long table or form


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The tracker modules this file imports: `from tracker import audit` is tracker.audit."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module in modules:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _imports(path, modules) - {name} for name, path in paths.items()}


def _layer(module: str) -> int:
    best, rank = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_packages_import_only_earlier_stages() -> None:
    graph = _graph()
    backwards = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if _layer(target) > _layer(module)
    )
    assert backwards == []


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_each_package_says_what_it_is_for(package: str) -> None:
    docstring = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    assert docstring and len(docstring.split()) >= 8


def test_modules_stay_small() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and "migrations" not in p.parts
    }
    assert long == {}
