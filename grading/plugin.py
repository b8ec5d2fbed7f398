"""The pytest plugin (entry point `pytest11: tocha`): options, per-check points, seeds and
timeouts, verdicts turned into bilingual hints, the score table and the results file.

Only tests carrying the `item` marker are graded; everything else pytest runs is left alone.
"""
from __future__ import annotations

import random
import time
import zlib
from pathlib import Path

import pytest

from . import results as res
from .data import KIT_ROOT
from .roots import ImplementationRoot
from .text import TITLE_LINE, default_lang
from .verdict import classify

DEFAULT_TIMEOUT_S = 30.0
_RECORDS = pytest.StashKey[list]()
_META = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("tocha", "tocha grading")
    group.addoption("--impl", default="exercises",
                    help="implementation root to grade: exercises, solutions, or a folder path")
    group.addoption("--reference", default="solutions", help="implementation root the checks compare against")
    group.addoption("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                    help="device for the checks (auto: cuda, then mps, then cpu)")
    group.addoption("--lang", default=None, choices=["en", "pt-BR"],
                    help="language of hints (default: TOCHA_LANG, else LANG, else en)")
    group.addoption("--timeout-scale", type=float, default=1.0, help="multiply every check's timeout")
    group.addoption("--score-json", default=None, help="write Gradescope-style results.json here")


def pytest_configure(config):
    config.addinivalue_line("markers", "item(name, points=1, timeout=None): a graded check of one curriculum item")
    config.stash[_RECORDS] = []
    config.stash[_META] = {"started": time.perf_counter()}


def resolve_root(value: str, config) -> Path:
    """'exercises'/'solutions' name the kit's folders; anything else is a path."""
    if value in ("exercises", "solutions"):
        for base in (Path(config.rootpath), KIT_ROOT):
            if (base / value).is_dir():
                return (base / value).resolve()
        return (KIT_ROOT / value).resolve()
    return Path(value).expanduser().resolve()


def lang_of(config) -> str:
    return config.getoption("--lang") or default_lang()


def device_of(config):
    import torch

    choice = config.getoption("--device")
    if choice == "auto":
        if torch.cuda.is_available():
            choice = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            choice = "mps"
        else:
            choice = "cpu"
    return torch.device(choice)


def module_of(node) -> str:
    return Path(str(node.fspath)).stem.removeprefix("test_")


def seed_of(item) -> int:
    return zlib.crc32(f"{module_of(item)}::{item.name}".encode()) % (2**31)


def pytest_collection_modifyitems(session, config, items):
    scale = config.getoption("--timeout-scale")
    for item in items:
        marker = item.get_closest_marker("item")
        if marker is None or item.get_closest_marker("timeout") is not None:
            continue
        seconds = marker.kwargs.get("timeout") or DEFAULT_TIMEOUT_S
        item.add_marker(pytest.mark.timeout(seconds * scale))


# ---------------------------------------------------------------- fixtures for checks

@pytest.fixture(scope="session")
def impl(pytestconfig) -> ImplementationRoot:
    """The implementation root being graded."""
    return ImplementationRoot(resolve_root(pytestconfig.getoption("--impl"), pytestconfig), "impl")


@pytest.fixture(scope="session")
def ref(pytestconfig) -> ImplementationRoot:
    """The reference implementation the checks compare against."""
    return ImplementationRoot(resolve_root(pytestconfig.getoption("--reference"), pytestconfig), "ref")


@pytest.fixture(scope="session")
def device(pytestconfig):
    return device_of(pytestconfig)


def _getter(root: ImplementationRoot, request):
    module = module_of(request.node)
    marker = request.node.get_closest_marker("item")
    default = marker.args[0] if marker and marker.args else None

    def get(name: str | None = None):
        return root.get(module, name or default)

    return get


@pytest.fixture
def student(impl, request):
    """student('name') -> the submission's object of that name in this check file's module."""
    return _getter(impl, request)


@pytest.fixture
def reference(ref, request):
    """reference('name') -> the reference object of that name in this check file's module."""
    return _getter(ref, request)


@pytest.fixture(autouse=True)
def _fixed_seed_and_clean_state(request):
    """Every graded check starts from the same seed and from torch's default global state."""
    if request.node.get_closest_marker("item") is None:
        yield
        return
    import numpy as np
    import torch

    seed = seed_of(request.node)
    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    yield seed


# ---------------------------------------------------------------- verdicts

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("item")
    if marker is None:
        return
    phase_counts = report.when == "call" or (report.when == "setup" and not report.passed)
    if not phase_counts:
        return
    record = res.CheckResult(
        nodeid=item.nodeid, module=module_of(item), item=marker.args[0], check=item.originalname,
        points=int(marker.kwargs.get("points", 1)), seed=seed_of(item), duration=report.duration,
    )
    if report.skipped:
        record.status = "skipped"
    elif call.excinfo is not None and not report.passed:
        timeout_mark = item.get_closest_marker("timeout")
        root = resolve_root(item.config.getoption("--impl"), item.config)
        status, message = classify(call.excinfo.value, call.excinfo.tb, root,
                                   timeout_mark.args[0] if timeout_mark and timeout_mark.args else None)
        record.status, record.message = status, message.as_dict()
        shown = f"[{status}] {record.text(lang_of(item.config))}"
        if status == "error" and record.message and "NotImplementedError" not in shown:
            shown += "\n\n" + str(call.excinfo.getrepr(style="short", chain=False))
        report.longrepr = shown
    item.config.stash[_RECORDS].append(record)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    records = config.stash[_RECORDS]
    if not records:
        return
    lang = lang_of(config)
    impl = resolve_root(config.getoption("--impl"), config)
    terminalreporter.write_sep("=", res.TITLE.get(lang))
    terminalreporter.write_line(TITLE_LINE.format(impl=impl, device=device_of(config), lang=lang).get(lang))
    for line in res.score_table(records, lang, terminalreporter._tw.fullwidth):
        terminalreporter.write_line(line)


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    records = config.stash[_RECORDS]
    if not records:
        return
    path = config.getoption("--score-json")
    if path:
        elapsed = time.perf_counter() - config.stash[_META]["started"]
        res.write_json(Path(path), res.gradescope(records, lang_of(config), elapsed))
    earned, possible = res.totals(records)
    if earned < possible and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
