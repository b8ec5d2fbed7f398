"""The pytest plugin (entry point `pytest11: tocha`): options, per-check points, seeds and
timeouts, verdicts turned into bilingual hints, the score table and the results file.

Only tests carrying the `item` marker are graded; everything else pytest runs is left alone.
Each check file with graded tests runs in a worker process of its own (grading/engine/isolation.py):
a submission that crashes, hangs or tampers costs only that module's checks, and only this
process, where no submission code runs, writes the results file.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

# Before torch is imported (check modules import it after this plugin loads): OpenMP threads
# that spin while waiting make every op 5-10x slower when the cores are shared (a student's
# busy laptop, a class graded in parallel); measured on ex08_regression under load: 55 s and a
# timeout with spinning threads, 7 s with sleeping ones.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from grading import pytest_private  # noqa: E402
from grading import results as res  # noqa: E402
from grading.engine import isolation, threads  # noqa: E402
from grading.engine.outcome import classify, traceback_text  # noqa: E402
from grading.engine.roots import ImplementationRoot  # noqa: E402
from grading.engine.session import (DEFAULT_MODULE_TIMEOUT_S, DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_S,  # noqa: E402
                                    ANSWERS, GUARD, META, PARTIAL, PRINTS, RECORDS, TIMEOUT, add_record, baseline,
                                    baseline_now, check_key, contain, detailed, device_of, item_timeout,
                                    containment_of, guard_of, known_device, lang_of, module_of, new_record, reference_mode,
                                    resolve_root, seed_of)
from grading.sandbox import guard as _guard  # noqa: E402
from grading.text import STATUS, TITLE_LINE, tag  # noqa: E402
from grading.verdict import CheckFailed  # noqa: E402



def pytest_addoption(parser):
    group = parser.getgroup("tocha", "tocha grading")
    group.addoption("--impl", default="exercises",
                    help="implementation root to grade: exercises, solutions, or a folder path")
    group.addoption("--reference", default="solutions",
                    help="what the checks compare against: solutions (the kit's folder, else the recorded "
                         "snapshots), snapshots, or a folder path")
    group.addoption("--record-snapshots", default=None, metavar="DIR",
                    help="record the reference's answers into DIR (used by `tocha snapshot`)")
    group.addoption("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                    help="device for the checks (auto: cuda, then mps, then cpu)")
    group.addoption("--lang", default=None, choices=["en", "pt-BR"],
                    help="language of hints (default: TOCHA_LANG, else LANG, else en)")
    group.addoption("--timeout-scale", type=float, default=1.0,
                    help="multiply every check's timeout and every module's time budget (and the short "
                         "times a function that already hung gets in later checks)")
    group.addoption("--module-timeout", type=float, default=DEFAULT_MODULE_TIMEOUT_S,
                    help="seconds all the checks of one module may take together (before --timeout-scale)")
    group.addoption("--seed-offset", type=int, default=0,
                    help="added to every check's seed (the kit's flake test varies it)")
    group.addoption("--no-isolation", action="store_true", default=False,
                    help="run the checks inside the pytest process (for debugging: a submission that "
                         "crashes or hangs then ends the whole run)")
    group.addoption("--score-json", default=None, help="write Gradescope-style results.json here")
    group.addoption("--memory-limit", type=float, default=None, metavar="GIB",
                    help="GiB of memory a check module's worker may allocate beyond its starting size "
                         "(default 4, or TOCHA_MEMORY_LIMIT; 0: no limit)")


def pytest_configure(config):
    config.addinivalue_line("markers", "item(name, points=1, timeout=None): a graded check of one curriculum item")
    config.addinivalue_line("markers", "with_reference(*items): the check swaps the reference's implementation of "
                                       "these items into the submission (its row says so when the student's fail)")
    config.addinivalue_line("markers", "timeout(seconds): this check's time limit (the grader times every check itself)")
    _one_timer(config)
    config.stash[RECORDS] = []
    config.stash[META] = {"started": time.perf_counter()}
    from grading.sandbox import containment

    containment.wrap_monkeypatch()  # a check's own swaps of the reference are allowed (containment.py)
    if reference_mode(config) == "replay":
        if config.getoption("--seed-offset"):
            raise pytest.UsageError("--seed-offset needs the solutions/ folder: the recorded snapshots hold the "
                                    "reference's answers for seed offset 0 only (give --reference PATH).")
        if config.getoption("--device") not in ("auto", "cpu"):
            raise pytest.UsageError("the recorded snapshots replay on the CPU only: use --device cpu, or give "
                                    "--reference PATH to compare with a live reference.")
    if isolation.unavailable(config) is None:
        threads.keep_parent_single_threaded()
        # torch.cuda.is_available() in this process must not initialise CUDA: workers fork from it.
        os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")


def pytest_make_parametrize_id(config, val, argname):
    """Parameter ids as written (`2x² + 3y³`), not escaped (`2x\\xb2 + 3y\\xb3`): a string with
    no control character and no backslash is shown as is."""
    if isinstance(val, str) and not val.isascii() and val.isprintable() and "\\" not in val:
        return val
    return None


# ---------------------------------------------------------------- timeouts

def _one_timer(config) -> None:
    """The grader times every check itself (grading/engine/hung.py: the first timeout names the
    function that hung and shortens its later calls; a worker that never returns to Python is
    killed by the parent), so pytest-timeout is not a dependency. Where it is installed anyway,
    its timer would fight the grader's over SIGALRM: it is switched off, and its `--timeout` and
    `timeout` ini value become the grader's default time per check."""
    other = config.pluginmanager.get_plugin("timeout")
    if other is None:
        return
    seconds = config.getoption("timeout", None)
    if seconds is None:
        try:
            seconds = config.getini("timeout")
        except (ValueError, KeyError):
            seconds = None
    if seconds:
        config.stash[DEFAULT_TIMEOUT] = float(seconds)
    config.pluginmanager.unregister(other)


def pytest_collection_modifyitems(session, config, items):
    scale = config.getoption("--timeout-scale")
    for item in items:
        marker = item.get_closest_marker("item")
        if marker is None:
            continue
        explicit = item.get_closest_marker("timeout")
        seconds = (explicit.args[0] if explicit is not None and explicit.args else None) \
            or marker.kwargs.get("timeout") or config.stash.get(DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_S)
        item.stash[TIMEOUT] = float(seconds) * scale


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """In-process runs (--no-isolation) time each check here; workers do it themselves."""
    if item.config.stash[META].get("worker"):
        yield
        return
    from grading.engine import hung

    with hung.limit(item):
        yield


# ---------------------------------------------------------------- the session

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    config = session.config
    if config.option.collectonly or (session.testsfailed and not config.option.continue_on_collection_errors):
        return None  # pytest's own loop reports these
    graded = [item for item in session.items if item.get_closest_marker("item") is not None]
    modules = []
    for item in graded:
        module = getattr(item, "module", None)
        if module is not None and module not in modules:
            modules.append(module)
    config.stash[META]["baseline"] = baseline_now()
    config.stash[GUARD] = _guard.build(modules, reference_mode(config) != "record") if graded else None
    reason = isolation.unavailable(config)
    if not graded or reason is not None:
        if graded and reason != "--no-isolation":
            isolation.warn_fallback(reason)
        if graded:
            contain(session, worker=False)  # the reference's guard only: no limits, no audit hook here
        threads.restore_threads()
        return None
    isolation.run_session(session)
    return True


# ---------------------------------------------------------------- fixtures for checks

@pytest.fixture(scope="session")
def impl(pytestconfig) -> ImplementationRoot:
    """The implementation root being graded."""
    root = ImplementationRoot(resolve_root(pytestconfig.getoption("--impl"), pytestconfig), "impl")
    root.guard = guard_of(pytestconfig)
    return root


@pytest.fixture(scope="session")
def ref(pytestconfig, impl):
    """The reference the checks compare against: an ImplementationRoot, or its recorded answers."""
    from grading.snapshots import calls as snapshot

    mode = reference_mode(pytestconfig)
    if mode == "replay":
        return snapshot.SnapshotRoot(impl, answers=pytestconfig.stash.get(ANSWERS, None))
    live = ImplementationRoot(resolve_root(pytestconfig.getoption("--reference"), pytestconfig), "ref")
    if mode == "record":
        return snapshot.RecordingRoot(live, Path(pytestconfig.getoption("--record-snapshots")))
    return live


@pytest.fixture(autouse=True)
def _snapshot_bookkeeping(request):
    """Tells the snapshot machinery which check runs (its answers are filed under it)."""
    if request.node.get_closest_marker("item") is None:
        yield
        return
    yield
    if reference_mode(request.config) == "record":
        request.getfixturevalue("ref").recorder.flush()


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
    """Every graded check starts from the same seed and from torch's default global state, with
    whatever an earlier check's code replaced put back."""
    if request.node.get_closest_marker("item") is None:
        yield
        return
    from grading.sandbox import containment, state
    from grading.snapshots import calls as snapshot

    swapped = request.node.get_closest_marker("with_reference")
    containment.begin_check((module_of(request.node), name) for name in (swapped.args if swapped else ()))
    snapshot.begin_check(check_key(request.node), Path(str(request.node.fspath)))
    active = guard_of(request.config)
    if active is not None:
        active.check_and_restore()
        active.settle()  # the grader's own writes above are not the submission's
    seed = seed_of(request.node)
    state.reset(baseline(request.config), seed)
    yield seed


# ---------------------------------------------------------------- verdicts

def _sanctioned_beyond(item) -> list[str]:
    """Reference functions the submission may call in this check that the check did not swap in
    (its `with_reference` marker, its monkeypatch): containment's list was written to."""
    from grading.sandbox import containment

    swapped = item.get_closest_marker("with_reference")
    legit = {(module_of(item), name) for name in (swapped.args if swapped else ())}
    patched = item.funcargs.get("monkeypatch") if hasattr(item, "funcargs") else None
    if patched is not None:
        legit.update(filter(None, map(containment.reference_pair, pytest_private.monkeypatched(patched))))
    return [f"containment: {name}" for name in containment.sanctioned_beyond(legit)]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    """The report of a graded check's verdict phase, made here (pytest's own is not used): the
    status comes from what the check raised and from the guard, never from objects the
    submission could have replaced, and no time is spent rendering pytest's long tracebacks."""
    marker = item.get_closest_marker("item")
    if marker is None or not (call.when == "call" or (call.when == "setup" and call.excinfo is not None)):
        return None
    from grading.sandbox import containment

    cheat = containment.take()  # first: it looks at the reference's guards before anything is put back
    active = guard_of(item.config)
    changed, put_back = active.written() if active is not None else ([], [])
    replaced = (active.check_and_restore() if active is not None else []) + changed
    replaced += _sanctioned_beyond(item)
    if replaced or put_back:
        _guard.tampered()
    status, message = "passed", None
    excinfo = call.excinfo
    root = resolve_root(item.config.getoption("--impl"), item.config)
    if excinfo is not None:
        status, message = classify(excinfo.value, excinfo.tb, root, item_timeout(item))
        if status == "timed out":
            from grading.engine import hung

            hung.note_timeout(item, excinfo.value, excinfo.tb, root)
    from grading.snapshots import calls as snapshot

    noted = snapshot.take_problem(excinfo.value if excinfo is not None else None)
    if noted is not None and status != "timed out":
        status, message = noted
    tampered = _guard.tampered_text(replaced, put_back)
    if tampered is not None and status in ("passed", "failed", "skipped"):
        status, message = "error", tampered
    if cheat is not None:  # noted when it happened: whatever the submission did afterwards
        status, message = "cheated", containment.cheated_text(*cheat)
    record = new_record(item, status, message.as_dict() if message else None, call.duration)
    if status == "passed":
        outcome, longrepr = "passed", None
    elif status == "skipped":
        reason = str(excinfo.value) if excinfo is not None else "skipped"
        outcome, longrepr = "skipped", (str(item.path), (item.location[1] or 0) + 1, reason)
    else:
        lang = lang_of(item.config)
        outcome, longrepr = "failed", f"{tag(status, lang)} {record.text(lang)}"
        if status == "error" and excinfo is not None and not replaced and not isinstance(excinfo.value, CheckFailed):
            longrepr += "\n\n" + traceback_text(excinfo.value, excinfo.tb, root, Path(str(item.path)))
    sections = [(f"Captured {key} {when}", content) for when, key, content in pytest_private.captured_sections(item)]
    add_record(item.config, record)
    return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), outcome, longrepr, call.when,
                      sections, call.duration, call.start, call.stop, user_properties=item.user_properties,
                      tocha_status=status)


def pytest_report_teststatus(report, config):
    """A check whose item is not started yet is neither a failure block nor a FAILED line (the
    score table gives its module one line); -v shows it as a failure, with its hint."""
    if getattr(report, "tocha_status", None) == "not started" and report.failed and not detailed(config):
        word = STATUS["not started"].get(lang_of(config))
        return word, "n", (word.upper(), {"yellow": True})
    return None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The score table, after pytest's failures and its short summary: what a student reads last."""
    yield
    records = config.stash[RECORDS]
    if not records:
        return
    lang = lang_of(config)
    impl = resolve_root(config.getoption("--impl"), config)
    device = known_device(config) or device_of(config)
    terminalreporter.write_sep("=", res.TITLE.get(lang))
    terminalreporter.write_line(TITLE_LINE.format(impl=impl, device=device, lang=lang).get(lang))
    for line in res.score_table(records, lang, config.get_terminal_writer().fullwidth, detail=detailed(config)):
        terminalreporter.write_line(line)
    if reference_mode(config) == "replay":
        from grading.snapshots import calls as snapshot  # not at import: torch loads only when checks run

        note = snapshot.version_note(Path(str(config.rootpath)) / "checks")
        if note is not None:
            terminalreporter.write_line(note.get(lang))


# ---------------------------------------------------------------- the student's results cache

def pytest_deselected(items):
    for item in items:
        if item.get_closest_marker("item") is not None:
            item.config.stash.setdefault(PARTIAL, set()).add(module_of(item))


def pytest_collection_finish(session):
    """Fingerprint, before anything runs, the modules a plain `pytest checks` grades: their
    results then refresh the cache `tocha status` and `tocha hint` read."""
    config = session.config
    if (config.getoption("--impl") != "exercises" or config.getoption("--reference") != "solutions"
            or config.getoption("--seed-offset") or config.getoption("--device") != "auto"
            or reference_mode(config) == "record" or config.option.collectonly):
        return
    from grading.engine import cache

    partial = config.stash.get(PARTIAL, set())
    prints = {}
    for item in session.items:
        module = module_of(item)
        if item.get_closest_marker("item") is None or module in prints or module in partial:
            continue
        kit = Path(str(item.fspath)).parent.parent
        if kit != Path(config.rootpath) or any("::" in arg and module in arg for arg in config.args):
            continue
        prints[module] = cache.fingerprint(module, resolve_root("exercises", config),
                                          resolve_root("solutions", config), kit)
    config.stash[PRINTS] = prints


def _refresh_cache(session, payload: dict) -> None:
    """Store the modules every graded check of which ran (-x, -k or a crash leave some out)."""
    config = session.config
    prints = dict(config.stash.get(PRINTS, {}))
    if not prints:
        return
    from grading import curriculum
    from grading.engine import cache

    recorded = {r.nodeid for r in config.stash[RECORDS]}
    for item in session.items:
        if item.get_closest_marker("item") is not None and item.nodeid not in recorded:
            prints.pop(module_of(item), None)
    if prints:
        items = curriculum.discover(Path(config.rootpath) / "checks")
        ran = curriculum.parse_results(payload, lang_of(config), items, list(prints))
        cache.store(ran, prints, resolve_root("exercises", config))


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    records = config.stash[RECORDS]
    session.config.stash[GUARD] = None
    path = config.getoption("--score-json")
    elapsed = time.perf_counter() - config.stash[META]["started"]
    res.note_reference_helpers(records)  # before the terminal's summary too: pytest prints it after this hook
    payload = res.gradescope(records, lang_of(config), elapsed, containment_of(config))
    if path:
        res.write_json(Path(path), payload)
    if not records:
        return
    _refresh_cache(session, payload)
    earned, possible = res.totals(records)
    if earned < possible and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
