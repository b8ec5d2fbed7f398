"""`tocha release`: a student repository with no solution code that grades like the kit, and
`tocha verify`, which tells a tampered grader from a real score.

The release's checks run with this venv, but with PYTHONPATH and the rootdir on the release, so
its own grading/ and checks/ (and their snapshots) are used: the stubs get 0, the solutions
copied into its exercises/ get every point, from the recorded snapshots alone."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KIT, assert_hostile_verdicts
from grading.publish import release

TOTAL = 148


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "student-repo"
    release.build(KIT, out)
    return out


def _grade(repo: Path, impl: Path, tmp_path: Path, **machine: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / f"{impl.name}.json"
    env = {**os.environ, "PYTHONPATH": str(repo), "TOCHA_LANG": "en", **machine}
    proc = subprocess.run([sys.executable, "-m", "pytest", "checks", "--impl", str(impl), "--rootdir", str(repo),
                           "-p", "no:cacheprovider", "--score-json", str(out), "-q"],
                          cwd=repo, capture_output=True, text=True, env=env, timeout=900)
    return proc, json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}


def test_release_holds_what_a_student_needs_and_no_solution(released):
    names = {p.name for p in released.iterdir()}
    assert {"exercises", "checks", "datasets", "grading", "pyproject.toml", "README.md", ".github",
            release.MANIFEST} <= names
    assert not any(p.name == "solutions" for p in released.rglob("*"))
    assert not (released / "tests").exists()
    assert sorted(p.name for p in (released / "checks" / "snapshots").glob("*.pt")) == sorted(
        p.name for p in (KIT / "checks" / "snapshots").glob("*.pt"))
    assert release.leaks(released, KIT) == []
    readme = (released / "README.md").read_text(encoding="utf-8")
    assert "## English" in readme and "## Português (Brasil)" in readme and "pytest checks" in readme


def test_the_leak_detector_finds_a_solution_region(released, tmp_path):
    """Copied whole, pasted into a check, or pickled into a snapshot-like zip: every way is found."""
    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    (copy / "solutions").mkdir()
    shutil.copy(KIT / "solutions" / "ex03_training.py", copy / "grading" / "helper.py")
    region = release.solution_regions(KIT)[0][1]
    with open(copy / "checks" / "test_ex01_autograd.py", "a", encoding="utf-8") as f:
        f.write("\n" + "\n".join("    " + line for line in region) + "\n")
    found = release.leaks(copy, KIT)
    assert "solutions" in found
    assert any(f.startswith("grading/helper.py holds solutions/ex03_training.py") for f in found)
    assert any(f.startswith("checks/test_ex01_autograd.py holds") for f in found)


def test_release_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x").write_text("x")
    with pytest.raises(SystemExit):
        release.build(KIT, tmp_path)


@pytest.mark.slow
def test_released_checks_grade_stubs_zero_and_solutions_full(released, tmp_path):
    proc, stubs = _grade(released, released / "exercises", tmp_path)
    assert stubs.get("max_score") == TOTAL, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert stubs["score"] == 0 and proc.returncode == 1
    where = subprocess.run([sys.executable, "-c", "import grading.data as d; print(d.KIT_ROOT)"], capture_output=True,
                           text=True, env={**os.environ, "PYTHONPATH": str(released)}, cwd=released)
    assert Path(where.stdout.strip()) == released, "the kit's own grading/ was used, not the release's"
    submission = tmp_path / "submission"
    shutil.copytree(KIT / "solutions", submission, ignore=shutil.ignore_patterns("__pycache__"))
    proc, full = _grade(released, submission, tmp_path)
    failing = [t["name"] + ": " + t["output"] for t in full.get("tests", []) if t["status"] != "passed"]
    assert full.get("score") == TOTAL, "\n".join(failing) or proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.returncode == 0


def test_verify_accepts_the_release_and_names_every_tampering(released, tmp_path):
    trusted = json.loads((released / release.MANIFEST).read_text(encoding="utf-8"))
    assert release.verify(released, trusted) == {"changed": [], "missing": [], "added": [], "hook": []}
    repo = tmp_path / "student"
    shutil.copytree(released, repo)
    check = repo / "checks" / "test_ex02_forward.py"
    check.write_text(check.read_text(encoding="utf-8").replace("points=2", "points=0"), encoding="utf-8")
    (repo / "grading" / "verdict.py").unlink()
    (repo / "conftest.py").write_text("def pytest_collection_modifyitems(items): items.clear()\n", encoding="utf-8")
    (repo / ".github" / "workflows" / "extra.yml").write_text("on: push\n", encoding="utf-8")
    found = release.verify(repo, trusted)
    assert found["changed"] == ["checks/test_ex02_forward.py"]
    assert found["missing"] == ["grading/verdict.py"]
    assert found["added"] == [".github/workflows/extra.yml"]
    assert found["hook"] == ["conftest.py"]
    cli = subprocess.run([sys.executable, "-m", "grading.cli", "verify", str(repo), "--manifest",
                          str(released / release.MANIFEST)], capture_output=True, text=True, env={**os.environ, "TOCHA_LANG": "en"})
    assert cli.returncode == 1 and "changed: checks/test_ex02_forward.py" in cli.stdout


@pytest.mark.parametrize("machine", [{"ATEN_CPU_CAPABILITY": "default"},
                                     {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1"}],
                         ids=["generic-kernels", "avx2-mkl-compatible-1-thread"])
@pytest.mark.slow
def test_released_checks_give_full_marks_on_other_cpu_kernels(released, tmp_path, machine):
    """The snapshots were recorded with this machine's kernels; a student's rounds the last bits
    otherwise (other CPU, BLAS path, thread count). A correct submission still gets every point."""
    proc, full = _grade(released, KIT / "solutions", tmp_path, **machine)
    failing = [t["name"] + ": " + t["output"] for t in full.get("tests", []) if t["status"] != "passed"]
    assert full.get("score") == TOTAL, "\n".join(failing) or proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.slow
def test_replay_says_plainly_that_it_runs_on_the_cpu(released, tmp_path):
    """A release has no reference to run on a GPU: asked for one, it says what to do instead."""
    env = {**os.environ, "PYTHONPATH": str(released), "TOCHA_LANG": "en"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "--device", "cuda",
                           "-p", "no:cacheprovider", "-q"], cwd=released, capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 4 and "replay on the CPU only" in proc.stderr, proc.stdout[-2000:] + proc.stderr[-2000:]


# Each with the items judged as its HOSTILE says (grading_internals' gradients reaches for solutions/,
# forged_frames' for the reference's module, which a release does not have).
RELEASE_HOSTILE = {"borrow_gc": None, "grading_internals": ["gradient_descent"], "forged_frames": ["gradient_descent"],
                   "tracer": None, "signal_frame": None, "replay_answers": None, "one_shot_compare": None,
                   "poison_cases": None, "forge_channel": None}


@pytest.mark.parametrize("hostile", list(RELEASE_HOSTILE))
def test_a_release_catches_a_submission_that_borrows_the_recorded_answers(released, tmp_path, hostile):
    """From a release (the reference is the recorded snapshots): searching memory for the reference,
    the grader's own SnapshotRoot reading checks/snapshots/, frames from traceback's walkers, a trace
    function or a signal handler reaching the checks' frames, the recorded answers through pytest's
    session, a check's compare slipped in and put back, its cases rewritten, the worker's pipe taken
    over: each item the file names gets its declared verdict and no points."""
    path = KIT / "tests" / "hostile" / f"{hostile}.py"
    impl = tmp_path / hostile
    impl.mkdir()
    shutil.copy(path, impl / "ex01_autograd.py")
    out = tmp_path / f"{hostile}.json"
    env = {**os.environ, "PYTHONPATH": str(released), "TOCHA_LANG": "en"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "--impl", str(impl),
                           "--rootdir", str(released), "-p", "no:cacheprovider", "--score-json", str(out), "-q"],
                          cwd=released, capture_output=True, text=True, env=env, timeout=300)
    results = json.loads(out.read_text(encoding="utf-8"))
    assert_hostile_verdicts(results, path, RELEASE_HOSTILE[hostile], proc.stdout[-3000:])
    assert proc.returncode != 0


def test_a_release_hides_the_recorded_answers_from_native_readers(released, tmp_path):
    """torch's native file readers raise no audit event: from a release, only the kernel keeps them
    from checks/snapshots/ (grading/sandbox/namespaces.py), by the direct path and by /proc."""
    from grading.sandbox import namespaces

    unhidden = namespaces.probe()
    if unhidden:
        pytest.skip(f"the kernel cannot hide the grader's folders here: {unhidden}")
    impl = tmp_path / "read_native"
    impl.mkdir()
    shutil.copy(KIT / "tests" / "hostile" / "read_native.py", impl / "ex01_autograd.py")
    proc, results = _grade(released, impl, tmp_path)
    rows = [t for t in results["tests"] if t["tags"][0] == "ex01_autograd"]
    assert rows and all(t["score"] == 0 and t["tags"][2] == "error" for t in rows), proc.stdout[-3000:]
    assert all("no route to the reference" in t["output"] for t in rows), rows[0]["output"]
    assert results["extra_data"]["containment"] == {"files_hidden": True, "why": None}
