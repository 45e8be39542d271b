"""The package's layers import only downward, and no module imports itself back through others.

Every import counts: at the top of a module, inside a function, and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "marketing_rules"

#: Bottom first. A module may import its own layer and the layers below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("i18n",),  # messages in the reader's language, below everything that speaks
    ("errors", "shipped", "synthetic", "pe"),
    ("expressions", "model", "load"),
    ("analysis",),
    ("backends",),
    ("batch", "events"),  # whole bases and event streams, from a Program and a decide function
    ("engine",),  # the Ruleset facade: evaluate, explain, what-if, and the entry to batch, events, check
    ("versioning", "testing", "edit"),  # edit: rule files changed from outside (tables from Excel)
    ("service", "campaign"),  # the HTTP decision service; the marketing loop over decided bases
    ("cli", "demo", "__init__"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, package: str) -> set[str]:
    """The marketing_rules modules a module of ``package`` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from package import module`
    return {name for name in found if name == "marketing_rules" or name.startswith("marketing_rules.")}


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges[name] = {i for i in imports(path.read_text(encoding="utf-8"), package) if i in modules and i != name}
    return edges


def layer(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    for index, names in enumerate(LAYERS):
        if key in names:
            return index
    raise AssertionError(f"{module} is in no layer: add '{key}' to LAYERS")


def test_every_module_has_a_layer() -> None:
    for module in graph():
        layer(module)


def test_imports_point_downward() -> None:
    upward = sorted(f"{module} imports {target}" for module, targets in graph().items()
                    for target in targets if layer(target) > layer(module))
    assert upward == []


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (cycle := visit(module)) is not None:
            return cycle
    return None


def test_no_import_cycles() -> None:
    edges = graph()
    # a package's __init__ that re-exports its modules is not a cycle with them
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}
    cycle = find_cycle(edges)
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
])
def test_find_cycle(edges: dict[str, set[str]], expected: list[str] | None) -> None:
    assert find_cycle(edges) == expected


def test_imports_are_read_everywhere() -> None:
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import marketing_rules.cli\n"
              "def f():\n    from marketing_rules.engine import ruleset\n    from ..batch import output\n")
    found = imports(source, "marketing_rules.analysis")
    assert {"marketing_rules.cli", "marketing_rules.engine.ruleset", "marketing_rules.batch.output"} <= found
