"""Hostile submissions: code that ends, hangs, floods or tampers with the grading process costs
only its own module's checks, each with a reason, and never buys a verdict.

Each file `tests/hostile/<name>.py` replaces ex01_autograd.py in a copy of the solutions and
declares, at top level,
    HOSTILE = {"item": ("status", "phrase its first hint must contain (English)"), ...}
with "*" for any status but passed. Items it does not name must pass. A file may also set
PYTEST_ARGS (short timeouts, for the ones that hang) and COMMAND_LINE = True (graded by a real
`pytest` command rather than in a batch, when its argv or terminal output matter).

Every run also grades a second module, `ex01_witness` (the ex01 solution and checks under
another name), which must keep full marks: nothing a module does reaches another one. The exit
status is non-zero whenever a point is lost, and the results file is the grader's own.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import KIT, assert_hostile_verdicts, declared, hostile_of

HOSTILE = Path(__file__).parent / "hostile"
CASES = sorted(p for p in HOSTILE.glob("*.py") if not p.name.startswith("_"))
WITNESS = "ex01_witness"


def _env() -> dict:
    path = os.pathsep.join(p for p in (str(KIT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "TOCHA_LANG": "en", "PYTHONPATH": path}


@pytest.fixture(scope="session")
def arena(tmp_path_factory) -> Path:
    """Check files and a reference for two modules: ex01_autograd and its twin ex01_witness."""
    base = tmp_path_factory.mktemp("hostile")
    checks = base / "checks"
    checks.mkdir()
    shutil.copy(KIT / "checks" / "test_ex01_autograd.py", checks / "test_ex01_autograd.py")
    shutil.copy(KIT / "checks" / "test_ex01_autograd.py", checks / f"test_{WITNESS}.py")
    reference = base / "reference"
    shutil.copytree(KIT / "solutions", reference, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(reference / "ex01_autograd.py", reference / f"{WITNESS}.py")
    return base


def _root(arena: Path, name: str, source: Path) -> Path:
    root = arena / "roots" / name
    if not root.exists():
        shutil.copytree(arena / "reference", root)
        shutil.copy(source, root / "ex01_autograd.py")
    return root


def _check_files(arena: Path) -> list[str]:
    return [str(arena / "checks" / "test_ex01_autograd.py"), str(arena / "checks" / f"test_{WITNESS}.py")]


def command_line(arena: Path, name: str, source: Path, *extra: str):
    """`pytest` on both modules with `source` as ex01_autograd.py: (process, results or None)."""
    root = _root(arena, name, source)
    out = arena / f"{name}.json"
    cmd = [sys.executable, "-m", "pytest", *_check_files(arena), "--impl", str(root), "--reference",
           str(arena / "reference"), "--score-json", str(out), "-p", "no:cacheprovider", *extra]
    proc = subprocess.run(cmd, cwd=arena, capture_output=True, text=True, timeout=300, env=_env())
    return proc, out


def batch(arena: Path, cases: list[Path], extra: list[str]) -> dict:
    """Grade many submissions in one process (grading.engine.batch): {name: (exit status, results)}."""
    roots = [str(_root(arena, p.stem, p)) for p in cases]
    out = arena / f"batch-{cases[0].stem}.json"
    cmd = [sys.executable, "-m", "grading.engine.batch", str(out), ",".join(_check_files(arena)), *roots, "--",
           "--reference", str(arena / "reference"), "-p", "no:cacheprovider", *extra]
    proc = subprocess.run(cmd, cwd=arena, capture_output=True, text=True, timeout=600, env=_env())
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    payload = json.loads(out.read_text(encoding="utf-8"))
    return {Path(root).name: (result.pop("exit_status", None), result, "") for root, result in payload.items()}


@pytest.fixture(scope="session")
def graded(arena) -> dict:
    """Every case graded: most in two batches (normal and short timeouts), a few by a real command."""
    jobs = []
    groups: dict[tuple, list[Path]] = {}
    for path in CASES:
        if declared(path, "COMMAND_LINE", False):
            jobs.append(("cli", path))
        else:
            groups.setdefault(tuple(declared(path, "PYTEST_ARGS", [])), []).append(path)
    jobs += [("batch", (list(args), paths)) for args, paths in groups.items()]

    def run(job):
        kind, what = job
        if kind == "batch":
            return batch(arena, what[1], what[0])
        proc, out = command_line(arena, what.stem, what)
        time.sleep(0.5)  # a process the submission left running would now overwrite the file
        results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
        return {what.stem: (proc.returncode, results, proc.stdout + proc.stderr)}

    runs: dict = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for part in pool.map(run, sorted(jobs, key=lambda j: j[0] == "cli")):
            runs.update(part)
    return runs


def _by_item(results: dict) -> dict[tuple[str, str], list[dict]]:
    items: dict[tuple[str, str], list[dict]] = {}
    for test in results["tests"]:
        items.setdefault((test["tags"][0], test["tags"][1]), []).append(test)
    return items


@pytest.fixture(scope="session")
def unhidden() -> str | None:
    """Why this machine cannot hide the grader's folders from a worker (None: it can)."""
    from grading.sandbox import namespaces

    return namespaces.probe()


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_hostile_submission_costs_only_its_own_module(path, graded, unhidden):
    if declared(path, "NEEDS_NAMESPACES", False) and unhidden:
        pytest.skip(f"the kernel cannot hide the grader's folders here: {unhidden}")
    expected = hostile_of(path)
    status, results, output = graded[path.stem]
    assert results is not None and "tests" in results, (results, output[-3000:])
    assert results.get("output") != "forged" and results["max_score"] > 0, results
    items = _by_item(results)
    witness = [t for (module, _), tests in items.items() if module == WITNESS for t in tests]
    assert witness and all(t["status"] == "passed" for t in witness), \
        "the other module lost points: " + "; ".join(t["output"] for t in witness if t["status"] != "passed")
    graded_items = {item for module, item in items if module == "ex01_autograd"}
    assert set(expected) <= graded_items, f"HOSTILE names items the checks do not grade: {set(expected) - graded_items}"
    for item in graded_items - set(expected):
        failing = [c for c in items[("ex01_autograd", item)] if c["status"] != "passed"]
        assert not failing, f"{item} should pass: " + "; ".join(c["output"] for c in failing)
    assert_hostile_verdicts(results, path)
    lost = results["score"] < results["max_score"]
    assert (status != 0) == lost, (status, results["score"], results["max_score"])
    assert len(output) < 200_000, "the submission's output reached the report untruncated"


def test_results_file_is_the_graders_own(graded):
    """A full-marks file written at import, at exit and by a process left behind is overwritten."""
    status, results, _output = graded["forge_results"]
    assert results is not None and results["output"] != "forged"
    assert results["score"] < results["max_score"] and status != 0
    assert {t["tags"][0] for t in results["tests"]} == {"ex01_autograd", WITNESS}


HUNG_SCALE = 0.12  # the hung_* cases' --timeout-scale


def _hung_verdicts_are_short(results: dict, apart: bool) -> None:
    """Every check of ex01 timed out with its own verdict naming the function; the first had the
    full timeout, later ones the short limits of grading/engine/hung.py (the seconds each states)."""
    import re

    from grading.engine import hung

    from grading.engine import session as plugin

    rows = [t for t in results["tests"] if t["tags"][0] == "ex01_autograd"]
    assert len(rows) == 8 and all(t["tags"][2] == "timed out" and t["score"] == 0 for t in rows), rows
    first_gd = next(k for k, t in enumerate(rows) if t["tags"][1] == "gradient_descent")
    for k, row in enumerate(rows):
        text = row["output"]
        if k == 0 or (apart and k == first_gd):
            name = row["tags"][1]
            full = plugin.DEFAULT_TIMEOUT_S if k == 0 else hung.AFTER_TIMEOUT_S
            assert f"still running `{name}`" in text, text
            assert f"took longer than {full * HUNG_SCALE:.0f} s" in text, text
            continue
        name = "gradient_descent" if apart and k > first_gd else "gradients"
        given = re.search(r"did not return within ([\d.]+) s", text)
        assert given and f"`{name}`" in text and "already hung in test_" in text, text
        assert float(given[1]) <= hung.HUNG_AGAIN_S * HUNG_SCALE + 1e-9, text


@pytest.mark.parametrize("name", ["hung_function", "hung_functions_apart"])
def test_a_hung_function_costs_seconds_not_minutes(name, graded):
    _status, results, output = graded[name]
    assert results is not None, output[-3000:]
    _hung_verdicts_are_short(results, apart=name.endswith("apart"))


def test_a_hung_function_costs_seconds_in_process_too(arena):
    proc, out = command_line(arena, "hung_in_process", HOSTILE / "hung_functions_apart.py", "--no-isolation",
                             *declared(HOSTILE / "hung_functions_apart.py", "PYTEST_ARGS"))
    results = json.loads(out.read_text(encoding="utf-8"))
    _hung_verdicts_are_short(results, apart=True)
    assert all(t["status"] == "passed" for t in results["tests"] if t["tags"][0] == WITNESS), proc.stdout[-2000:]


def test_a_function_that_hung_once_may_still_return():
    """A call of a known-hung function that returns within its short time costs nothing; one that
    does not is HungAgain; the check's own limit still holds after either."""
    from grading.engine import hung
    from grading.verdict import CheckTimeout, HungAgain

    def sometimes(n):
        while n < 0:
            pass
        return n

    code = sometimes.__code__
    known = hung.Hung(code.co_filename, code.co_firstlineno, getattr(code, "co_qualname", code.co_name), "x.py",
                      check="test_first", seconds=30.0)
    before = sys.getprofile()
    with pytest.raises(CheckTimeout) as timed_out:
        with hung.limited(1.0, {known.key: known}, scale=0.1):  # 0.2 s a call of `sometimes`
            assert [sometimes(k) for k in range(50)] == list(range(50))
            with pytest.raises(HungAgain) as caught:
                sometimes(-1)
            assert caught.value.hung is known and caught.value.seconds == pytest.approx(0.2)
            assert sometimes(7) == 7
            time.sleep(3)
    assert type(timed_out.value) is CheckTimeout and timed_out.value.seconds == 1.0
    assert sys.getprofile() is before
    with pytest.raises(CheckTimeout) as timed_out:
        with hung.limited(0.3, {known.key: known}, scale=1.0):  # its 2 s would end after the check's 0.3 s
            sometimes(-1)
    assert type(timed_out.value) is CheckTimeout and timed_out.value.seconds == 0.3


def test_hung_reports_from_a_worker_are_checked():
    from grading.engine import hung

    good = {"t": "hung", "file": "/x/ex01.py", "line": 3, "qualname": "gradients", "shown": "x/ex01.py", "seconds": 30}
    assert hung.from_wire(good).key == ("/x/ex01.py", 3, "gradients")
    for bad in ({"line": "3"}, {"line": True}, {"seconds": float("nan")}, {"seconds": -1}, {"qualname": ""},
                {"file": "x" * 5000}, {"shown": None}):
        with pytest.raises(ValueError):
            hung.from_wire({**good, **bad})
    assert [hung.again_seconds(hung.Hung("f", 1, "g", "f", count=c), 1.0) for c in (1, 2, 3, 4, 5, 6)] == \
        [2.0, 1.0, 0.5, 0.25, 0.125, 0.1]


def test_no_isolation_grades_the_same_in_process(arena):
    proc, out = command_line(arena, "solutions_in_process", KIT / "solutions" / "ex01_autograd.py", "--no-isolation")
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["score"] == results["max_score"] > 0 and proc.returncode == 0, proc.stdout[-2000:]


# ---------------------------------------------------------------- in-process units

def test_compare_is_immune_to_patched_torch(monkeypatch):
    import numpy as np
    import torch

    from grading.compare import all_finite, brief, close, max_abs_diff

    zeros, ones = torch.zeros(3), torch.ones(3)
    monkeypatch.setattr(torch, "equal", lambda *a, **k: True)
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(torch, "isclose", lambda a, b, **k: torch.ones(3, dtype=torch.bool))
    monkeypatch.setattr(torch.Tensor, "__bool__", lambda self: True)
    monkeypatch.setattr(torch.Tensor, "all", lambda self, *a, **k: np.bool_(True))
    monkeypatch.setattr(torch.Tensor, "item", lambda self: True)
    monkeypatch.setattr(torch.Tensor, "detach", lambda self: ones)
    monkeypatch.setattr(torch.Tensor, "cpu", lambda self: ones)
    assert not close(zeros, ones) and not close(zeros, ones, "exact")
    assert close(ones, ones) and close(ones, ones, "exact")
    assert max_abs_diff(zeros, ones) == 1.0 and all_finite(zeros)
    assert brief(zeros) == "[0, 0, 0] shape (3,)"


def test_compare_sees_through_lying_tensor_subclasses():
    import torch

    from grading.compare import close

    class Agreeable(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") in ("equal", "isclose", "all", "allclose", "eq"):
                return True
            return super().__torch_function__(func, types, args, kwargs or {})

    liar = torch.zeros(3).as_subclass(Agreeable)
    assert not close(liar, torch.ones(3)) and not close(liar, torch.ones(3), "exact")
    assert close(liar, torch.zeros(3))
    assert close(torch.nn.Parameter(torch.ones(3)), torch.ones(3))


def test_guard_names_and_restores_replacements():
    import _pytest.reports
    import numpy.testing
    import torch

    from grading.sandbox import guard

    g = guard.build()
    saved = (torch.equal, numpy.testing.assert_allclose, _pytest.reports.TestReport.__init__)
    try:
        torch.equal = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        _pytest.reports.TestReport.__init__ = lambda self, *a, **k: None
        _pytest.reports.TestReport._to_json = lambda self: {}  # shadows BaseReport's
        torch.Tensor.__bool__ = lambda self: True
        found = set(g.changed())
        assert {"torch.equal", "numpy.testing.assert_allclose", "_pytest.reports.TestReport.__init__",
                "_pytest.reports.TestReport._to_json", "torch.Tensor.__bool__"} <= found
        g.restore()
        assert g.changed() == []
        assert (torch.equal, numpy.testing.assert_allclose, _pytest.reports.TestReport.__init__) == saved
        assert "_to_json" not in vars(_pytest.reports.TestReport) and "__bool__" not in vars(torch.Tensor)
    finally:
        torch.equal, numpy.testing.assert_allclose, _pytest.reports.TestReport.__init__ = saved
        for cls, name in ((_pytest.reports.TestReport, "_to_json"), (torch.Tensor, "__bool__")):
            if name in vars(cls):
                delattr(cls, name)


def test_writes_are_seen_even_when_put_back():
    """grading/sandbox/writes.py on namespaces of its own: a write undone before anyone looks, a
    change where nothing may change (put back), a table edited item by item, an imported submodule
    (allowed), a change elsewhere (left to the guard's names)."""
    import types

    from grading.sandbox import writes

    if not writes.available():
        pytest.skip("no dict version tags on this Python")
    w = writes.watcher()
    strict, loose, table = {"close": min}, {"allclose": max}, [1, 2, 3]
    w.add("checks", strict, True)
    w.add("torch", loose, False)
    w.add("cases", table, True)
    assert w.look() == ([], [])
    strict["close"] = abs
    strict["close"] = min
    assert w.look() == ([], ["checks"])
    strict["close"], strict["extra"] = abs, 1
    assert w.look() == (["checks.close", "checks.extra"], [])
    assert strict == {"close": min}  # put back
    strict["sub"] = types.ModuleType("checks.sub")
    loose["allclose"] = sum
    assert w.look() == ([], [])
    table.append(4)
    assert w.look() == (["cases"], [])
    assert table == [1, 2, 3]


def test_guard_accepts_torch_compile():
    """torch.compile wraps a few torch functions itself: that is not tampering."""
    import torch

    from grading.sandbox import guard

    g = guard.build()
    model = torch.nn.Linear(2, 1)
    compiled = torch.compile(lambda x: model(x) * 2, backend="eager")
    try:
        compiled(torch.ones(3, 2))
    except Exception as exc:  # no C++ compiler here: torch.compile itself is not what is tested
        pytest.skip(f"torch.compile unavailable: {type(exc).__name__}")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.ones(2)).sum().backward()
    optimizer.step()
    assert g.changed() == []


def _graded_with(tmp_path, hostile: str, module: str) -> tuple[subprocess.CompletedProcess, dict]:
    """The solutions with `module` replaced by tests/hostile/`hostile`, graded on that module's checks."""
    impl = tmp_path / "impl"
    shutil.copytree(KIT / "solutions", impl, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(HOSTILE / hostile, impl / f"{module}.py")
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", str(KIT / "checks" / f"test_{module}.py"),
                           "--impl", str(impl), "--score-json", str(out), "-p", "no:cacheprovider", "-q"],
                          cwd=KIT, capture_output=True, text=True, timeout=300, env=_env())
    return proc, json.loads(out.read_text(encoding="utf-8"))


def test_a_module_handing_out_the_reference_is_cheating(tmp_path):
    """An alias of the reference's own function (here through a module __getattr__) runs no code of
    the submission, so the guard at the reference's entry sees only the check: what the module
    hands a check is looked at instead (12 of ex03's 20 points before)."""
    proc, results = _graded_with(tmp_path, "_alias_ex03.py", "ex03_training")
    assert results["score"] == 0 and proc.returncode != 0, proc.stdout[-3000:]
    cheated = {t["tags"][1] for t in results["tests"] if t["tags"][2] == "cheated"}
    # train_step too: the reference's modules are imported before the first check (ahead of hiding
    # its folder, grading/sandbox/namespaces.py), so the alias finds them from the start.
    assert cheated == {"train_step", "train_epoch", "fit", "train_bgd", "linear_regression_gd"}, proc.stdout[-3000:]
    assert all("reference's own" in t["output"] for t in results["tests"] if t["tags"][2] == "cheated")


def test_a_submission_that_uses_the_reference_s_classes_inside_its_own_is_cheated(tmp_path):
    """Its classes are its own, but they construct the reference's model and call the reference's
    forward: every method of the reference's classes is guarded like its functions."""
    proc, results = _graded_with(tmp_path, "_inside_ex02.py", "ex02_forward")
    assert results["score"] == 0 and proc.returncode != 0, proc.stdout[-3000:]
    assert {t["tags"][1] for t in results["tests"] if t["tags"][2] == "cheated"} == {
        "linear_forward", "SumNet", "XorNet", "MnistMLP", "MLP"}, proc.stdout[-3000:]


def test_what_counts_as_the_reference_s_own(monkeypatch):
    """Partials, methods, subclasses and instances of the reference's objects count; the
    submission's own objects, and the check's sanctioned swaps, do not."""
    import functools
    import types

    from grading.sandbox import containment

    monkeypatch.setattr(containment, "_C", containment._Context())  # this process's containment stays off
    containment.configure(KIT / "exercises", "_tocha_impl_x", KIT / "solutions", "_tocha_ref_x", [KIT / "checks"])
    ref = types.ModuleType("_tocha_ref_x.ex03_training")
    exec("def fit(a, b=1):\n    return a\nclass Net:\n    def __call__(self, x):\n        return x\n", ref.__dict__)
    own = types.ModuleType("_tocha_impl_x.ex03_training")
    exec("def fit(a):\n    return a\nclass Net:\n    pass\n", own.__dict__)
    Sub = type("Sub", (ref.Net,), {})
    for value in (ref.fit, functools.partial(ref.fit, b=2), functools.partial(functools.partial(ref.fit)),
                  ref.Net, Sub, ref.Net(), ref.Net().__call__):
        assert containment.borrowed(value) is not None, value
    for value in (own.fit, own.Net, functools.partial(own.fit), len, 3, "text", None):
        assert containment.borrowed(value) is None, value
    containment.begin_check(sanctioned={("ex03_training", "fit")})
    assert containment.refuse_borrowed(ref.fit) is ref.fit
    with pytest.raises(containment.Refused):
        containment.refuse_borrowed(ref.Net)
    containment.begin_check()  # what was noted is not left for another test
