"""The house keeps its shape: packages in flow order, imports only down the flow, no circles.

Every import of ``reportguard`` code counts, at module level or inside a function (a lazy import
hides a circle from Python, not from this test). ``docs/architecture.md`` draws the same order.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "reportguard"
DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

#: Lowest first. A module may import its own package and anything listed before it.
LAYERS: tuple[str, ...] = (
    "errors",
    "policy",
    "config",
    "store",
    "outbox",
    "notices",
    "access",
    "simulate",
    "ingest",
    "detect",
    "spark",
    "reporters",
    "triage",
    "enforce",
    "moderation",
    "oversight",
    "evaluate",
    "pipeline",
    "dashboard",
    "api",
    "cli",
)
ROOT_MODULES = {"__init__", "config", "errors"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found[module_name(path)] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The reportguard modules a file imports, wherever in the file the import stands."""
    tree = ast.parse(path.read_text(), str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("reportguard"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's own package, up level - 1 packages
                here = module_name(path if path.name == "__init__.py" else path.parent)
                anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("reportguard"):
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                out.add(child if child in known else base)
    return {m for m in out if m in known}


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return -1  # reportguard/__init__.py: the version, nothing else
    return LAYERS.index(parts[1])


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, set(found)) for name, path in found.items()}


def test_every_package_has_a_place_in_the_flow() -> None:
    tops = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tops |= {p.stem for p in SRC.glob("*.py")} - {"__init__"}
    assert tops - set(LAYERS) == set(), "add new packages to LAYERS and docs/architecture.md"
    assert set(LAYERS) - tops == set()
    loose = {p.stem for p in SRC.glob("*.py")}
    assert loose <= ROOT_MODULES, f"modules loose at the package root: {loose - ROOT_MODULES}"


def test_imports_point_down_the_flow(graph: dict[str, set[str]]) -> None:
    upward = sorted(
        f"{importer} -> {imported}"
        for importer, targets in graph.items()
        for imported in targets
        if layer(imported) > layer(importer)
    )
    assert upward == []


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


def test_the_walk_sees_lazy_imports(tmp_path: Path) -> None:
    """The checks above can fail: a function-level import is an edge like any other."""
    known = {"reportguard.store.models", "reportguard.cli.main", "reportguard.store"}
    source = tmp_path / "x.py"
    source.write_text("def f():\n    from reportguard.cli.main import app\n    return app\n")
    assert imports_of(source, known) == {"reportguard.cli.main"}


def test_the_architecture_picture_lists_the_layers_in_order() -> None:
    """docs/architecture.md draws the packages bottom-up in the order of LAYERS."""
    text = DOC.read_text()
    block = text.split("```text", 1)[1].split("```", 1)[0]
    drawn = re.findall(r"\b([a-z_]+)/", block)
    order = [name for name in dict.fromkeys(drawn) if name in LAYERS]
    assert order == [name for name in reversed(LAYERS) if name not in ("errors", "config")]
    for name in LAYERS:
        if name not in ("errors", "config"):
            assert f"### `{name}/`" in text, f"docs/architecture.md has no section for {name}/"
