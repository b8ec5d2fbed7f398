"""The only module that reaches into pytest's private API; everything else uses `pytest.*`.

Each piece is here because pytest offers no public way to do it. pyproject bounds pytest to the
majors the kit's tests ran on; a new major must pass them before the bound moves.
"""
from __future__ import annotations

from _pytest import monkeypatch as _monkeypatch
from _pytest.runner import runtestprotocol

__all__ = ["runtestprotocol", "captured_sections", "finish_open_fixtures", "restart_capture", "MONKEYPATCH_NOTSET"]

# A worker runs one check's setup, call and teardown and sends the reports to its parent: pytest's
# public hook (pytest_runtest_protocol) only logs them, runtestprotocol returns them.

# pytest.MonkeyPatch.setattr's "argument not given" marker, to wrap setattr with its own signature.
MONKEYPATCH_NOTSET = getattr(_monkeypatch, "NOTSET", getattr(_monkeypatch, "notset", None))


def captured_sections(item) -> list[tuple[str, str, str]]:
    """(when, key, content) of the output pytest captured during a check, for a report the plugin
    builds itself (pytest fills these in as it runs; no public accessor)."""
    return list(item._report_sections)


def finish_open_fixtures(session) -> None:
    """Tear down the fixtures still set up in this process before a check module moves to a worker
    (pytest tears down lazily, when the next item needs it; there is no public call for "now")."""
    if session._setupstate.stack:
        session._setupstate.teardown_exact(None)


def restart_capture(config) -> bool:
    """Give a forked worker capture files of its own, suspended as pytest leaves them between
    checks (after fork the parent's are shared). False when pytest is not capturing."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None or capman._global_capturing is None:
        return False
    from _pytest.capture import _get_multicapture

    capman._global_capturing = _get_multicapture(capman._method)
    capman._global_capturing.start_capturing()
    capman._global_capturing.suspend_capturing()
    return True


def capture_method(config) -> str | None:
    """pytest's --capture method ("fd", "sys", "no", "tee-sys"), None when capture is off entirely."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None or capman._global_capturing is None:
        return None
    return capman._method


def sever_global_routes() -> None:
    """In a check worker, before any submission code: the module-level objects of pytest through
    which code without frames or the garbage collector reaches the session, hence every check's
    fixtures, the reference and a release's recorded answers among them (tests/hostile/replay_answers.py
    searches for them). The worker runs its checks from the objects its own frames hold; these it does
    not need:

    * the assertion-rewriting import hook keeps the config and the session (and stays the
      `__loader__` of every module it rewrote); the check modules are imported already, so it
      leaves sys.meta_path and forgets both;
    * the mark generator keeps the config to warn of unknown marks, which only collection makes;
    * pytest's debugger wrapper keeps the plugin manager and the config for --pdb, and a
      submission may not trace anyway (containment's audit hook).
    """
    from _pytest.assertion.rewrite import AssertionRewritingHook
    from _pytest.debugging import pytestPDB
    from _pytest.mark.structures import MARK_GEN

    import sys

    for hook in [finder for finder in sys.meta_path if isinstance(finder, AssertionRewritingHook)]:
        sys.meta_path.remove(hook)
        hook.session = None
        hook.config = None
    MARK_GEN._config = None
    pytestPDB._config = None
    pytestPDB._pluginmanager = None


def session_code():
    """The code of the frame that holds a whole pytest session (`_pytest.main.wrap_session`): the
    frames under it belong to whoever started pytest, as a notebook's cell does when it runs the
    checks in its own process (grading/notebooks/cells.py); containment looks no further down."""
    from _pytest.main import wrap_session

    return wrap_session.__code__


def monkeypatched(monkeypatch) -> list:
    """What a check's `monkeypatch` fixture has set and not yet undone: the current values."""
    return [getattr(target, name, None) for target, name, _old in getattr(monkeypatch, "_setattr", ())]
