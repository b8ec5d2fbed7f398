"""The nbgrader bridge, for real: `tocha nbgrader` writes a course, nbgrader generates the release,
autogrades submitted notebooks, writes feedback and exports grades.csv, and every grade equals,
point for point, what `pytest checks` gives the same code.

One course holds every curriculum module; its students are
  solution   the solutions' code in the release's answer cells (full marks),
  untouched  the release as it was handed out (nothing started),
  mutant     for each module, the first mistake of tests/submissions/<module>/ (a real wrong answer),
  hang_noise (first module only) an endless loop in the first item, run under a short cell time
             limit, and the solution plus stderr noise and warnings in the others.
The pytest side grades the same code as folders (the solutions, the stubs, a copy of the solutions
with the mutant dropped in) while nbgrader runs. Both sides use the course's language (pt-BR)
and the same --timeout-scale.

Needs the instructor extra (nbgrader, ipykernel); without it everything here is skipped.
Set TOCHA_NBGRADER_MODULES=ex01_autograd,ex02_forward to build a smaller course.
"""
from __future__ import annotations

import ast
import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="the instructor extra (nbgrader) is not installed")
pytest.importorskip("ipykernel", reason="the instructor extra (ipykernel) is not installed")

from conftest import KIT  # noqa: E402

from grading.notebooks.course import curriculum_modules, fill_answers, read_notebook, write_notebook  # noqa: E402

pytestmark = pytest.mark.slow  # minutes: `pytest tests --slow` (CI) runs it

LANG = "pt-BR"
SCALE = 3.0          # check time limits on both sides: a loaded CI machine must not change a verdict
HANG_TIMEOUT_S = 30  # nbgrader's cell limit for the student whose code never returns
_ONLY = [m for m in os.environ.get("TOCHA_NBGRADER_MODULES", "").split(",") if m]
MODULES = [m for m in curriculum_modules(KIT) if not _ONLY or m in _ONLY]
STUDENTS = ("solution", "untouched", "mutant")
HANG = "hang_noise"
TIMES: dict[str, float] = {}


def expected_of(path: Path) -> dict:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXPECTED" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def mutant_of(module: str) -> Path | None:
    """The module's first mutant that breaks something (else its first variant)."""
    files = sorted((KIT / "tests" / "submissions" / module).glob("*.py"))
    wrong = [f for f in files if expected_of(f)]
    return (wrong or files or [None])[0]


def _env(home: Path) -> dict:
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "OMP_WAIT_POLICY": "PASSIVE"}


def _run(label: str, cmd: list[str], cwd: Path, env: dict, timeout: int = 3600) -> subprocess.CompletedProcess:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    TIMES[label] = TIMES.get(label, 0.0) + time.perf_counter() - start
    assert proc.returncode == 0, f"{label} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return proc


def _nbgrader(label: str, course: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return _run(label, [sys.executable, "-m", "nbgrader", *args], course, env)


def _pytest_side(work: Path, env: dict, out: dict) -> None:
    """`pytest checks` (through grading.engine.batch) on the same code, as folders."""
    try:
        extra = ["--", "--lang", LANG, "--timeout-scale", str(SCALE)]
        checks = ",".join(f"checks/test_{m}.py" for m in MODULES)
        target = work / "pytest-reference.json"
        _run("pytest: solutions + stubs", [sys.executable, "-m", "grading.engine.batch", str(target), checks,
                                           str(KIT / "solutions"), str(KIT / "exercises"), *extra], KIT, env)
        payload = json.loads(target.read_text(encoding="utf-8"))
        out["solution"] = payload[str(KIT / "solutions")]
        out["untouched"] = payload[str(KIT / "exercises")]
        for module in MODULES:
            mutant = mutant_of(module)
            if mutant is None:
                continue
            root = work / "mutant-roots" / module
            shutil.copytree(KIT / "solutions", root, ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(mutant, root / f"{module}.py")
            target = work / f"pytest-mutant-{module}.json"
            _run("pytest: mutants", [sys.executable, "-m", "grading.engine.batch", str(target), f"checks/test_{module}.py",
                                     str(root), *extra], KIT, env)
            out[("mutant", module)] = json.loads(target.read_text(encoding="utf-8"))[str(root)]
    except BaseException as exc:  # noqa: BLE001 - reported by the tests that need it
        out["failure"] = exc


def _hang_and_noise(release: dict, module: str) -> dict:
    """The solution, except: the first item never returns; the others write to stderr and warn."""
    nb = fill_answers(release, (KIT / "solutions" / f"{module}.py").read_text(encoding="utf-8"), module)
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("answer_")]
    first = answers[0]["metadata"]["nbgrader"]["grade_id"].removeprefix("answer_")
    answers[0]["source"] = f"def {first}(*args, **kwargs):\n    while True:\n        pass\n"
    noise = ("\nimport os as _os, sys as _sys, warnings as _warnings\n"
             "def _noisy(fn):\n"
             "    def wrapper(*args, **kwargs):\n"
             "        _warnings.warn('a UserWarning from the student', UserWarning)\n"
             "        print('noise on sys.stderr', file=_sys.stderr)\n"
             "        _os.write(2, b'noise on file descriptor 2\\n')\n"
             "        return fn(*args, **kwargs)\n"
             "    return wrapper\n")
    for cell in answers[1:]:
        name = cell["metadata"]["nbgrader"]["grade_id"].removeprefix("answer_")
        if re.search(rf"^def {re.escape(name)}\(", cell["source"], re.M):
            cell["source"] += noise + f"{name} = _noisy({name})\n"
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Build the course, submit, autograde, give feedback, export; grade the same code with pytest."""
    work = tmp_path_factory.mktemp("nbgrader")
    course = work / "course"
    env = _env(work / "jupyter")
    expected: dict = {}
    pytest_thread = threading.Thread(target=_pytest_side, args=(work, env, expected), daemon=True)
    pytest_thread.start()
    start = time.perf_counter()
    _run("tocha nbgrader", [sys.executable, "-m", "grading.cli", "nbgrader", str(course), "--lang", LANG,
                            "--timeout-scale", str(SCALE), "--course-id", "tocha-kit-test",
                            "--modules", *MODULES], KIT, env)
    _nbgrader("nbgrader generate_assignment", course, env, "generate_assignment", "*", "--force")
    for module in MODULES:
        release = read_notebook(course / "release" / module / f"{module}.ipynb")
        submitted = course / "submitted"
        solution = (KIT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
        write_notebook(fill_answers(release, solution, module), submitted / "solution" / module / f"{module}.ipynb")
        write_notebook(release, submitted / "untouched" / module / f"{module}.ipynb")
        mutant = mutant_of(module)
        if mutant is not None:
            write_notebook(fill_answers(release, mutant.read_text(encoding="utf-8"), module),
                           submitted / "mutant" / module / f"{module}.ipynb")
    autograde = _nbgrader("nbgrader autograde", course, env, "autograde", "*", "--force")
    hang_module = MODULES[0]
    release = read_notebook(course / "release" / hang_module / f"{hang_module}.ipynb")
    write_notebook(_hang_and_noise(release, hang_module), course / "submitted" / HANG / hang_module / f"{hang_module}.ipynb")
    _nbgrader("nbgrader autograde (hang_noise)", course, env, "autograde", hang_module, "--student", HANG,
              "--force", f"--Execute.timeout={HANG_TIMEOUT_S}")
    _nbgrader("nbgrader generate_feedback", course, env, "generate_feedback", "*", "--force")
    _nbgrader("nbgrader export", course, env, "export")
    TIMES["nbgrader side"] = time.perf_counter() - start
    pytest_thread.join()
    TIMES["whole fixture"] = time.perf_counter() - start
    if "failure" in expected:
        raise expected["failure"]
    print("\nnbgrader kit test timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in TIMES.items()))
    return {"path": course, "pytest": expected, "autograde log": autograde.stdout + autograde.stderr}


# ---------------------------------------------------------------- reading both sides

def _grades_csv(course: Path) -> dict[tuple[str, str], dict]:
    with open(course / "grades.csv", newline="", encoding="utf-8") as fh:
        return {(row["student_id"], row["assignment"]): row for row in csv.DictReader(fh)}


def _cell_scores(course: Path, student: str, module: str) -> dict[str, tuple[float, float]]:
    """{item: (score, max_score)} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(module, module, student)
        return {g.name.removeprefix("test_"): (float(g.score), float(g.max_score)) for g in notebook.grades}


def _pytest_items(result: dict, module: str) -> dict[str, tuple[float, float]]:
    items: dict[str, list[float]] = {}
    for test in result["tests"]:
        if test["tags"][0] == module:
            score = items.setdefault(test["tags"][1], [0.0, 0.0])
            score[0] += test["score"]
            score[1] += test["max_score"]
    return {k: (v[0], v[1]) for k, v in items.items()}


def _pytest_hints(result: dict, module: str) -> dict[str, str]:
    """The score table's hint per item: the first check that did not pass."""
    hints: dict[str, str] = {}
    for test in result["tests"]:
        module_, item = test["tags"][0], test["tags"][1]
        if module_ == module and test["status"] != "passed" and item not in hints and ": " in test["output"]:
            hints[item] = test["output"].split(": ", 1)[1]
    return hints


def _test_cell_outputs(course: Path, student: str, module: str) -> dict[str, list[dict]]:
    nb = read_notebook(course / "autograded" / student / module / f"{module}.ipynb")
    return {c["metadata"]["nbgrader"]["grade_id"].removeprefix("test_"): c.get("outputs", [])
            for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


def _stdout(outputs: list[dict]) -> str:
    return "".join("".join(o["text"]) if isinstance(o.get("text"), list) else o.get("text", "")
                   for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _expected_result(course_run, student: str, module: str) -> dict:
    key = ("mutant", module) if student == "mutant" else student
    if key not in course_run["pytest"]:
        pytest.skip(f"{module} has no mutant in tests/submissions yet")
    return course_run["pytest"][key]


# ---------------------------------------------------------------- the tests

def test_course_config(course):
    text = (course["path"] / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "c.CourseDirectory.course_id = 'tocha-kit-test'" in text
    assert re.search(r"^c\.Execute\.timeout = \d+$", text, re.M)
    assert "c.IgnorePattern.enabled = True" in text


def test_autograde_prints_no_warnings(course):
    """The course configuration silences what nbgrader and ipykernel print on every run (issue 22):
    a teacher reads only nbgrader's own progress lines."""
    noisy = [line for line in course["autograde log"].splitlines()
             if "Warning" in line or "WARNING" in line or "warnings.warn" in line]
    assert not noisy, "\n".join(noisy[:10])


@pytest.mark.parametrize("module", MODULES)
def test_release_answer_cells_are_the_kit_stubs(course, module):
    stub = (KIT / "exercises" / f"{module}.py").read_text(encoding="utf-8")
    release = read_notebook(course["path"] / "release" / module / f"{module}.ipynb")
    answers = [c for c in release["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith("answer_")]
    assert answers
    for cell in answers:
        source = "".join(cell["source"])
        assert source in stub, f"{cell['metadata']['nbgrader']['grade_id']} differs from exercises/{module}.py"
        assert "BEGIN SOLUTION" not in source


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("module", MODULES)
def test_grades_equal_pytest_scores(course, module, student):
    result = _expected_result(course, student, module)
    want = _pytest_items(result, module)
    got = _cell_scores(course["path"], student, module)
    assert got == want, f"{student}/{module}: nbgrader {got} vs pytest {want}"
    row = _grades_csv(course["path"])[(student, module)]
    assert float(row["score"]) == sum(s for s, _ in want.values())
    assert float(row["max_score"]) == sum(m for _, m in want.values())


@pytest.mark.parametrize("module", MODULES)
def test_failing_cells_show_the_pytest_hint(course, module):
    """Each test cell of the mutant that loses points prints the score table's hint, in pt-BR."""
    result = _expected_result(course, "mutant", module)
    hints = _pytest_hints(result, module)
    outputs = _test_cell_outputs(course["path"], "mutant", module)
    assert hints, f"the mutant of {module} loses nothing under pytest"
    for item, hint in hints.items():
        printed = " ".join(_stdout(outputs[item]).split())
        if ".py" in hint:  # names a file and line: the notebook names the cell (In[n]) instead
            hint = re.split(r"\S+\.py", hint)[0]
        assert " ".join(hint.split()) in printed, f"{item}: pytest says {hint!r}, the cell printed {printed!r}"
    feedback = (course["path"] / "feedback" / "mutant" / module / f"{module}.html").read_text(encoding="utf-8")
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", "", feedback)).split())
    first = " ".join(re.split(r"\S+\.py", next(iter(hints.values())))[0].split())[:60]
    assert first in shown, f"the feedback of {module} does not show {first!r}"


def test_a_cell_that_times_out_loses_only_its_points(course):
    module = MODULES[0]
    scores = _cell_scores(course["path"], HANG, module)
    full = _pytest_items(course["pytest"]["solution"], module)
    first = next(iter(scores))
    assert scores[first] == (0.0, full[first][1])
    outputs = _test_cell_outputs(course["path"], HANG, module)
    assert any(o.get("output_type") == "error" for o in outputs[first])
    for item, (score, possible) in scores.items():
        if item != first:
            assert (score, possible) == full[item], f"{item} lost points to noise on stderr: {score}/{possible}"
            assert not any(o.get("name") == "stderr" for o in outputs[item])
    row = _grades_csv(course["path"])[(HANG, module)]
    assert float(row["score"]) == sum(s for item, (s, _) in full.items() if item != first)
