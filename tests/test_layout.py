"""The engine's layout holds: imports only go down the layers, and no two modules import each other.

The layers, from the bottom (docs/ARCHITECTURE.md): the modules at the top of grading/ (what
the checks import) with templates/ (the renderer and its data files), then sandbox/, snapshots/,
engine/, student/, cohort/, publish/, notebooks/, and the command line (grading/cli.py) above
them all. A module may import its own package and any layer below it, never one above; every
import counts, including those inside functions.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "grading"
LAYERS = ["", "sandbox", "snapshots", "engine", "student", "cohort", "publish", "notebooks", "cli"]
BASE = {"templates"}  # packages in the bottom layer, with the top of grading/


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def imports(path: Path, known: set[str]) -> set[str]:
    """The grading modules `path` imports (`from grading.x import y` counts y when y is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (the kit's modules import absolutely)"
            base = node.module or ""
            if base == "grading" or base.startswith("grading."):
                subs = {f"{base}.{a.name}" for a in node.names} & known
                found |= subs or {base}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("grading.")}
    return found & known


def layer(name: str) -> int:
    parts = name.split(".")
    if len(parts) >= 2 and parts[1] in BASE:
        return 0
    if len(parts) == 2 and parts[1] == "cli":
        return LAYERS.index("cli")
    if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS):
        return LAYERS.index(parts[1])
    return 0


GRAPH = {name: imports(path, set(modules())) - {name} for name, path in modules().items()}


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_only_go_down(name):
    upward = sorted(dep for dep in GRAPH[name] if layer(dep) > layer(name))
    assert not upward, f"{name} (layer {LAYERS[layer(name)] or 'top'}) imports the layer above: {upward}"


def test_no_import_cycles():
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name):
        state[name] = 1
        path.append(name)
        for dep in sorted(GRAPH[name]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(dep):] + [dep]))
            if dep not in state:
                visit(dep)
        path.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_every_subpackage_is_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(LAYERS) | BASE, f"packages not placed in a layer: {sorted(packages - set(LAYERS) - BASE)}"
