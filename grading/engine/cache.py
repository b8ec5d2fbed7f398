"""The results cache of the student's commands: a module's results are kept under a fingerprint of
everything that can change its verdict (the module's file and the sibling files it imports, the
reference's, the check file, its recorded answers and the grading engine the checks import), so
`tocha status` re-runs only what changed, and a plain `pytest checks` refreshes the same cache.

Kept in TOCHA_CACHE, else ~/.cache/tocha, one file per implementation folder; hints are kept in
both languages, so switching `--lang` re-runs nothing.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from pathlib import Path

from grading.curriculum import ModuleResult
from grading.data import resolve_root
from grading.results import write_json

PACKAGE = Path(__file__).resolve().parent.parent  # grading/
PLUGIN = PACKAGE / "engine" / "plugin.py"


def _follow_imports(entries: list[Path], targets) -> list[Path]:
    """`entries` and every file their import statements reach, directly or not (those inside
    functions too); `targets(node)` names the files one import statement may mean. Files that do
    not exist are listed too (a sibling that appears later changes a fingerprint)."""
    todo, seen = list(entries), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                todo += targets(node)
    return sorted(seen)


def _engine_targets(node) -> list[Path]:
    """The grading modules an absolute import may mean (`from grading.x import y`: x, or x/y)."""
    if isinstance(node, ast.ImportFrom):
        if node.level or not node.module or not (node.module == "grading" or node.module.startswith("grading.")):
            return []
        names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    else:
        names = [a.name for a in node.names if a.name.startswith("grading.")]
    found = []
    for name in names:
        inner = PACKAGE.joinpath(*name.split(".")[1:])
        found += [inner / "__init__.py"] + ([inner.with_suffix(".py")] if inner != PACKAGE else [])
    return found


def engine_files(entry_files: list[Path]) -> list[Path]:
    """The grading modules `entry_files` import, directly or not, so an edit to, say, the HTML
    report changes no verdict's key."""
    return [p for p in _follow_imports(entry_files, _engine_targets) if PACKAGE in p.parents and p.is_file()]


def _root_files(root: Path, module: str) -> list[Path]:
    """`module`'s file in an implementation folder and the sibling files it imports relatively."""
    def siblings(node) -> list[Path]:
        if not isinstance(node, ast.ImportFrom) or node.level < 1:
            return []
        names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
        return [root / f"{name}.py" for name in names]

    return _follow_imports([root / f"{module}.py"], siblings)


def fingerprint(module: str, impl: Path, ref: Path, kit: Path) -> str:
    """What the verdict of `module` depends on; the language is not part of it (hints are kept
    in both)."""
    checks = Path(kit) / "checks"
    digest = hashlib.sha1()
    digest.update(f"{module}\0{impl}\0{ref}\0{sys.executable}\0".encode())
    paths = [checks / f"test_{module}.py", checks / "snapshots" / f"{module}.pt"]
    paths += _root_files(impl, module) + _root_files(ref, module)
    paths += engine_files([PLUGIN, checks / f"test_{module}.py"])
    for path in paths:
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


def cache_dir() -> Path:
    chosen = os.environ.get("TOCHA_CACHE")
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tocha"


def _cache_file(impl: Path) -> Path:
    key = hashlib.sha1(str(impl).encode()).hexdigest()[:12]
    return cache_dir() / f"results-{key}.json"


def load_cache(impl: Path, lang: str) -> dict[str, ModuleResult]:
    try:
        data = json.loads(_cache_file(impl).read_text(encoding="utf-8"))
        return {m: ModuleResult.from_dict(d, lang) for m, d in data.get("modules", {}).items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def save_cache(impl: Path, fresh: dict[str, ModuleResult]) -> None:
    path = _cache_file(impl)
    try:
        cached = load_cache(impl, "en")
        cached.update(fresh)
        write_json(path, {"impl": str(impl), "modules": {m: r.to_dict() for m, r in cached.items()}}, indent=None)
    except OSError:
        pass  # a cache that cannot be written only costs time



def store(ran: dict[str, ModuleResult], prints: dict[str, str], impl: Path) -> None:
    """Cache fresh results under their fingerprints; a run that broke or timed out is tried
    again next time."""
    for module, result in ran.items():
        flaky = result.problem or any(i.status == "timed out" for i in result.items)
        result.fingerprint = "" if flaky else prints[module]
    save_cache(impl, ran)


def cached_result(module: str, impl: Path, lang: str, kit: Path, reference: str = "solutions") -> ModuleResult | None:
    """The cached result of `module` if it is still up to date, else None (never runs anything)."""
    hit = load_cache(impl, lang).get(module)
    if hit is not None and hit.fingerprint == fingerprint(module, impl, resolve_root(reference, kit), kit):
        return hit
    return None


