"""Shared helpers for the kit's own tests: run the checks in a subprocess and read the results."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent


def run_checks(*args: str, cwd: Path = KIT, timeout: int = 900, env_extra: dict | None = None):
    """`python -m pytest checks ...` with a results file; returns (completed process, results dict)."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"tocha-results-{os.getpid()}-{abs(hash(args))}.json"
    env = {**os.environ, "TOCHA_LANG": "en", **(env_extra or {})}
    cmd = [sys.executable, "-m", "pytest", *args, "--score-json", str(out), "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    out.unlink(missing_ok=True)
    return proc, results


def declared(path: Path, name: str, default=None):
    """A constant a file of tests/hostile/ or tests/submissions/ declares at top level."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    return default


def hostile_of(path: Path) -> dict[str, tuple[str, str]]:
    """What a hostile submission must get, item by item: (status, a phrase of its first hint)."""
    expected = declared(path, "HOSTILE")
    assert expected is not None, f"{path} declares no HOSTILE"
    return expected


def assert_hostile_verdicts(results: dict, path: Path, items=None, context: str = "") -> None:
    """Each item the hostile file names (or those of `items`) failed with the status it declares,
    its first hint holds the declared phrase, and none of its failing checks scored."""
    expected = hostile_of(path)
    for item in items or expected:
        status, phrase = expected[item]
        failing = [t for t in results["tests"] if t["tags"][0] == "ex01_autograd" and t["tags"][1] == item
                   and t["status"] != "passed"]
        assert failing, f"{path.stem}: every check of {item} passed {context}"
        assert status == "*" or failing[0]["tags"][2] == status, (path.stem, item, failing[0]["output"], context)
        assert phrase.lower() in failing[0]["output"].lower(), (path.stem, item, failing[0]["output"])
        assert all(t["score"] == 0 for t in failing), (path.stem, item)


@pytest.fixture(scope="session")
def kit() -> Path:
    return KIT


# ---------------------------------------------------------------- the slow remainder

def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the tests marked slow (every submission graded live, replayed and from "
                          "a release, real nbgrader runs, the grader packages): what CI runs")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: grades whole sets of submissions or runs real tools (minutes); "
                                       "run with --slow")


def pytest_collection_modifyitems(config, items):
    """Without --slow, tests marked slow are deselected (not skipped: nothing is wrong with them)."""
    if config.getoption("--slow"):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]
        config.hook.pytest_deselected(items=slow)
        config.stash[_SLOW_LEFT] = len(slow)


_SLOW_LEFT = pytest.StashKey[int]()


def pytest_report_header(config):
    if not config.getoption("--slow"):
        return "tocha kit tests: the quick set; `pytest tests --slow` adds the slow remainder (what CI runs)"
    return None


def pytest_terminal_summary(terminalreporter, config):
    left = config.stash.get(_SLOW_LEFT, 0)
    if left:
        terminalreporter.write_line(f"{left} slow tests not run: `pytest tests --slow` runs them (CI does)")
