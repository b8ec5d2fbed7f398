"""`tocha grade`: a class graded at once, bad entries, resuming, shards and their merge.

One class (graded once, `--modules ex01` to stay fast) holds every kind of entry: the solutions,
the stubs, a mutant, a student repository, a zip with a wrapper folder, each kind of bad input,
and hostile code (a worker that kills itself, one that kills its job). Each row must say what
happened, and the run must finish for everyone.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from conftest import KIT, assert_hostile_verdicts, run_checks
from workflow_lint import actionlint, run_actionlint, run_zizmor, tool  # noqa: F401  (actionlint: a fixture)

MODULE = "ex01_autograd"
MUTANT = KIT / "tests" / "submissions" / MODULE / "gd_one_step_too_many.py"
SLIP_NAME = f"tocha-slip-{uuid.uuid4().hex[:8]}.py"
FORGE_REPLY = '''
import json, os
_FAKE = {"t": "done", "student": "forger", "elapsed_s": 0.0, "records": [
    {"nodeid": "x", "module": "ex01_autograd", "item": "gradients", "check": "x", "points": 1000,
     "status": "passed", "message": None, "seed": None, "duration": 0.0}]}
for _fd in range(3, 256):  # whatever channel the worker inherited, a forged "student done" line
    try:
        os.write(_fd, (json.dumps(_FAKE) + "\\n").encode())
    except OSError:
        pass
'''
KILL_JOB = '''
def gradients(f, *inputs):
    import os, signal
    os.kill(os.getppid(), signal.SIGKILL)  # the worker's parent: the grading job
'''


def tocha(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOCHA_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "grading.cli", *args], cwd=KIT, capture_output=True, text=True,
                          timeout=timeout, env=env)


BORROWERS = ("tracer", "forged_frames", "reference_code", "signal_frame", "replay_answers",  # tests/hostile/:
             "unplug_containment", "forge_channel")  # reaching for answers, or around the grader


def module_copy(folder: Path, source: Path, name: str = f"{MODULE}.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / name)
    return folder


def read_grades(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))


def by_student(out: Path) -> dict[str, dict]:
    return {row["student"]: row for row in read_grades(out)}


SOLUTION, STUB = KIT / "solutions" / f"{MODULE}.py", KIT / "exercises" / f"{MODULE}.py"


def build_class(folder: Path) -> None:
    module_copy(folder / "alice", SOLUTION)
    module_copy(folder / "bob", STUB)
    module_copy(folder / "carol", MUTANT)
    repo = module_copy(folder / "dave" / "exercises", SOLUTION).parent  # a student repository
    (repo / "README.md").write_text("my repo\n")
    module_copy(repo / "checks", KIT / "checks" / f"test_{MODULE}.py", f"test_{MODULE}.py")
    with zipfile.ZipFile(folder / "erin.zip", "w") as archive:
        archive.write(SOLUTION, f"erin-main/{MODULE}.py")
    # bad entries
    (folder / "empty").mkdir()
    module_copy(folder / "misnamed", SOLUTION, "ex1_autograd.py")
    (folder / "notebook").mkdir()
    (folder / "notebook" / f"{MODULE}.ipynb").write_text('{"cells": []}')
    latin = folder / "latin"
    latin.mkdir()
    (latin / f"{MODULE}.py").write_bytes("# cálculo\n".encode("latin-1") + SOLUTION.read_bytes())
    linked = folder / "linked"
    linked.mkdir()
    os.symlink(SOLUTION, linked / f"{MODULE}.py")  # a file outside the submission (another student's, say)
    with zipfile.ZipFile(folder / "slip.zip", "w") as archive:
        archive.write(SOLUTION, f"{MODULE}.py")
        archive.writestr(f"../../{SLIP_NAME}", "print('escaped')\n")
    with zipfile.ZipFile(folder / "absolute.zip", "w") as archive:
        archive.writestr(f"/tmp/{SLIP_NAME}", "print('escaped')\n")
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{MODULE}.py", b"#" * (65 * 2**20))  # 65 MiB that compress to ~64 KiB
    with zipfile.ZipFile(folder / "crowd.zip", "w") as archive:
        for k in range(20_001):
            archive.writestr(f"f{k}.txt", "")
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (folder / "notes.txt").write_text("not a submission\n")
    # hostile code
    module_copy(folder / "selfkill", KIT / "tests" / "hostile" / "sigkill_in_call.py")
    module_copy(folder / "native", KIT / "tests" / "hostile" / "read_native.py")
    for name in BORROWERS:
        module_copy(folder / name.replace("_", "-"), KIT / "tests" / "hostile" / f"{name}.py")
    solution = SOLUTION.read_text(encoding="utf-8")
    for student, source in (("forger", FORGE_REPLY + solution),
                            ("jobkill", solution.replace("def gradients(f, *inputs):",
                                                         KILL_JOB.strip() + "\n\n\ndef _unused(f, *inputs):", 1))):
        (folder / student).mkdir()
        (folder / student / f"{MODULE}.py").write_text(source, encoding="utf-8")


DEADLINE = "2030-01-01T00:00:00+00:00"
LATE = 1893628801  # 2030-01-03T00:00:01Z: two days and a second late, so three days


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    build_class(base / "class")
    os.utime(base / "class" / "carol" / f"{MODULE}.py", (LATE, LATE))
    (base / "roster.csv").write_text("student,id,email\nalice,2026001,alice@uni.br\n=carol,x,y\ncarol,2026003,"
                                     "carol@uni.br\n", encoding="utf-8")
    proc = tocha("grade", str(base / "class"), "--out", str(base / "out"), "--modules", "ex01", "--jobs", "2",
                 "--roster", str(base / "roster.csv"), "--export", "canvas", "--export", "moodle",
                 "--deadline", DEADLINE, "--late-penalty", "10", "--assignment", "Lab 1")
    return base, proc


def test_grades_csv_has_one_sorted_row_per_student(graded):
    base, proc = graded
    rows = read_grades(base / "out")
    header = (base / "out" / "grades.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (f"student,student_id,email,{MODULE},total,max_score,percent,submitted_at,late_days,"
                      "penalty_percent,final,graded_at,status"), header
    students = [r["student"] for r in rows]
    assert students == sorted(students)
    assert set(students) == {p.name.removesuffix(".zip") for p in (base / "class").iterdir()}, proc.stderr[-2000:]
    rows = {r["student"]: r for r in rows}
    assert rows["alice"]["total"] == rows["alice"]["max_score"] == rows["alice"][MODULE] != "0"
    assert rows["alice"]["status"] == "ok"
    assert rows["bob"]["total"] == "0" and rows["bob"]["status"] == "ok"
    assert 0 < int(rows["carol"]["total"]) < int(rows["carol"]["max_score"])


def test_grades_csv_has_roster_ids_percent_times_and_the_late_penalty(graded):
    base, _ = graded
    rows = by_student(base / "out")
    alice, carol = rows["alice"], rows["carol"]
    assert (alice["student_id"], alice["email"]) == ("2026001", "alice@uni.br")
    assert (carol["student_id"], carol["email"]) == ("2026003", "carol@uni.br")
    assert rows["bob"]["student_id"] == "" and rows["bob"]["percent"] == "0"
    assert alice["percent"] == "100" and alice["late_days"] == "0" and alice["final"] == alice["total"]
    assert carol["submitted_at"].startswith("2030-01-0") and carol["late_days"] == "3"
    assert carol["penalty_percent"] == "30" and float(carol["final"]) == round(int(carol["total"]) * 0.7, 2)
    for row in (alice, carol):
        assert time.time() - datetime.datetime.fromisoformat(row["graded_at"]).timestamp() < 3600
    assert datetime.datetime.fromisoformat(alice["submitted_at"]).timestamp() <= time.time()
    mask = os.umask(0o022)
    os.umask(mask)
    for name in ("grades.csv", "class.json", "canvas.csv", "results/alice.json", "feedback/alice.html"):
        assert (base / "out" / name).stat().st_mode & 0o777 == 0o666 & ~mask, name


def test_lms_gradebooks_canvas_and_moodle(graded):
    base, _ = graded
    canvas = list(csv.reader(io.StringIO((base / "out" / "canvas.csv").read_text(encoding="utf-8"))))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 1"]
    max_score = by_student(base / "out")["alice"]["max_score"]
    assert canvas[1] == ["Points Possible", "", "", "", "", max_score]
    by_name = {row[0]: row for row in canvas[2:]}
    assert by_name["alice"] == ["alice", "", "2026001", "alice@uni.br", "", max_score]
    assert by_name["carol"][5] == by_student(base / "out")["carol"]["final"]
    moodle = list(csv.DictReader(io.StringIO((base / "out" / "moodle.csv").read_text(encoding="utf-8"))))
    alice = next(r for r in moodle if r["Username"] == "alice")
    assert (alice["ID number"], alice["Email address"], alice["Lab 1"]) == ("2026001", "alice@uni.br", max_score)
    assert next(r for r in moodle if r["Username"] == "empty")["Lab 1"] == "0"


def test_each_student_gets_an_offline_feedback_page(graded):
    base, _ = graded
    page = (base / "out" / "feedback" / "carol.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert "gradient_descent" in page and "steps instead of" in page and "tocha hint gradient_descent" in page
    assert {p.stem for p in (base / "out" / "feedback").iterdir()} == {
        p.stem for p in (base / "out" / "results").iterdir()}


def test_roster_reads_with_or_without_a_header(tmp_path):
    from grading.cohort.outputs import Student, load_roster

    (tmp_path / "a.csv").write_text("Name,E-mail,Student ID\nana,ana@x.br,17\n", encoding="utf-8")
    assert load_roster(tmp_path / "a.csv") == {"ana": Student("17", "ana@x.br")}
    (tmp_path / "b.csv").write_text("ana,17,ana@x.br\nben,18\n", encoding="utf-8")
    assert load_roster(tmp_path / "b.csv") == {"ana": Student("17", "ana@x.br"), "ben": Student("18", "")}


def test_modules_are_comma_or_space_separated_everywhere():
    from grading.cli import build_parser
    from grading.curriculum import module_names

    grade = build_parser().parse_args(["grade", "subs", "--out", "o", "--modules", "ex01", "ex03,ex04"])
    notebook = build_parser().parse_args(["nbgrader", "course", "--modules", "ex01,ex02", "ex05"])
    assert module_names(grade.modules) == ["ex01", "ex03", "ex04"]
    assert module_names(notebook.modules) == ["ex01", "ex02", "ex05"]
    assert module_names("ex01, ex02") == ["ex01", "ex02"]


def test_release_and_nbgrader_describe_themselves():
    for command in ("release", "nbgrader"):
        proc = subprocess.run([sys.executable, "-m", "grading.cli", command, "--help"], cwd=KIT, capture_output=True,
                              text=True, env={**os.environ, "TOCHA_LANG": "pt-BR"}, timeout=60)
        assert proc.returncode == 0 and "tocha" in proc.stdout.split("options")[0].split("\n\n", 1)[1], proc.stdout
    assert "kit instalado" in subprocess.run([sys.executable, "-m", "grading.cli", "nbgrader", "--help"], cwd=KIT,
                                             capture_output=True, text=True, timeout=60,
                                             env={**os.environ, "TOCHA_LANG": "pt-BR"}).stdout


def test_student_repository_and_zip_with_wrapper_folder_are_graded(graded):
    rows = by_student(graded[0] / "out")
    for student in ("dave", "erin"):
        assert rows[student]["status"] == "ok", rows[student]
        assert rows[student]["total"] == rows["alice"]["max_score"], rows[student]


def test_results_file_is_what_pytest_checks_writes(graded):
    """The same submission gets the same results, row for row, as `pytest checks --impl`."""
    base, _ = graded
    ours = json.loads((base / "out" / "results" / "carol.json").read_text(encoding="utf-8"))
    _, theirs = run_checks(f"checks/test_{MODULE}.py", "--impl", str(base / "class" / "carol"))
    rows = lambda payload: [{k: t[k] for k in ("name", "score", "max_score", "status", "output", "tags")}  # noqa: E731
                            for t in payload["tests"]]
    assert rows(ours) == rows(theirs)
    assert [ours[k] for k in ("score", "max_score", "output")] == [theirs[k] for k in ("score", "max_score", "output")]


BAD = {
    "empty": "empty submission",
    "misnamed": f"missing {MODULE}.py (closest file found: ex1_autograd.py)",
    "notebook": f"{MODULE}.ipynb is a notebook",
    "linked": f"{MODULE}.py is a link to outside the submission: not followed",
    "slip": f"zip refused: entry '../../{SLIP_NAME}' would be written outside its folder",
    "absolute": f"zip refused: entry '/tmp/{SLIP_NAME}' would be written outside its folder",
    "bomb": "refused: the files to grade add up to more than 64 MiB",
    "crowd": "zip refused: 20001 entries (limit 20000)",
    "broken": "not a readable zip",
    "notes.txt": "not a folder or a .zip: notes.txt",
}


@pytest.mark.parametrize("student", sorted(BAD))
def test_bad_entry_gets_a_clear_status_and_no_points(graded, student):
    row = by_student(graded[0] / "out")[student]
    assert BAD[student] in row["status"], row
    assert row["total"] == "0", row
    payload = json.loads((graded[0] / "out" / "results" / f"{student}.json").read_text(encoding="utf-8"))
    assert payload["score"] == 0 and BAD[student] in payload["output"]


def test_non_utf8_source_is_named_and_graded_as_python_reads_it(graded):
    base, _ = graded
    row = by_student(base / "out")["latin"]
    assert "ex01_autograd.py is not UTF-8 text (byte 0xe1 at line 1)" in row["status"], row
    _, theirs = run_checks(f"checks/test_{MODULE}.py", "--impl", str(base / "class" / "latin"))
    assert int(row["total"]) == theirs["score"]


def test_zip_slip_writes_nothing_outside(graded):
    base, _ = graded
    escaped = [p for p in (Path("/tmp") / SLIP_NAME, base / SLIP_NAME, base.parent / SLIP_NAME) if p.exists()]
    assert not escaped
    assert not list(base.rglob(SLIP_NAME))


def test_hostile_code_costs_only_its_own_student(graded):
    base, proc = graded
    rows = by_student(base / "out")
    assert 0 < int(rows["selfkill"]["total"]) < int(rows["selfkill"]["max_score"])  # its worker died: that check only
    # Signalling the grading job is refused inside the worker (grading/sandbox/containment.py); where
    # the worker has its own PID namespace (grading/sandbox/namespaces.py) the job is not even
    # visible: getppid() is 0, and kill(0) ends the worker's own process group. Either way only the
    # checks whose code tried it lose their points, and the job goes on.
    assert 0 < int(rows["jobkill"]["total"]) < int(rows["jobkill"]["max_score"]), rows["jobkill"]
    results = json.loads((base / "out" / "results" / "jobkill.json").read_text(encoding="utf-8"))
    said = [t["output"] for t in results["tests"] if t["tags"][2] == "error"]
    assert said and all("signal another process" in t or "killed by SIGKILL" in t for t in said), said
    assert rows["alice"]["total"] == rows["alice"]["max_score"]
    assert rows["forger"]["total"] == "0", rows["forger"]  # a forged reply reaches nobody; its module errs
    assert rows["forger"]["max_score"] == rows["alice"]["max_score"]
    assert proc.returncode == 0, proc.stderr[-2000:]  # every student graded (a job that dies is retried on a re-run)
    assert "0 not graded" in proc.stderr


def test_the_graders_files_are_hidden_from_every_student(graded):
    """Reading the reference with torch's native readers (no audit event) finds nothing where the
    kernel hides it (grading/sandbox/namespaces.py); each student's results say whether it did."""
    from grading.sandbox import namespaces

    base, _proc = graded
    unhidden = namespaces.probe()
    for student in ("alice", "native"):
        results = json.loads((base / "out" / "results" / f"{student}.json").read_text(encoding="utf-8"))
        assert results["extra_data"]["containment"] == {"files_hidden": unhidden is None, "why": unhidden}
    assert ("did not hide the reference" in _proc.stderr) == (unhidden is not None), _proc.stderr[-2000:]
    if unhidden:
        pytest.skip(f"the kernel cannot hide the grader's folders here: {unhidden}")
    assert by_student(base / "out")["native"]["total"] == "0"
    assert all("no route to the reference" in t["output"] for t in results["tests"])


@pytest.mark.parametrize("name", BORROWERS)
def test_a_student_who_reaches_for_the_answers_gets_no_points_for_it(graded, name):
    """A trace function, code compiled under a check's name, the reference's own code objects, a
    signal handler's frame, pytest's session through module globals: in `tocha grade` as live and
    from a release (tests/hostile/)."""
    base, _proc = graded
    results = json.loads((base / "out" / "results" / f"{name.replace('_', '-')}.json").read_text(encoding="utf-8"))
    assert_hostile_verdicts(results, KIT / "tests" / "hostile" / f"{name}.py")
    assert results["score"] < results["max_score"]


def test_a_machine_that_cannot_hide_the_graders_folders_says_so(tmp_path):
    """Where namespaces are refused (here: said to be, by a sitecustomize every process loads), the
    run's last lines tell the teacher, with the reason, and each student's results keep it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("from grading.sandbox import namespaces\n"
                                           "namespaces.available = lambda: 'refused for the test'\n")
    klass, out = tmp_path / "class", tmp_path / "out"
    module_copy(klass / "ana", SOLUTION)
    env = {**os.environ, "TOCHA_LANG": "en",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site), str(KIT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "grading.cli", "grade", str(klass), "--out", str(out),
                           "--modules", "ex01", "--jobs", "1"], cwd=KIT, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "did not hide the reference" in proc.stderr and "refused for the test" in proc.stderr, proc.stderr[-2000:]
    results = json.loads((out / "results" / "ana.json").read_text(encoding="utf-8"))
    assert results["extra_data"]["containment"] == {"files_hidden": False, "why": "refused for the test"}
    assert results["score"] == results["max_score"]


def test_class_json_counts_the_class(graded):
    stats = json.loads((graded[0] / "out" / "class.json").read_text(encoding="utf-8"))
    assert stats["students"] == len(read_grades(graded[0] / "out"))
    assert {"empty", "slip", "bomb"} <= set(stats["not_graded"])
    assert {"alice", "bob", "carol", "jobkill"}.isdisjoint(stats["not_graded"])
    items = {i["item"]: i for i in stats["items"]}
    assert 0 < items["gradient_descent"]["pass_rate"] < 1


def test_progress_prints_plain_lines_with_eta_when_not_a_terminal(graded):
    lines = [line for line in graded[1].stderr.splitlines() if line.startswith("[")]
    assert len(lines) == len(read_grades(graded[0] / "out"))
    assert all(re.match(r"\[\s*\d+/\d+\] \S+: .* · ETA (\d+s|\d+m\d\ds|\?)$", line) for line in lines), lines
    assert "\r" not in graded[1].stderr


def test_progress_bar_redraws_one_line_on_a_terminal():
    from grading.cohort.progress import Progress

    clock = iter(range(100))
    stream = io.StringIO()
    progress = Progress(4, "en", stream, tty=True, clock=lambda: float(next(clock)))
    progress.step("alice: 14/14 · ok")
    progress.step("bob: 0/14 · ok")
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "2/4" in text and "ETA" in text and "bob: 0/14" in text


# ---------------------------------------------------------------- resuming

def small_class(folder: Path, names=("ana", "ben", "cris", "davi", "edu")) -> Path:
    for k, name in enumerate(names):
        module_copy(folder / name, SOLUTION if k % 2 == 0 else MUTANT)
    return folder


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    """Five students graded whole: (class folder, output folder)."""
    base = tmp_path_factory.mktemp("small")
    klass, out = small_class(base / "class"), base / "out"
    proc = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "5 to grade, 0 unchanged" in proc.stderr
    return klass, out


def test_rerun_skips_unchanged_students_and_force_grades_all(small, tmp_path):
    klass, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(small[0], klass)
    shutil.copytree(small[1], out)
    same = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01")
    assert same.returncode == 0 and "0 to grade, 5 unchanged" in same.stderr, same.stderr
    before = {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()}
    (klass / "ben" / f"{MODULE}.py").write_bytes(SOLUTION.read_bytes())
    second = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01")
    assert "1 to grade, 4 unchanged" in second.stderr, second.stderr
    after = {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()}
    assert [n for n in before if before[n] != after[n]] == ["ben.json"]
    assert by_student(out)["ben"]["total"] == by_student(out)["ana"]["total"]
    forced = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01", "--force", "--jobs", "1")
    assert "5 to grade, 0 unchanged" in forced.stderr
    other = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01", "--lang", "pt-BR", "--jobs", "1")
    assert "todos os alunos serão avaliados de novo" in other.stderr and "a avaliar: 5" in other.stderr


def test_one_student_is_graded_again_alone(small, tmp_path):
    klass, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(small[0], klass)
    shutil.copytree(small[1], out)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()}
    (klass / "ben" / f"{MODULE}.py").write_bytes(SOLUTION.read_bytes())
    (klass / "cris" / f"{MODULE}.py").write_bytes(STUB.read_bytes())  # changed, but not asked for
    again = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01", "--student", str(klass / "ben"))
    assert again.returncode == 0 and "1 to grade, 4 unchanged" in again.stderr, again.stderr
    after = {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()}
    assert [n for n in before if before[n] != after[n]] == ["ben.json"]
    rows = by_student(out)
    assert rows["ben"]["total"] == rows["ana"]["total"] and rows["cris"]["total"] == rows["ana"]["total"]
    unknown = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01", "--student", "nobody")
    assert unknown.returncode == 2 and "no entry for --student nobody" in unknown.stderr, unknown.stderr


def test_interrupted_run_keeps_what_it_graded(tmp_path):
    klass, out = small_class(tmp_path / "class", ("a1", "a2")), tmp_path / "out"
    module_copy(klass / "z-slow", KIT / "tests" / "hostile" / "loop_at_import_no_alarm.py")
    cmd = [sys.executable, "-m", "grading.cli", "grade", str(klass), "--out", str(out), "--modules", "ex01",
           "--jobs", "1", "--timeout-scale", "0.5"]
    # A student presses Ctrl-C: SIGINT as a terminal delivers it (a test run started in the
    # background inherits SIGINT ignored, and so would the grader without this).
    proc = subprocess.Popen(cmd, cwd=KIT, stderr=subprocess.PIPE, text=True, env={**os.environ, "TOCHA_LANG": "en"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    for line in proc.stderr:  # the progress line of the second student: z-slow is graded next
        seen.append(line)
        if line.startswith("[2/3]"):
            break
    time.sleep(1.0)  # z-slow is now looping at import (for 15 s: 30 s x 0.5; a loaded machine is slow)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr
    assert "interrupted: 2 graded and kept" in stderr
    assert sorted(by_student(out)) == ["a1", "a2"]
    again = tocha("grade", str(klass), "--out", str(out), "--modules", "ex01", "--timeout-scale", "0.5")
    assert "1 to grade, 2 unchanged" in again.stderr, again.stderr
    assert sorted(by_student(out)) == ["a1", "a2", "z-slow"]
    assert by_student(out)["z-slow"]["total"] == "0"


# ---------------------------------------------------------------- shards

def test_shards_merge_into_the_whole_class(small, tmp_path):
    klass, whole = small
    seen = []
    for k in (1, 2):
        part = tocha("grade", str(klass), "--out", str(tmp_path / f"part{k}"), "--modules", "ex01", "--shard", f"{k}/2",
                     "--jobs", "1")
        assert part.returncode == 0, part.stderr[-2000:]
        seen.append(set(by_student(tmp_path / f"part{k}")))
    assert seen[0].isdisjoint(seen[1]) and seen[0] | seen[1] == set(by_student(whole))
    merged = tocha("grade", "merge", str(tmp_path / "part1"), str(tmp_path / "part2"),
                   "--out", str(tmp_path / "merged"))
    assert merged.returncode == 0, merged.stderr

    def grades(out):  # the time each was graded differs between the runs
        return [{k: v for k, v in row.items() if k != "graded_at"} for row in read_grades(out)]

    assert grades(tmp_path / "merged") == grades(whole)
    assert sorted(p.name for p in (tmp_path / "merged" / "results").iterdir()) == \
        sorted(p.name for p in (whole / "results").iterdir())
    stats = json.loads((tmp_path / "merged" / "class.json").read_text())
    assert stats["students"] == 5

    missing = tocha("grade", "merge", str(tmp_path / "part1"), "--out", str(tmp_path / "m2"))
    assert missing.returncode == 2 and "expected 1..2 of 2, got 1/2" in missing.stderr
    twice = tocha("grade", "merge", str(tmp_path / "part1"), str(tmp_path / "part1"), "--out", str(tmp_path / "m3"))
    assert twice.returncode == 2
    other = tocha("grade", "merge", str(whole), str(klass), "--out", str(tmp_path / "m4"))
    assert other.returncode == 2 and "not the output of `tocha grade`" in other.stderr


def test_shard_slices_are_disjoint_and_cover_the_class():
    from grading.cohort.grade import parse_shard, shard_of

    students = [f"s{k:03d}" for k in range(37)]
    slices = [shard_of(students, (i, 4)) for i in range(1, 5)]
    assert sorted(sum(slices, [])) == students
    assert max(map(len, slices)) - min(map(len, slices)) <= 1
    for bad in ("0/4", "5/4", "2", "a/b", "2/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)


# ---------------------------------------------------------------- the documented Actions workflow

def documented_workflow() -> str:
    text = (KIT / "docs" / "grade-class-in-actions.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- tocha-grade-workflow -->\n```yaml\n(.*?)```", text, re.S)
    assert match, "docs/grade-class-in-actions.md has no tocha grade workflow"
    return match.group(1)


def test_documented_workflow_uses_the_commands_as_they_are():
    workflow = documented_workflow()
    assert re.search(r"tocha grade submissions --out \S+ --shard \"\$SHARD/4\"", workflow)
    assert "tocha grade merge shards/graded-* --out graded" in workflow
    assert re.search(r"shard: \[1, 2, 3, 4\]", workflow)
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", use) for use in re.findall(r"uses: (\S+)", workflow))


@pytest.fixture(scope="module")
def documented_workflow_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("documented") / ".github" / "workflows" / "grade-class.yml"
    path.parent.mkdir(parents=True)
    path.write_text(documented_workflow(), encoding="utf-8")
    return path


def test_documented_workflow_passesrun_actionlint(actionlint, documented_workflow_file, tmp_path):
    assert run_actionlint(actionlint, documented_workflow_file, tmp_path=tmp_path) == []


def test_documented_workflow_matches_the_github_workflow_schema(documented_workflow_file):
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                           str(documented_workflow_file)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing_in_the_documented_workflow_even_as_an_auditor(documented_workflow_file):
    assert run_zizmor(documented_workflow_file, "auditor") == []


# ---------------------------------------------------------------- intake and outputs, without grading

def test_intake_finds_the_root_where_the_modules_are(tmp_path):
    from grading.cohort.intake import Entry, prepare

    modules = [MODULE, "ex02_forward"]
    whole_kit = tmp_path / "kit.zip"  # the student repository and, beside it, someone's answers
    with zipfile.ZipFile(whole_kit, "w") as archive:
        for folder, source in (("answers", SOLUTION), ("tocha-main/exercises", MUTANT)):
            archive.write(source, f"{folder}/{MODULE}.py")
            archive.writestr(f"{folder}/ex02_forward.py", "")
    prepared = prepare(Entry("kit", [whole_kit]), tmp_path / "stage1", modules, modules)
    assert (prepared.root / f"{MODULE}.py").read_bytes() == MUTANT.read_bytes()
    assert prepared.status("en") == "ok"

    lms = tmp_path / "lms" / "alice_1234_assignsubmission_file_"  # a download that wraps the zip in a folder
    lms.mkdir(parents=True)
    with zipfile.ZipFile(lms / "entrega.zip", "w") as archive:
        archive.write(SOLUTION, f"{MODULE}.py")
    prepared = prepare(Entry("alice", [lms]), tmp_path / "stage2", modules, modules)
    assert (prepared.root / f"{MODULE}.py").is_file()
    assert prepared.status("en") == "missing ex02_forward.py"
    assert prepared.status("pt-BR") == "falta ex02_forward.py"


def test_grades_csv_never_starts_a_cell_with_a_formula():
    from grading.cohort.outputs import Ledger, Row, grades_csv

    row = Row(status={"en": "=cmd|' /c calc'!A1", "pt-BR": "-"}, modules={MODULE: [1, 2]}, total=1, max_score=2)
    rows = list(csv.reader(io.StringIO(grades_csv(Ledger(config={}, students={"@alice": row}), [MODULE], "en"))))
    assert rows[1] == ["'@alice", "", "", "1", "1", "2", "50", "", "0", "0", "1", "", "'=cmd|' /c calc'!A1"]


# ---------------------------------------------------------------- a job killed from outside

SLOW_IMPORT = '''
import os as _os, time as _time
with open(_os.environ["TOCHA_TEST_MARK"], "a") as _mark:  # the test kills the grading job now
    _mark.write("x")
_time.sleep(6)
'''


def _jobs_of(parent: int) -> list[int]:
    """The grading jobs `tocha grade` (pid `parent`) started: `python -m grading.cohort.job`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b"grading.cohort.job" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the grading job through /proc")
@pytest.mark.parametrize("kills", [1, 2])
def test_a_job_killed_from_outside_costs_nobody_their_grade(tmp_path, kills):
    """The grading job dies (the machine's OOM killer, an operator) while it grades "bia": she is
    graded again in a fresh job; a second death is her row's "not graded" with how the job ended.
    The others are graded either way."""
    klass, out, mark = tmp_path / "class", tmp_path / "out", tmp_path / "mark"
    module_copy(klass / "ana", SOLUTION)
    (klass / "bia").mkdir(parents=True)
    (klass / "bia" / f"{MODULE}.py").write_text(SLOW_IMPORT + SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    module_copy(klass / "caio", MUTANT)
    env = {**os.environ, "TOCHA_LANG": "en", "TOCHA_TEST_MARK": str(mark)}
    proc = subprocess.Popen([sys.executable, "-m", "grading.cli", "grade", str(klass), "--out", str(out),
                             "--modules", "ex01", "--jobs", "1"], cwd=KIT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for k in range(1, kills + 1):
            deadline = time.monotonic() + 240
            while (mark.read_text() if mark.exists() else "") != "x" * k:
                assert time.monotonic() < deadline and proc.poll() is None, "bia was never graded"
                time.sleep(0.05)
            jobs = _jobs_of(proc.pid)
            assert len(jobs) == 1, jobs
            os.kill(jobs[0], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    rows = by_student(out)
    assert rows["ana"]["total"] == rows["ana"]["max_score"]
    assert 0 < int(rows["caio"]["total"]) < int(rows["caio"]["max_score"])
    if kills == 1:
        assert proc.returncode == 0 and "0 not graded" in stderr, stderr[-2000:]
        assert rows["bia"]["total"] == rows["bia"]["max_score"], rows["bia"]
        assert mark.read_text() == "xx"
    else:
        assert proc.returncode != 0 and "1 not graded" in stderr, stderr[-2000:]
        assert "SIGKILL" in stderr or "signal 9" in stderr, stderr[-2000:]
        assert rows["bia"]["total"] in ("", "0"), rows["bia"]
