"""Class statistics (grading/cohort/stats.py) and `tocha class-report` on a small real class.

The class is graded for real (grading.engine.batch, the mutant suite's path): the solutions, the stubs,
three wrong submissions of which two make the same mistake, and one correct-but-different one;
grades.csv adds a student who could not be graded and a results file that is not JSON.
"""
from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KIT
from grading import results as res
from grading.cohort.stats import hint_key, summarize, wording

SUBMISSIONS = KIT / "tests" / "submissions"
MODULE = "ex01_autograd"
CLASS = {  # student -> the ex01 file they hand in (None: the reference)
    "ana": None,
    "bruno": KIT / "exercises" / f"{MODULE}.py",
    "carla": SUBMISSIONS / MODULE / "gd_one_step_too_many.py",
    "davi": SUBMISSIONS / MODULE / "gd_one_step_too_many.py",
    "elisa": SUBMISSIONS / MODULE / "gd_modifies_x0.py",
    "fabio": SUBMISSIONS / MODULE / "gradients_with_backward_ok.py",
    "<img src=x onerror=alert(1)>": SUBMISSIONS / MODULE / "gradients_unused_none.py",
}
NOT_GRADED = {"zeca": "missing module ex01_autograd.py (closest: ex1_autograd.py)"}


def tocha(*args: str, lang: str = "en") -> subprocess.CompletedProcess:
    env = {**os.environ, "TOCHA_LANG": lang}
    return subprocess.run([sys.executable, "-m", "grading.cli", *args], cwd=KIT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory) -> Path:
    """DIR as `tocha grade` leaves it: results/<student>.json and grades.csv."""
    work = tmp_path_factory.mktemp("class")
    roots = {}
    for k, (student, source) in enumerate(CLASS.items()):
        root = work / "roots" / f"s{k}"
        shutil.copytree(KIT / "solutions", root, ignore=shutil.ignore_patterns("__pycache__"))
        if source is not None:
            shutil.copy(source, root / f"{MODULE}.py")
        roots[str(root)] = student
    out = work / "batch.json"
    proc = subprocess.run([sys.executable, "-m", "grading.engine.batch", str(out), f"checks/test_{MODULE}.py", *roots],
                          cwd=KIT, capture_output=True, text=True, timeout=600, env={**os.environ, "TOCHA_LANG": "en"})
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    folder = work / "DIR"
    (folder / "results").mkdir(parents=True)
    for root, payload in json.loads(out.read_text(encoding="utf-8")).items():
        payload.pop("exit_status")
        res.write_json(folder / "results" / f"{roots[root]}.json", payload)
    (folder / "results" / "gil.json").write_text('{"score": 3, "tests": [', encoding="utf-8")  # cut short
    with (folder / "grades.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", MODULE, "total", "max_score", "status"])
        for student in sorted([*CLASS, "gil"]):
            writer.writerow([student, "", "", "", "ok"])
        for student, why in NOT_GRADED.items():
            writer.writerow([student, "", 0, 0, why])
    return folder


@pytest.fixture(scope="module")
def stats(class_dir) -> dict:
    from grading.cohort.report import load_class

    return summarize(*load_class(class_dir))


# ---------------------------------------------------------------- the numbers

def test_statistics_count_students_items_and_mistakes(stats):
    json.dumps(stats)  # class.json is written from this as it is
    assert stats["students"] == len(CLASS) + 2 and stats["graded"] == len(CLASS)
    assert sorted(stats["not_graded"]) == ["gil", "zeca"]
    rows = {r["student"]: r for r in stats["rows"]}
    assert [r["student"] for r in stats["rows"]] == sorted(rows)
    assert rows["zeca"]["status"] == NOT_GRADED["zeca"] and rows["gil"]["status"].startswith("unreadable results")
    full = rows["ana"]["max_score"]
    assert full > 0 and rows["ana"]["total"] == full and rows["fabio"]["total"] == full
    assert rows["bruno"]["total"] == 0 and rows["bruno"]["to_fix"] == [] and len(rows["bruno"]["not_started"]) == 2
    assert rows["carla"]["to_fix"] == [f"{MODULE} › gradient_descent"]
    assert sum(stats["score"]["histogram"]["counts"]) == len(CLASS)
    assert stats["score"]["histogram"]["counts"][0] == 1 and stats["score"]["full_marks"] == 2

    items = {i["item"]: i for i in stats["items"]}
    gd = items["gradient_descent"]
    # ana, fabio and the one whose only mistake is in `gradients` pass; carla, davi, elisa fail; bruno not started
    assert (gd["students"], gd["passed"], gd["not_started"]) == (len(CLASS), 3, 1)
    assert gd["pass_rate"] == round(3 / len(CLASS), 4)
    (module,) = stats["modules"]
    assert module["module"] == MODULE and module["full_marks"] == 2

    top = stats["mistakes"][0]
    assert (top["item"], top["students"]) == ("gradient_descent", 2), stats["mistakes"]
    assert "steps instead of 1" in top["hint"] and "(seed" not in top["hint"]
    assert not any("NotImplementedError" in m["hint"] for m in stats["mistakes"])  # not started is not a mistake
    # elisa's mistake is another one, counted apart, with its own numbers
    assert sum(m["students"] for m in stats["mistakes"] if m["item"] == "gradient_descent") == 3
    assert any(m["item"] == "gradients" and m["students"] == 1 for m in stats["mistakes"])


def test_hints_group_by_mistake_not_by_student():
    a = "call 1: x raised ValueError at /srv/class/ana/ex01_autograd.py, line 12 (seed 48486289)"
    b = "call 1: x raised ValueError at /srv/class/bruno/ex01_autograd.py, line 31 (seed 48486289)"
    assert hint_key(a) == hint_key(b)
    assert wording(a) == "call 1: x raised ValueError at ex01_autograd.py, line 12"
    # different numbers are different mistakes; TensorBoard tags are not folders
    assert hint_key("It matches 0 steps instead of 1") != hint_key("It matches 2 steps instead of 1")
    assert "Loss/train_batch" in wording("logged under Loss/train_batch, not Loss/train")
    assert wording("module ex03_training.py was not found in /tmp/x/alice.") == \
        "module ex03_training.py was not found in […]."


def test_a_portuguese_results_file_reads_the_same():
    def payload(lang, status):
        records = [res.CheckResult("n1", MODULE, "gradients", "test_a", 4, "passed"),
                   res.CheckResult("n2", MODULE, "gradient_descent", "test_b", 3, status,
                                   {"en": "x0 was modified", "pt-BR": "x0 foi modificado"}, seed=7)]
        return res.gradescope(records, lang, 1.0)

    stats = summarize({"a": payload("pt-BR", "failed"), "b": payload("en", "failed"), "c": payload("pt-BR", "passed")},
                      curriculum={})
    hints = {(m["status"], m["hint"]): m["students"] for m in stats["mistakes"]}
    assert hints == {("failed", "x0 foi modificado"): 1, ("failed", "x0 was modified"): 1}
    assert [r["total"] for r in stats["rows"]] == [4, 4, 7]


# ---------------------------------------------------------------- the page

def test_class_report_page_holds_the_numbers(class_dir, stats, tmp_path):
    out = tmp_path / "en.html"
    proc = tocha("class-report", str(class_dir), "--lang", "en", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert "class report" in page and "The ten most common mistakes" in page
    assert not re.search(r'(src|href)="(?!data:|#)', page), "the page must not fetch anything"
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2  # histogram, items
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    top = stats["mistakes"][0]
    mistakes = page.split("The ten most common mistakes")[1].split("<h2")[0]
    assert "steps instead of 1" in mistakes and f"<b>{top['students']}</b>" in mistakes
    for student in ("ana", "bruno", "zeca", "gil"):
        assert f'<td class="stud">{student}</td>' in page
    assert NOT_GRADED["zeca"] in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page  # names are escaped
    assert "2 not started" in page

    pt = tmp_path / "pt.html"
    assert tocha("class-report", str(class_dir), "--lang", "pt-BR", "--out", str(pt)).returncode == 0
    page = pt.read_text(encoding="utf-8")
    assert "relatório da turma" in page and "Os dez erros mais comuns" in page and "2 não iniciados" in page
    # the class was graded in English; the results carry the hints in both languages
    mistakes = page.split("Os dez erros mais comuns")[1].split("<h2")[0]
    assert "passos em vez de 1" in mistakes and "steps instead of" not in mistakes


def test_class_report_without_results_says_what_it_needs(tmp_path):
    proc = tocha("class-report", str(tmp_path))
    assert proc.returncode == 2 and "results/<student>.json" in proc.stderr


def test_class_report_in_headless_chromium(class_dir, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no headless Chromium (apt-get install -y chromium)")
    out = tmp_path / "page.html"
    assert tocha("class-report", str(class_dir), "--out", str(out)).returncode == 0
    shot = tmp_path / "page.png"
    proc = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--window-size=1100,2400", f"--screenshot={shot}", out.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 30_000, proc.stderr[-2000:]
    # the students' table sorts by a click: click "total" twice (highest first, then lowest first)
    clicked = tmp_path / "clicked.html"
    total_col = 1 + 1  # student, ex01, total
    clicked.write_text(out.read_text(encoding="utf-8").replace(
        "</body>", f"<script>var th=document.querySelectorAll('#students th')[{total_col}];th.click();</script></body>"),
        encoding="utf-8")
    dom = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--dump-dom", clicked.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    order = re.findall(r'<td class="stud">([^<]+)</td>', dom.split('id="students"')[1])
    assert order[0] in ("ana", "fabio") and set(order[-2:]) == {"gil", "zeca"}, order
