"""The student's loop: `tocha status`, `tocha watch` (in a real terminal, under tmux), `tocha hint`,
`tocha report` and `pytest --html-report`, on the stubs, a partly solved folder and the solutions.

Each command runs as a subprocess, like a student runs it, with its own results cache.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import KIT
from grading.student import explanations
from grading import curriculum
from grading.engine import cache as results_cache
from grading.student import run
from grading.text import LANGS

SUBMISSIONS = KIT / "tests" / "submissions"


def tocha(*args, cache: Path, lang: str = "en", timeout: int = 600, cwd: Path = KIT):
    env = {**os.environ, "TOCHA_CACHE": str(cache), "TOCHA_LANG": lang, "NO_COLOR": "1", "COLUMNS": "110"}
    return subprocess.run([sys.executable, "-m", "grading.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _folder(tmp: Path, **modules: Path) -> Path:
    """A submission folder: the stubs, with some modules replaced."""
    shutil.copytree(KIT / "exercises", tmp, ignore=shutil.ignore_patterns("__pycache__"))
    for name, source in modules.items():
        shutil.copy(source, tmp / f"{name}.py")
    return tmp


@pytest.fixture(scope="module")
def partly(tmp_path_factory) -> Path:
    """ex01 with one step too many, ex02 solved, ex03 whose train_bgd never clears, the rest stubs."""
    return _folder(tmp_path_factory.mktemp("partly") / "submission",
                   ex01_autograd=SUBMISSIONS / "ex01_autograd" / "gd_one_step_too_many.py",
                   ex02_forward=KIT / "solutions" / "ex02_forward.py",
                   ex03_training=SUBMISSIONS / "ex03_training" / "bgd_never_cleared.py")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


# ---------------------------------------------------------------- explanations

def test_every_graded_item_has_an_explanation_in_both_languages():
    modules = curriculum.discover()
    assert sum(len(items) for items in modules.values()) >= 30, modules
    missing, wrong_module = [], []
    for module, items in modules.items():
        for item in items:
            entry = explanations.EXPLANATIONS.get(item)
            if entry is None:
                missing.append(f"{module}.{item}")
                continue
            if entry.module != module:
                wrong_module.append(f"{item}: {entry.module} != {module}")
            for part in (entry.concept, entry.lesson, entry.look, entry.lesson_title):
                assert part.en.strip() and part.pt.strip(), item
                assert part.en != part.pt, f"{item}: untranslated {part.en[:40]!r}"
            assert len(entry.points("en")) == len(entry.points("pt-BR")) >= 2, item
    assert not missing, f"items with no explanation in grading/student/explanations.py: {missing}"
    assert not wrong_module, wrong_module
    graded = {item for items in modules.values() for item in items}
    assert set(explanations.EXPLANATIONS) <= graded, set(explanations.EXPLANATIONS) - graded


def _solution_lines() -> set[str]:
    lines = set()
    for path in (KIT / "solutions").glob("ex*.py"):
        inside = False
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("### BEGIN SOLUTION"):
                inside = True
            elif line.startswith("### END SOLUTION"):
                inside = False
            elif inside and len(line) >= 16 and not line.startswith("#") and not re.fullmatch(r"[\w.]+\(\)", line):
                lines.add(line)  # a bare call such as optimizer.step() is an API name, not an answer
    return lines


def test_explanations_give_ideas_not_solution_code():
    code = _solution_lines()
    assert len(code) > 50
    for entry in explanations.EXPLANATIONS.values():
        for lang in LANGS:
            text = " ".join(t.get(lang) for t in (entry.concept, entry.lesson, entry.look))
            leaked = [line for line in code if line in text]
            assert not leaked, f"{entry.item} ({lang}) quotes solution code: {leaked}"


def test_the_cli_side_never_imports_torch_or_student_code():
    probe = ("import sys, grading.cli, grading.student.commands, grading.student.run, grading.student.terminal, grading.student.report, grading.student.report_plugin, grading.student.explanations;"
             "grading.cli.build_parser();"
             "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'matplotlib') or m.startswith('_tocha_')];"
             "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=KIT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- status

def _rows(stdout: str) -> dict[str, str]:
    """item -> its status line."""
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"\s+\S\s+(\w+)\s", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_status_on_the_stubs_en_and_pt(cache):
    proc = tocha("status", "ex01", "ex02_forward", cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(proc.stdout)
    for item in list(curriculum.discover()["ex01_autograd"]) + list(curriculum.discover()["ex02_forward"]):
        assert "not started" in rows[item], rows
    assert re.search(r"TOTAL\s+\S+\s+0/\d+", proc.stdout), proc.stdout
    assert "Next: ex01_autograd › gradients (not started)" in proc.stdout
    assert "tocha hint gradients" in proc.stdout
    assert "exercises/ex01_autograd.py" in proc.stdout
    assert f"grading {KIT / 'exercises'} with the checks of {KIT}" in proc.stdout
    # the same results in Portuguese come from the cache: hints are kept in both languages
    pt = tocha("status", "ex01", "ex02", "--lang", "pt-BR", cache=cache)
    assert pt.returncode == 0, pt.stderr
    assert "rodando as verificações" not in pt.stderr and "resultados da última execução" in pt.stdout
    assert "não iniciado" in pt.stdout and "Próximo: ex01_autograd › gradients" in pt.stdout
    assert "ainda lança NotImplementedError" in pt.stdout
    again = tocha("status", "ex01", "ex02", cache=cache)
    assert "running the checks" not in again.stderr and "results from the last run" in again.stdout
    assert _rows(again.stdout) == rows


def test_status_on_a_partly_solved_folder_reruns_only_what_changed(partly, cache):
    proc = tocha("status", "--impl", str(partly), "ex01", "ex02", "ex03", cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(proc.stdout)
    assert "passed" in rows["gradients"] and "8/8" in rows["gradients"]
    assert "failed" in rows["gradient_descent"]
    for item in ("linear_forward", "SumNet", "XorNet", "MnistMLP", "MLP", "train_step", "fit"):
        assert "passed" in rows[item], rows[item]
    assert "failed" in rows["train_bgd"] and "0/2" in rows["train_bgd"]
    assert re.search(r"ex02_forward\s+\S+\s+15/15\s+5/5 items", proc.stdout), proc.stdout
    # the later failing item is the one being worked on, not ex01's left behind
    assert "Next: ex03_training › train_bgd (failed)" in proc.stdout
    assert "never cleared" in proc.stdout.split("Next:")[1]  # the check's own hint, in full
    # saving ex01 again makes it the one being worked on
    os.utime(partly / "ex01_autograd.py")
    touched = tocha("status", "--impl", str(partly), "ex01", "ex02", "ex03", "--cached", cache=cache)
    assert "Next: ex01_autograd › gradient_descent (failed)" in touched.stdout, touched.stdout
    assert "n_steps" in touched.stdout.split("Next:")[1]
    # a saved file re-runs its module only
    target = partly / "ex01_autograd.py"
    shutil.copy(KIT / "solutions" / "ex01_autograd.py", target)
    again = tocha("status", "--impl", str(partly), "ex01", "ex02", "ex03", cache=cache)
    assert "1 module: ex01_autograd" in again.stderr, again.stderr
    assert "passed" in _rows(again.stdout)["gradient_descent"]
    assert "Next: ex03_training › train_bgd (failed)" in again.stdout
    shutil.copy(SUBMISSIONS / "ex01_autograd" / "gd_one_step_too_many.py", target)


def test_status_on_the_solutions(cache):
    proc = tocha("status", "--impl", "solutions", "ex01", "ex03", cache=cache, lang="pt-BR")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(proc.stdout)
    assert rows and all(" ok" in line for line in rows.values()), rows
    assert "Tudo passou" in proc.stdout
    assert "Próximo" not in proc.stdout


def test_status_on_a_module_that_does_not_import(tmp_path, cache):
    broken = _folder(tmp_path / "sub")
    (broken / "ex01_autograd.py").write_text("def gradients(:\n", encoding="utf-8")
    proc = tocha("status", "--impl", str(broken), "ex01", cache=cache)
    rows = _rows(proc.stdout)
    assert "error" in rows["gradients"] and "error" in rows["gradient_descent"], proc.stdout
    assert "SyntaxError" in proc.stdout


def _second_kit(tmp: Path) -> Path:
    """A copy of the kit as a student's clone has it (checks, stubs, no solutions), ex01 solved."""
    kit = tmp / "clone"
    shutil.copytree(KIT / "checks", kit / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    _folder(kit / "exercises", ex01_autograd=KIT / "solutions" / "ex01_autograd.py")
    (kit / "notes").mkdir()
    return kit


def test_commands_grade_the_kit_found_from_the_current_folder(tmp_path):
    """Like git: from any folder inside a second clone, its exercises are graded (with its
    checks), the output says so, and a plain `pytest checks` there refreshes what `tocha hint` reads."""
    kit = _second_kit(tmp_path)
    cache = tmp_path / "cache"
    hint = tocha("hint", "gradient_descent", cache=cache, cwd=kit / "notes")
    assert f"grading {kit / 'exercises'} with the checks of {kit}" in hint.stdout, hint.stdout
    assert "Not run since your last change" in hint.stdout
    run = subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "-q"], cwd=kit,
                         env={**os.environ, "TOCHA_CACHE": str(cache), "TOCHA_LANG": "en"},
                         capture_output=True, text=True, timeout=300)
    assert "14/14" in run.stdout, run.stdout[-2000:]
    after = tocha("hint", "gradient_descent", cache=cache, cwd=kit / "notes", lang="pt-BR")
    assert "Sua última execução: 6/6, ok." in after.stdout, after.stdout
    status = tocha("status", "ex01", "--cached", cache=cache, cwd=kit / "notes")
    assert re.search(r"TOTAL\s+\S+\s+14/14", status.stdout), status.stdout
    assert str(KIT / "exercises") not in status.stdout
    # outside any kit: the installed one, and the output says so
    away = tmp_path / "elsewhere"
    away.mkdir()
    lost = tocha("hint", "gradients", cache=cache, cwd=away)
    assert f"the installed kit {KIT}" in lost.stdout and str(away) in lost.stdout, lost.stdout


def test_find_kit_walks_up_like_git(tmp_path):
    from grading.data import KIT_ROOT, find_kit, resolve_root

    (tmp_path / "k" / "checks").mkdir(parents=True)
    (tmp_path / "k" / "exercises").mkdir()
    deep = tmp_path / "k" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_kit(deep) == (tmp_path / "k").resolve()
    assert find_kit(tmp_path) is None
    assert resolve_root("exercises", tmp_path / "k") == (tmp_path / "k" / "exercises").resolve()
    # a clone without solutions/ compares with the installed kit's
    assert resolve_root("solutions", tmp_path / "k") == (KIT_ROOT / "solutions").resolve()


def _module(name: str, *statuses: str) -> curriculum.ModuleResult:
    return curriculum.ModuleResult(name, [curriculum.ItemResult(name, f"{name}_{i}", status=s) for i, s in enumerate(statuses)])


def test_next_item_is_the_one_being_worked_on(tmp_path):
    results = [_module("ex01", "passed", "failed"), _module("ex02", "passed", "not started"),
               _module("ex03", "not started", "failed", "error"), _module("ex04", "not started")]
    assert run.next_item(results).item == "ex03_1"  # the latest module with a started item
    for name, age in (("ex01", 0), ("ex03", -100)):
        (tmp_path / f"{name}.py").write_text("")
        os.utime(tmp_path / f"{name}.py", (time.time() + age, time.time() + age))
    assert run.next_item(results, tmp_path).item == "ex01_1"  # saved last
    assert run.next_item([_module("ex01", "passed", "not started"), _module("ex02", "not started")]).item == "ex01_1"
    assert run.next_item([_module("ex01", "passed")]) is None


def test_cached_results_carry_both_languages(tmp_path, monkeypatch):
    from grading import results as res

    monkeypatch.setenv("TOCHA_CACHE", str(tmp_path))
    records = [res.CheckResult("n1", "ex01_autograd", "gradients", "test_a", 2, "failed",
                               {"en": "wrong sign", "pt-BR": "sinal errado"}, seed=7)]
    payload = res.gradescope(records, "en", 1.0)
    assert payload["tests"][0]["output"] == "failed: wrong sign (seed 7)"  # the form Gradescope reads
    ran = curriculum.parse_results(payload, "en", {"ex01_autograd": {"gradients": 2}})
    results_cache.store(ran, {"ex01_autograd": "print"}, tmp_path / "impl")
    pt = results_cache.load_cache(tmp_path / "impl", "pt-BR")["ex01_autograd"]
    assert pt.items[0].hint == "sinal errado (semente 7)" and pt.items[0].checks[0]["hint"] == pt.items[0].hint
    assert results_cache.load_cache(tmp_path / "impl", "en")["ex01_autograd"].items[0].hint == "wrong sign (seed 7)"
    # results from elsewhere (one language only) still read
    del payload["tests"][0]["extra_data"]
    assert curriculum.parse_results(payload, "en", {})["ex01_autograd"].items[0].hint == "wrong sign (seed 7)"


def test_score_table_collapses_items_not_started():
    from grading import results as res

    def record(item, status, points=1):
        return res.CheckResult(f"{item}-{status}", "ex02_forward", item, f"test_{item}", points, status,
                               {"en": f"{item} hint", "pt-BR": f"dica de {item}"})

    records = [record("linear", "passed"), record("SumNet", "not started", 3), record("XorNet", "failed"),
               record("MLP", "not started", 2)]
    short = res.score_table(records, "pt-BR", detail=False)
    rows = [line for line in short if line.startswith("ex02_forward")]
    assert len(rows) == 3, short
    assert re.search(r"2 itens\s+0/5\s+não iniciado", rows[1]), rows
    assert "SumNet, MLP: ainda não iniciados" in "\n".join(short)
    assert "dica de XorNet" in "\n".join(short) and short[-1].split()[-1] == "1/7"
    assert len([line for line in res.score_table(records, "en") if line.startswith("ex02_forward")]) == 4


def test_pytest_checks_on_the_stubs_is_short_and_ends_with_the_table():
    proc = subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "checks/test_ex02_forward.py",
                           "--lang", "pt-BR", "-p", "no:cacheprovider", "--color=no"], cwd=KIT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TOCHA_CACHE": os.devnull + "/none"})
    assert proc.returncode == 1, proc.stdout[-2000:]
    out = proc.stdout
    assert "FAILED" not in out and "NotImplementedError" not in out and "____" not in out, out
    assert len(out.splitlines()) < 25, out
    table = out.split("nota do tocha")[1]
    assert re.search(r"ex01_autograd\s+2 itens\s+0/14\s+não iniciado", table), table
    assert "TOTAL" in table.splitlines()[-2] and "não iniciado" in table.splitlines()[-1]  # then pytest's count
    verbose = subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "-v", "--lang", "pt-BR",
                              "-p", "no:cacheprovider", "--color=no"], cwd=KIT, capture_output=True, text=True,
                             timeout=300, env={**os.environ, "TOCHA_CACHE": os.devnull + "/none"})
    assert "[não iniciado] `gradients` ainda lança NotImplementedError" in verbose.stdout
    assert "test_gradients_of_numbers[2x² + 3y³ at (2, 4)]" in verbose.stdout  # ids as written


# ---------------------------------------------------------------- hint

def test_hint_explains_an_item_in_both_languages(cache):
    en = tocha("hint", "train_step", cache=cache)
    assert en.returncode == 0, en.stderr
    entry = explanations.EXPLANATIONS["train_step"]
    assert "train_step · ex03_training" in en.stdout
    for heading in ("What it is", "From the lessons", "What to look at"):
        assert heading in en.stdout
    assert "Módulo 4" in en.stdout and entry.points("en")[0].split()[0] in en.stdout
    pt = tocha("hint", "train_step", "--lang", "pt-BR", cache=cache)
    assert "O que é" in pt.stdout and "Onde olhar" in pt.stdout and "Das lições" in pt.stdout
    assert "What it is" not in pt.stdout


def test_hint_shows_the_last_run_and_suggests_names(partly, cache):
    tocha("status", "--impl", str(partly), "ex01", "ex03", cache=cache)
    proc = tocha("hint", "gradient_descent", "--impl", str(partly), cache=cache)
    assert "Your last run: 3/6, failed." in proc.stdout, proc.stdout
    assert "The checks say" in proc.stdout and "n_steps" in proc.stdout.split("The checks say")[1]
    os.utime(partly / "ex03_training.py")
    nxt = tocha("hint", "--impl", str(partly), cache=cache)  # no item: the item being worked on
    assert nxt.stdout.startswith("train_bgd · ex03_training"), nxt.stdout
    typo = tocha("hint", "trainstep", cache=cache)
    assert typo.returncode == 2 and "Did you mean: train_step" in typo.stderr, typo.stderr
    typo_pt = tocha("hint", "trainstep", "--lang", "pt-BR", cache=cache)
    assert "Você quis dizer" in typo_pt.stderr


# ---------------------------------------------------------------- report

def _page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page), "the page must not fetch anything"
    assert "<script" not in page


def test_report_on_a_partly_solved_folder(partly, cache, tmp_path):
    out = tmp_path / "report.html"
    proc = tocha("report", "--impl", str(partly), "ex01", "ex02", "ex03", "-o", str(out), cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.is_file() and "file://" in proc.stdout
    page = out.read_text(encoding="utf-8")
    _page_is_self_contained(page)
    assert 'lang="en"' in page and "tocha — score report" in page
    assert '<div class="big">44/49</div>' in page, re.findall(r">\d+/\d+<", page)[:5]
    # every training item of ex03 has a curve; train_bgd's leaves the reference, the others follow it
    assert page.count("data:image/png;base64,") == 5
    bgd = page.split('<td class="item">train_bgd</td>')[1].split("</tr>")[0]
    assert "leaves the reference at epoch" in bgd and "data:image/png" in bgd
    assert "never cleared" in bgd  # the check's hint
    assert "tocha hint train_bgd" in bgd  # and the longer explanation
    step = page.split('<td class="item">train_step</td>')[1].split("</tr>")[0]
    assert "follows the reference" in step
    assert "Next thing to do: <b>train_bgd</b>" in page


def test_report_on_the_stubs_in_portuguese(cache, tmp_path):
    out = tmp_path / "stubs.html"
    proc = tocha("report", "ex01", "ex03", "-o", str(out), "--lang", "pt-BR", cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = out.read_text(encoding="utf-8")
    _page_is_self_contained(page)
    assert 'lang="pt-BR"' in page and "relatório de notas" in page and "não iniciado" in page
    assert "data:image/png" not in page  # nothing started, nothing to draw
    assert "Explicação" in page and "Onde olhar" in page


def test_report_on_the_solutions(cache, tmp_path):
    out = tmp_path / "solutions.html"
    proc = tocha("report", "--impl", "solutions", "ex03", "-o", str(out), cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 5 and page.count("follows the reference") >= 5
    assert "Everything passes" in page and "leaves the reference" not in page


def test_pytest_html_report_option(partly, tmp_path):
    out = tmp_path / "pytest.html"
    before = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("tocha-html-*.json"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "--impl", str(partly),
                           "--html-report", str(out), "--lang", "pt-BR", "-p", "no:cacheprovider", "-q"],
                          cwd=KIT, capture_output=True, text=True, timeout=300)
    assert out.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"HTML report: {out}" in proc.stdout
    page = out.read_text(encoding="utf-8")
    _page_is_self_contained(page)
    assert "ex01_autograd" in page and "ex02_forward" not in page and "falhou" in page
    assert "11/14" in page
    after = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("tocha-html-*.json"))
    assert after <= before, "the temporary results file was left behind"
    # with --score-json too, both files are written
    score = tmp_path / "results.json"
    subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "--impl", "solutions",
                    "--html-report", str(out), "--score-json", str(score), "-p", "no:cacheprovider", "-q"],
                   cwd=KIT, capture_output=True, text=True, timeout=300)
    assert json.loads(score.read_text(encoding="utf-8"))["score"] == 14
    assert "14/14" in out.read_text(encoding="utf-8")


def test_curves_survive_untrusted_code(tmp_path):
    """A training function that hangs or kills its process costs its own curve, nothing more."""
    from grading.student.curves import loss_curves

    sub = _folder(tmp_path / "sub")
    source = (KIT / "solutions" / "ex03_training.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    names = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    lines = source.splitlines()
    hang = names["train_bgd"]
    crash = names["linear_regression_gd"]
    body_hang = ["def train_bgd(model, optimizer, criterion, X, y, n_epochs):", "    while True:", "        pass"]
    body_crash = ["def linear_regression_gd(X, y, lr, n_epochs, seed=42):", "    import os", "    os._exit(3)"]
    out = lines[:hang.lineno - 1] + body_hang + lines[hang.end_lineno:crash.lineno - 1] + body_crash + lines[crash.end_lineno:]
    (sub / "ex03_training.py").write_text("\n".join(out) + "\n", encoding="utf-8")
    started = time.perf_counter()
    curves = loss_curves(sub, KIT / "solutions", ["train_step", "train_bgd", "linear_regression_gd", "fit"],
                         per_item_s=4)
    assert time.perf_counter() - started < 90
    assert curves["train_bgd"] == {"timed_out": True}
    assert curves["linear_regression_gd"] == {"crashed": True}
    for item in ("train_step", "fit"):
        assert curves[item]["student"]["status"] == "ok", curves[item]
        assert curves[item]["student"]["values"] == curves[item]["reference"]["values"]


# ---------------------------------------------------------------- watch, in a real terminal

def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-t", session], capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")


@pytest.fixture
def tmux_session():
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install -y tmux)")
    name = f"tocha-watch-{os.getpid()}-{time.monotonic_ns()}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def _start_watch(session: str, folder: Path, cache: Path, lang: str) -> None:
    command = (f"cd {KIT} && TOCHA_CACHE={cache} NO_COLOR=1 {sys.executable} -m grading.cli watch "
               f"--impl {folder} --lang {lang} --interval 0.2; echo WATCH-EXIT=$?; sleep 60")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "45", command], check=True)


def test_watch_follows_the_student_through_a_module(tmux_session, tmp_path):
    folder = _folder(tmp_path / "sub")
    cache = tmp_path / "cache"
    _start_watch(tmux_session, folder, cache, "en")
    screen = _wait_for(tmux_session, "Watching")
    assert "First to fix: gradients (not started)" in screen
    assert "still raises NotImplementedError" in screen and "More: tocha hint gradients" in screen
    # a first attempt, one step too many: the item fails with the check's hint
    shutil.copy(SUBMISSIONS / "ex01_autograd" / "gd_one_step_too_many.py", folder / "ex01_autograd.py")
    screen = _wait_for(tmux_session, "First to fix: gradient_descent (failed)")
    assert "11/14" in screen and "n_steps" in screen
    # the fix: the module passes and watch moves on to the next one
    shutil.copy(KIT / "solutions" / "ex01_autograd.py", folder / "ex01_autograd.py")
    screen = _wait_for(tmux_session, "First to fix: linear_forward")
    assert "ex01_autograd passes: 14/14. Moving on to ex02_forward." in screen
    # Ctrl-C leaves cleanly: a goodbye line, exit status 0, no traceback
    _wait_for(tmux_session, "Watching")
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "C-c"], check=True)
    screen = _wait_for(tmux_session, "WATCH-EXIT=", 20)
    assert "WATCH-EXIT=0" in screen and "Stopped watching" in screen
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen


def test_watch_in_portuguese_and_ctrl_c_during_a_run(tmux_session, tmp_path):
    folder = _folder(tmp_path / "sub")
    cache = tmp_path / "cache"
    _start_watch(tmux_session, folder, cache, "pt-BR")
    screen = _wait_for(tmux_session, "Observando")
    assert "Primeiro a corrigir: gradients (não iniciado)" in screen
    shutil.copy(KIT / "solutions" / "ex01_autograd.py", folder / "ex01_autograd.py")
    _wait_for(tmux_session, "rodando as verificações", 20)
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "C-c"], check=True)
    screen = _wait_for(tmux_session, "WATCH-EXIT=", 20)
    assert "WATCH-EXIT=0" in screen and "Observação encerrada" in screen
    assert "Traceback" not in screen
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", f"--impl {folder}"], capture_output=True, text=True).stdout.split()
    assert not left, f"pytest processes left behind: {left}"


# ---------------------------------------------------------------- the page in a browser

def test_report_renders_in_headless_chromium(partly, cache, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no headless Chromium (apt-get install -y chromium)")
    out = tmp_path / "page.html"
    tocha("report", "--impl", str(partly), "ex03", "-o", str(out), cache=cache)
    shot = tmp_path / "page.png"
    proc = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--window-size=1100,1800", f"--screenshot={shot}", out.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 20_000, proc.stderr[-2000:]
    dom = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--dump-dom", out.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<img") == 5 and "train_bgd" in dom
