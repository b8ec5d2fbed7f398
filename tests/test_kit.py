"""Definition of done: full marks on the solutions, zero and 'not started' on the stubs."""
from __future__ import annotations

import pytest

from conftest import KIT, run_checks
from grading.publish import sync


@pytest.fixture(scope="module")
def on_solutions():
    return run_checks("checks", "--impl", "solutions")


@pytest.fixture(scope="module")
def on_stubs():
    return run_checks("checks", "--impl", "exercises")


def test_solutions_get_full_marks(on_solutions):
    proc, results = on_solutions
    assert results is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    failed = [t["name"] + ": " + t["output"] for t in results["tests"] if t["status"] != "passed"]
    assert not failed, "\n".join(failed)
    assert results["score"] == results["max_score"] > 0
    assert proc.returncode == 0


def test_stubs_get_zero_with_not_started_per_item(on_stubs):
    proc, results = on_stubs
    assert results is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert results["score"] == 0
    statuses = {t["tags"][2] for t in results["tests"]}
    assert statuses == {"not started"}, statuses
    assert proc.returncode == 1
    table = proc.stdout.split("tocha score")[-1].split("\nTOTAL")[0]
    assert " error" not in table, table
    summary = proc.stdout.strip().splitlines()[-1]  # pytest's own count: no check may error in set-up
    assert "error" not in summary, summary
    items = {(t["tags"][0], t["tags"][1]) for t in results["tests"]}
    lines = table.splitlines()
    for module in {m for m, _ in items}:  # one row per module, its items named on the line below it
        rows = [k for k, line in enumerate(lines) if line.startswith(module)]
        assert len(rows) == 1 and "not started" in lines[rows[0]], rows
        for item in (i for m, i in items if m == module):
            assert f" {item}," in lines[rows[0] + 1] or f" {item}:" in lines[rows[0] + 1], lines[rows[0] + 1]
    assert "FAILED" not in proc.stdout and "NotImplementedError" not in proc.stdout.split("tocha score")[0]


def test_exercises_are_in_sync_with_solutions():
    assert sync.stale(KIT) == [], "run `tocha sync`"


def test_sync_keeps_todos_and_raises():
    source = (
        "def f(x):\n"
        "    \"\"\"doc\"\"\"\n"
        "    ### BEGIN SOLUTION\n"
        "    # TODO: double it\n"
        "    y = 2 * x\n"
        "    return y\n"
        "    ### END SOLUTION\n"
    )
    assert sync.stub_source(source) == (
        "def f(x):\n    \"\"\"doc\"\"\"\n    # TODO: double it\n    raise NotImplementedError\n"
    )


def test_sync_rejects_unclosed_region():
    with pytest.raises(sync.SyncError):
        sync.stub_source("### BEGIN SOLUTION\nx = 1\n")
