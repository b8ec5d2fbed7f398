"""pytest plugin (entry point `pytest11: tocha_report`): `--html-report PATH` writes the HTML page
of `tocha report` for the checks that ran.

It reads the same results file the tocha plugin writes (`--score-json`); when that option was not
given it asks for one in a temporary file and removes it afterwards. Nothing else of the tocha
plugin is used. The loss curves run in a subprocess (student code is never imported here).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

_TEMP = pytest.StashKey[str]()
_WROTE = pytest.StashKey[str]()


def pytest_addoption(parser):
    group = parser.getgroup("tocha", "tocha grading")
    group.addoption("--html-report", default=None, metavar="PATH",
                    help="write a self-contained HTML page with the scores, hints and loss curves here")
    group.addoption("--html-report-no-curves", action="store_true",
                    help="leave the loss curves of training items out of --html-report")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if not config.getoption("--html-report", None):
        return
    if not hasattr(config.option, "score_json"):
        return  # the tocha plugin is not loaded: nothing to report
    if not config.option.score_json:
        fd, path = tempfile.mkstemp(prefix="tocha-html-", suffix=".json")
        os.close(fd)
        os.unlink(path)
        config.option.score_json = path
        config.stash[_TEMP] = path


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    target = config.getoption("--html-report", None)
    if not target or not hasattr(config.option, "score_json"):
        return
    temp = config.stash.get(_TEMP, None)
    source = Path(config.option.score_json)
    try:
        payload = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        payload = None
    finally:
        if temp:
            Path(temp).unlink(missing_ok=True)
    if payload is None:
        return
    from grading.data import resolve_root
    from grading.curriculum import discover, parse_results
    from grading.student.report import write_report
    from grading.text import default_lang

    lang = config.getoption("--lang", None) or default_lang()
    graded = [Path(str(item.fspath)) for item in session.items if item.get_closest_marker("item") is not None]
    curriculum = discover(graded[0].parent) if graded else {}
    ran = {path.stem.removeprefix("test_") for path in graded}
    modules = [m for m in curriculum if m in ran]
    results = list(parse_results(payload, lang, curriculum, modules).values())
    impl = resolve_root(config.getoption("--impl"), config.rootpath)
    ref = resolve_root(config.getoption("--reference"), config.rootpath)
    path = write_report(Path(target), results, impl, ref, lang,
                        with_curves=not config.getoption("--html-report-no-curves", False))
    config.stash[_WROTE] = str(path.resolve())


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    wrote = config.stash.get(_WROTE, None)
    if wrote:
        terminalreporter.write_line(f"HTML report: {wrote}")
