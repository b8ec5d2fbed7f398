"""The two grader packages, run the way their graders run them, with no solutions inside.

* `tocha gradescope OUT.zip`: the zip is unpacked into a simulated /autograder tree
  (TOCHA_AUTOGRADER_ROOT) and `run_autograder` grades /autograder/submission: the solutions as
  flat files, the stubs as a student repository (exercises/), and a wrong submission.
* `tocha classroom50 OUTDIR`: `python autograder.py` runs from a temporary git checkout with the
  runner's environment, on the same three, and result.json is held to the Classroom 50 contract
  (`contract_problems` below, written from ANCHORS.md; it is tested on bad payloads too).

The installs (CPU torch from PyTorch's index) need the network, so the kit's tests give the
scripts an interpreter that already has everything (TOCHA_PYTHON); setup.sh is checked by bash.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import KIT

pytestmark = pytest.mark.slow  # minutes: `pytest tests --slow` (CI) runs it

MODULES = ["ex01_autograd", "ex03_training"]
MUTANT = KIT / "tests" / "submissions" / "ex03_training" / "step_no_zero_grad.py"  # loses train_step only
ENV = {"CLASSROOM": "deep-learning-2026", "ASSIGNMENT": "tocha-ex01-ex03",
       "SUBMISSION_TAG": "submit/2026-11-30T12-00-00Z-abc1234",
       "COMMIT_URL": "https://github.com/org/deep-learning-2026-tocha-ex01-ex03-ana/commit/abc1234",
       "RELEASE_URL": "https://github.com/org/deep-learning-2026-tocha-ex01-ex03-ana/releases/tag/submit%2F2026",
       "REVIEW_URL": "https://github.com/org/deep-learning-2026-tocha-ex01-ex03-ana/compare/000...abc1234",
       "GITHUB_REPOSITORY": "org/deep-learning-2026-tocha-ex01-ex03-ana", "GITHUB_SHA": "abc1234",
       "GITHUB_ACTOR": "ana", "USERNAME": "ana"}


def tocha(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading.cli", *args], cwd=KIT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "TOCHA_LANG": "en"})


def submission(kind: str, folder: Path, repository: bool) -> Path:
    """The solutions, the stubs, or the solutions with one wrong module; flat or as exercises/."""
    root = folder / "exercises" if repository else folder
    root.mkdir(parents=True, exist_ok=True)
    for m in MODULES:
        shutil.copy(KIT / ("exercises" if kind == "stubs" else "solutions") / f"{m}.py", root / f"{m}.py")
    if kind == "mutant":
        shutil.copy(MUTANT, root / "ex03_training.py")
    if repository:  # what a student repository from `tocha release` also holds: none of it is used
        (folder / "checks").mkdir()
        (folder / "checks" / "test_ex01_autograd.py").write_text("def test_free_points():\n    pass\n")
        (folder / "conftest.py").write_text("raise SystemExit('a student conftest must never be imported')\n")
    return folder


def _stripped(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines())


def solution_only_blocks(width: int = 3) -> list[str]:
    """Runs of `width` consecutive solution lines that the stubs do not have (the answers), less any
    that the check files, which students get anyway, already hold (their diagnostics)."""
    public = "\n".join(_stripped(p.read_text(encoding="utf-8")) for p in (KIT / "checks").glob("*.py"))
    blocks = []
    for m in MODULES:
        stub = {line.strip() for line in (KIT / "exercises" / f"{m}.py").read_text(encoding="utf-8").splitlines()}
        lines = [line.strip() for line in (KIT / "solutions" / f"{m}.py").read_text(encoding="utf-8").splitlines()]
        own = [line if line and line not in stub else None for line in lines]
        for k in range(len(own) - width + 1):
            if all(own[k:k + width]) and "\n".join(own[k:k + width]) not in public:
                blocks.append("\n".join(own[k:k + width]))
    assert len(blocks) > 10
    return blocks


def assert_no_solution_code(files: dict[str, bytes]) -> None:
    assert not any(name.split("/")[0] in ("solutions", "exercises") or "/solutions/" in name for name in files), \
        sorted(files)
    blocks = solution_only_blocks()
    for name, data in files.items():
        if name.endswith((".pt", ".gz")) or b"\0" in data[:4096]:
            continue
        text = _stripped(data.decode("utf-8", "replace"))
        leaked = [b for b in blocks if b in text]
        assert not leaked, f"{name} holds solution code:\n{leaked[0]}"


# ---------------------------------------------------------------- Gradescope

@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    proc = tocha("gradescope", str(out), "--modules", *MODULES, "--lang", "en")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_gradescope_zip_holds_the_scripts_and_no_solutions(gradescope_zip, tmp_path):
    with zipfile.ZipFile(gradescope_zip) as archive:
        files = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    for m in MODULES:
        assert f"kit/checks/test_{m}.py" in files and f"kit/checks/snapshots/{m}.pt" in files
    assert "kit/checks/test_ex02_forward.py" not in files and not any(n.startswith("kit/tests/") for n in files)
    assert_no_solution_code(files)
    setup = files["setup.sh"].decode()
    import torch

    assert f"torch=={torch.__version__.split('+')[0]}" in setup and "download.pytorch.org/whl/cpu" in setup
    for name in ("setup.sh", "run_autograder"):
        (tmp_path / name).write_bytes(files[name])
        assert subprocess.run(["bash", "-n", str(tmp_path / name)]).returncode == 0
        if shutil.which("shellcheck"):
            lint = subprocess.run(["shellcheck", "-S", "warning", str(tmp_path / name)], capture_output=True, text=True)
            assert lint.returncode == 0, lint.stdout


def run_autograder(gradescope_zip: Path, tree: Path, kind: str, repository: bool) -> tuple[subprocess.CompletedProcess, dict | None]:
    with zipfile.ZipFile(gradescope_zip) as archive:
        archive.extractall(tree / "source")
    (tree / "source" / "run_autograder").chmod(0o755)
    submission(kind, tree / "submission", repository)
    (tree / "results").mkdir()
    env = {**os.environ, "TOCHA_AUTOGRADER_ROOT": str(tree), "TOCHA_PYTHON": sys.executable}
    env.pop("TOCHA_LANG", None)
    proc = subprocess.run([str(tree / "source" / "run_autograder")], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=600)
    out = tree / "results" / "results.json"
    return proc, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else None)


def gradescope_problems(results: dict) -> list[str]:
    """Gradescope's results.json form (ANCHORS.md)."""
    problems = []
    visibilities = ("hidden", "after_due_date", "after_published", "visible")
    for key in ("visibility", "stdout_visibility"):
        if results.get(key) not in visibilities:
            problems.append(f"{key} is {results.get(key)!r}")
    if not isinstance(results.get("score"), (int, float)) or not isinstance(results.get("execution_time"), (int, float)):
        problems.append("score and execution_time must be numbers")
    for t in results.get("tests", []):
        if set(t) - {"name", "score", "max_score", "status", "output", "tags", "visibility", "number", "name_format",
                     "output_format", "extra_data"}:
            problems.append(f"unknown keys in a test: {set(t)}")
        if t.get("status") not in ("passed", "failed") or t.get("visibility") not in visibilities:
            problems.append(f"bad status or visibility in {t.get('name')}")
        if not 0 <= t["score"] <= t["max_score"]:
            problems.append(f"score out of range in {t.get('name')}")
    if results.get("score") != sum(t["score"] for t in results.get("tests", [])):
        problems.append("score is not the sum of the tests")
    return problems


@pytest.mark.parametrize("kind,repository", [("solutions", False), ("stubs", True), ("mutant", False)])
def test_run_autograder_on_a_simulated_tree(gradescope_zip, tmp_path, kind, repository):
    proc, results = run_autograder(gradescope_zip, tmp_path / "autograder", kind, repository)
    assert proc.returncode == 0 and results is not None, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert gradescope_problems(results) == []
    tests = results["tests"]
    possible = sum(t["max_score"] for t in tests)
    assert {t["tags"][0] for t in tests} == set(MODULES) and possible > 0
    if kind == "solutions":
        assert results["score"] == possible and all(t["status"] == "passed" for t in tests)
    elif kind == "stubs":
        assert results["score"] == 0 and all("NotImplementedError" in t["output"] for t in tests)
    else:
        failed = {t["tags"][1] for t in tests if t["status"] == "failed"}
        assert failed == {"train_step"}, failed
        assert any("zero_grad" in t["output"] for t in tests if t["status"] == "failed")
        assert 0 < results["score"] < possible


def test_run_autograder_fails_loudly_when_the_grader_is_broken(gradescope_zip, tmp_path):
    """Without its snapshots the grader must not hand out zeros: no results.json, exit non-zero."""
    tree = tmp_path / "autograder"
    with zipfile.ZipFile(gradescope_zip) as archive:
        archive.extractall(tree / "source")
    (tree / "source" / "kit" / "checks" / "snapshots" / "ex03_training.pt").unlink()
    (tree / "source" / "run_autograder").chmod(0o755)
    submission("solutions", tree / "submission", False)
    proc = subprocess.run([str(tree / "source" / "run_autograder")], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TOCHA_AUTOGRADER_ROOT": str(tree), "TOCHA_PYTHON": sys.executable})
    assert proc.returncode != 0 and not (tree / "results" / "results.json").exists()
    assert "tocha snapshot" in proc.stderr


# ---------------------------------------------------------------- Classroom 50

def contract_problems(result, env: dict) -> list[str]:
    """Classroom 50's result.json contract for an autograder (ANCHORS.md), as a list of violations."""
    if not isinstance(result, dict):
        return ["not a JSON object"]
    allowed = {"schema", "classroom", "assignment", "submission", "commit", "release", "review", "datetime",
               "score", "max-score", "tests"}
    problems = [f"top-level key {k!r} is not allowed" for k in sorted(set(result) - allowed)]
    problems += [f"{k!r} is missing" for k in sorted(allowed - set(result))]
    if result.get("schema") != "classroom50/result/v1":
        problems.append("schema")
    if result.get("classroom") != env["CLASSROOM"] or result.get("assignment") != env["ASSIGNMENT"]:
        problems.append("identity does not match the repository")
    if not str(result.get("submission", "")).startswith("submit/"):
        problems.append("submission must start with submit/")
    for key in ("classroom", "assignment", "submission", "commit", "release", "review", "datetime"):
        if not isinstance(result.get(key), str) or not result.get(key):
            problems.append(f"{key} must be a non-empty string")

    def count(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not count(result.get("score")) or not count(result.get("max-score")):
        problems.append("score and max-score must be non-negative integers")
    tests = result.get("tests")
    if not isinstance(tests, list):
        return problems + ["tests must be a list"]
    for i, t in enumerate(tests):
        if not isinstance(t, dict) or not isinstance(t.get("test-name"), str) or not t.get("test-name"):
            problems.append(f"tests[{i}] needs a non-empty test-name")
            continue
        if not isinstance(t.get("passed"), bool):
            problems.append(f"tests[{i}].passed must be a boolean")
        if not count(t.get("score")) or not count(t.get("max-score")) or t["score"] > t["max-score"]:
            problems.append(f"tests[{i}] scores must be integers with score <= max-score")
        elif t["passed"] != (t["score"] == t["max-score"] and t["max-score"] > 0):  # the kit's rule, not the contract's
            problems.append(f"tests[{i}].passed disagrees with its points")
    if all(count(t.get("score")) for t in tests if isinstance(t, dict)) and count(result.get("score")):
        if result["score"] != sum(t["score"] for t in tests) or result["max-score"] != sum(t["max-score"] for t in tests):
            problems.append("score and max-score must be the sums of the tests")
    if len({t.get("test-name") for t in tests if isinstance(t, dict)}) != len(tests):
        problems.append("test names must be unique")
    return problems


def test_the_contract_validator_catches_bad_results():
    good = {"schema": "classroom50/result/v1", "classroom": ENV["CLASSROOM"], "assignment": ENV["ASSIGNMENT"],
            "submission": ENV["SUBMISSION_TAG"], "commit": "c", "release": "r", "review": "v",
            "datetime": "2026-11-30T12:00:00Z", "score": 2, "max-score": 3,
            "tests": [{"test-name": "a", "passed": True, "score": 2, "max-score": 2, "output": "ok"},
                      {"test-name": "b", "passed": False, "score": 0, "max-score": 1}]}
    assert contract_problems(good, ENV) == []
    bad = [{**good, "score": 2.0}, {**good, "owner": "ana"}, {**good, "submission": "v1"},
           {**good, "assignment": "other"}, {**good, "score": True}, {**good, "datetime": ""},
           {**good, "tests": [{**good["tests"][0], "score": 2.5}, good["tests"][1]]},
           {**good, "tests": [{**good["tests"][0], "passed": "yes"}, good["tests"][1]]},
           {**good, "score": 3}, {k: v for k, v in good.items() if k != "review"}]
    for payload in bad:
        assert contract_problems(payload, ENV), payload


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("classroom50") / "tocha-ex01-ex03"
    proc = tocha("classroom50", str(out), "--assignment", ENV["ASSIGNMENT"], "--modules", *MODULES, "--lang", "en")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_classroom50_bundle_is_small_and_holds_no_solutions(bundle, tmp_path):
    files = {str(p.relative_to(bundle)): p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert "autograder.py" in files and "kit/grader.json" in files
    assert_no_solution_code(files)
    archive = tmp_path / "bundle.tar.gz"  # what publish-pages serves; the runner refuses more than 10 MB
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname=".")
    assert archive.stat().st_size < 10 * 1024 * 1024


def checkout(kind: str, folder: Path) -> Path:
    submission(kind, folder, repository=True)
    (folder / "result.json").write_text('{"score": 999, "max-score": 999}')  # forged, committed by the student
    (folder / "release-body.md").write_text("### 999/999 (all tests passed)\n")
    git = ["git", "-c", "user.name=ana", "-c", "user.email=ana@example.org", "-C", str(folder)]
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "submit", "--date", "2026-11-30T11:59:00Z"], check=True,
                   env={**os.environ, "GIT_COMMITTER_DATE": "2026-11-30T11:59:00Z"})
    return folder


def run_classroom50(bundle: Path, folder: Path, env: dict) -> subprocess.CompletedProcess:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TOCHA_"))}
    run_env.update({**env, "TOCHA_PYTHON": sys.executable, "CLASSROOM50_BUNDLE_DIR": str(bundle),
                    "RUNNER_TEMP": str(folder.parent)})
    return subprocess.run([sys.executable, str(bundle / "autograder.py")], cwd=folder, env=run_env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("kind", ["solutions", "stubs", "mutant"])
def test_classroom50_autograder_as_the_runner_calls_it(bundle, tmp_path, kind):
    folder = checkout(kind, tmp_path / "checkout")
    proc = run_classroom50(bundle, folder, ENV)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    assert contract_problems(result, ENV) == []
    assert result["datetime"] == "2026-11-30T11:59:00Z" and result["review"] == ENV["REVIEW_URL"]
    tests = {t["test-name"]: t for t in result["tests"]}
    assert {name.split(" › ")[0] for name in tests} == set(MODULES) and result["max-score"] > 0
    body = (folder / "release-body.md").read_text(encoding="utf-8")
    assert "999" not in body and f"{result['score']}/{result['max-score']}" in body
    if kind == "solutions":
        assert result["score"] == result["max-score"] and all(t["passed"] for t in tests.values())
    elif kind == "stubs":
        assert result["score"] == 0 and not any(t["passed"] for t in tests.values())
        assert all("NotImplementedError" in t["output"] for t in tests.values())
    else:
        failed = [name for name, t in tests.items() if not t["passed"]]
        assert failed == ["ex03_training › train_step"], failed
        assert "zero_grad" in tests["ex03_training › train_step"]["output"]


def test_classroom50_outside_the_grade_job_is_an_infrastructure_error(bundle, tmp_path):
    folder = checkout("solutions", tmp_path / "checkout")
    proc = run_classroom50(bundle, folder, {k: v for k, v in ENV.items() if k != "SUBMISSION_TAG"})
    assert proc.returncode != 0 and "SUBMISSION_TAG" in proc.stderr
    assert not (folder / "result.json").exists() and not (folder / "release-body.md").exists()  # the forged ones


def test_a_package_that_would_take_points_from_the_solutions_is_refused(bundle, tmp_path):
    """A snapshot missing calls the solutions make (an incomplete recording, its header still current)."""
    import torch

    from grading.publish.grader import verify_grader_kit

    kit = shutil.copytree(bundle / "kit", tmp_path / "kit")
    path = kit / "checks" / "snapshots" / "ex03_training.pt"
    body = torch.load(path, weights_only=True)
    dropped = body["calls"].pop("ex03_training.train_epoch")
    assert dropped
    torch.save(body, path)
    with pytest.raises(ValueError, match="solutions get") as refused:
        verify_grader_kit(kit, MODULES, "en")
    assert "train_epoch" in str(refused.value)
