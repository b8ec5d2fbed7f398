"""`tocha sync`: exercises/*.py are generated from solutions/*.py, the one source of truth.

Inside a solution region (nbgrader's `### BEGIN SOLUTION` ... `### END SOLUTION`), the author's
`# TODO` lines stay as guidance for the student and everything else becomes
`raise NotImplementedError`.
"""
from __future__ import annotations

import re
from pathlib import Path

BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
DEFAULT_TODO = "# TODO: your code here / seu código aqui"


class SyncError(ValueError):
    pass


def stub_source(source: str, name: str = "<solution>") -> str:
    """The student's version of one solution file."""
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        begin = BEGIN.match(line)
        if begin:
            if region is not None:
                raise SyncError(f"{name}:{number}: BEGIN SOLUTION inside another region")
            region, indent = [], begin.group(1)
            continue
        if END.match(line):
            if region is None:
                raise SyncError(f"{name}:{number}: END SOLUTION without BEGIN")
            todos = [l.strip() for l in region if l.strip().startswith("# TODO")] or [DEFAULT_TODO]
            out.extend(f"{indent}{todo}\n" for todo in todos)
            out.append(f"{indent}raise NotImplementedError\n")
            region = None
            continue
        if region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise SyncError(f"{name}: BEGIN SOLUTION never closed")
    return "".join(out)


def plan(kit_root: Path) -> dict[Path, str]:
    """Every exercise file and the text it should have."""
    solutions = kit_root / "solutions"
    return {
        kit_root / "exercises" / path.name: stub_source(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(solutions.glob("*.py"))
    }


def stale(kit_root: Path) -> list[Path]:
    """Exercise files that differ from what sync would write (or are missing / left over)."""
    wanted = plan(kit_root)
    out = [p for p, text in wanted.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    extra = [p for p in (kit_root / "exercises").glob("*.py") if p not in wanted]
    return sorted(out + extra)


def write(kit_root: Path) -> list[Path]:
    changed = []
    for path, text in plan(kit_root).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
