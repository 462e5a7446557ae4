"""The features' layering, read from the source with `ast` (nothing is imported).

A feature's services are every module of its package but routes, forms, models
and __init__: models point at each other by design (relationships with
back_populates), and views may call any feature. Between services the arrows
go one way, and no feature reaches into the JSON API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "recovery"
NOT_SERVICES = {"routes", "forms", "models", "__init__"}
NOT_FEATURES = {"domain", "api", "static"}


def features() -> list[str]:
    """Each feature package under recovery/."""
    return sorted(
        p.name
        for p in PACKAGE.iterdir()
        if (p / "__init__.py").exists() and p.name not in NOT_FEATURES
    )


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from recovery.x import services` names a module too.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def service_module(name: str) -> tuple[str, str] | None:
    """(feature, module) when `name` is a service module of a feature, else None."""
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "recovery":
        return None
    feature, module = parts[1], parts[2]
    if feature in NOT_FEATURES or module in NOT_SERVICES:
        return None
    if not (PACKAGE / feature / f"{module}.py").exists():
        return None
    return feature, module


def service_graph() -> dict[str, dict[str, list[str]]]:
    """feature -> feature it calls -> the imports that make the arrow."""
    graph: dict[str, dict[str, list[str]]] = {name: {} for name in features()}
    for feature in graph:
        for path in sorted((PACKAGE / feature).glob("*.py")):
            if path.stem in NOT_SERVICES:
                continue
            for name in imported_modules(path):
                target = service_module(name)
                if target is None or target[0] == feature:
                    continue
                graph[feature].setdefault(target[0], []).append(
                    f"{feature}.{path.stem} -> {'.'.join(target)}"
                )
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected groups of more than one feature (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_feature_services_import_each_other_one_way_only():
    graph = service_graph()
    found = cycles(graph)
    why = [
        arrow
        for group in found
        for a in group
        for b in group
        for arrow in graph[a].get(b, [])
    ]
    assert found == [], "\n".join(why)


def test_no_feature_imports_the_api():
    bad = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for feature in features()
        for path in sorted((PACKAGE / feature).glob("*.py"))
        for name in imported_modules(path)
        if name == "recovery.api" or name.startswith("recovery.api.")
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b": ["x"]}, "b": {}}, []),
        ({"a": {"b": ["x"]}, "b": {"a": ["y"]}}, [["a", "b"]]),
        ({"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_direct_and_longer_cycles(graph, expected):
    assert cycles(graph) == expected


def test_the_service_graph_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from recovery.timeline.services import x\n")
    assert "recovery.timeline.services" in imported_modules(module)
    assert service_module("recovery.timeline.services") == ("timeline", "services")
    assert service_module("recovery.timeline.routes") is None
