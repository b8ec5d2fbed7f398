"""The mutant suite: realistic wrong submissions must lose exactly the item they break, with a
hint that names the mistake; correct-but-different submissions must keep every point.

Each file `tests/submissions/<module>/<name>.py` is a whole replacement for `<module>.py`
dropped into a copy of the solutions. It declares, at top level,
    EXPECTED = {"item": "word the item's first hint must contain", ...}
(an empty dict for a correct variant). Items it does not name must pass.

TOCHA_MUTANT_MODULES=ex01_autograd,... grades only those modules; TOCHA_MUTANT_ARGS passes pytest
options to every grading run (`--device cuda` verifies the CUDA rows of the tolerance table).
"""
from __future__ import annotations

import ast
import os
import shlex
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import KIT
from grading.snapshots import command as snaprun

pytestmark = pytest.mark.slow  # minutes: `pytest tests --slow` (CI) runs it

SUBMISSIONS = Path(__file__).parent / "submissions"
_ONLY = {m for m in os.environ.get("TOCHA_MUTANT_MODULES", "").split(",") if m}
MUTANTS = sorted(p for p in SUBMISSIONS.glob("*/*.py") if not _ONLY or p.parent.name in _ONLY)


def expected_of(path: Path) -> dict[str, str]:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXPECTED" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} declares no EXPECTED")


def _grade_module(module: str, files: list[Path], workdir: Path) -> dict:
    roots = snaprun.submission_roots(KIT, module, files, workdir)
    extra = shlex.split(os.environ.get("TOCHA_MUTANT_ARGS", ""))  # e.g. "--device cuda" on a GPU machine
    payload = snaprun.grade_batch(KIT, workdir / f"{module}.json", f"checks/test_{module}.py", roots, extra)
    return {(module, Path(root).name): result for root, result in payload.items()}


@pytest.fixture(scope="session")
def graded(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("mutants")
    by_module: dict[str, list[Path]] = {}
    for path in MUTANTS:
        by_module.setdefault(path.parent.name, []).append(path)
    results: dict = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for part in pool.map(lambda kv: _grade_module(kv[0], kv[1], workdir), by_module.items()):
            results.update(part)
    return results


def _items(result: dict) -> dict[str, list[dict]]:
    items: dict[str, list[dict]] = {}
    for test in result["tests"]:
        items.setdefault(test["tags"][1], []).append(test)
    return items


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_submission_gets_the_expected_verdict(path, graded):
    expected = expected_of(path)
    result = graded[(path.parent.name, path.stem)]
    assert "tests" in result, result
    items = _items(result)
    unknown = set(expected) - set(items)
    assert not unknown, f"EXPECTED names items the checks do not grade: {unknown}"
    for item, checks in items.items():
        failing = [c for c in checks if c["status"] != "passed"]
        if item in expected:
            assert failing, f"{item}: the mistake was not caught (all {len(checks)} checks passed)"
            hint = failing[0]["output"]
            assert expected[item].lower() in hint.lower(), f"{item}: hint does not name the mistake: {hint}"
        else:
            assert not failing, f"{item} should pass: " + "; ".join(c["output"] for c in failing)


def test_every_check_is_caught_by_some_mutant(graded):
    """A check no mutant ever fails is a check that cannot fail."""
    caught: set[str] = set()
    names: set[str] = set()
    for result in graded.values():
        for test in result.get("tests", []):
            names.add(test["name"])
            if test["status"] != "passed":
                caught.add(test["name"])
    assert names - caught == set(), f"checks no mutant fails: {sorted(names - caught)}"
