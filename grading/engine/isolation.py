"""Each check module runs in a worker process forked from pytest; pytest's own process, where no
submission code ever runs, keeps the score and alone writes the results file.

Why: the checks call the submission's code. If that code ends the process (os._exit, a signal,
abort, a crash), hangs it (an endless loop at import or call time, with SIGALRM ignored),
floods its output or changes global state, only the worker of that module suffers. The parent
reads the worker's reports item by item over a pipe and

* accepts a report only for the item it expects next, in order, with a status from the known
  vocabulary; points, names and seeds come from the parent's own copy of the checks;
* gives every check its timeout (plus a grace) and every module its budget, kills the worker's
  whole process group when one runs out, and marks what did not finish "timed out";
* names the exit status or signal when a worker dies, marks the check it was running as an
  error, and goes on with the module's next check in a fresh worker (a module whose import
  crashes or hangs costs all of that module's checks at once);
* ends a worker after a check in which the submission tampered with what a verdict relies on
  (grading/sandbox/guard.py), and goes on in a fresh one: what it gathered meanwhile is gone;
* logs the reports through pytest's hooks, so the terminal output, the score table and
  --score-json work as in one process.

A worker is a fork of the parent after collection, so it starts with torch and the check
modules already imported (milliseconds, not seconds). The parent computes on one thread so that
no OpenMP pool exists when it forks (a forked worker of a process whose pool started hangs);
each worker gets the thread count back. CUDA is never initialised in the parent; if something
did initialise it, the checks run in-process with a warning (forking then is unsafe).
"""
from __future__ import annotations

import faulthandler
import gc
import json
import math
import os
import re
import select
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import pytest

from grading import notices, pytest_private
from grading.engine import hung, threads
from grading.engine import session as shared
from grading.engine.outcome import classify
from grading.engine.roots import IMPORT_HOOKS, import_ahead
from grading.processes import kill_group
from grading.sandbox import containment, guard
from grading.text import TIMED_OUT, Text, tag
from grading.verdict import OUTPUT_LIMIT, STATUSES

# Taken before any submission code can replace them.
_fork, _exit, _write, _read, _close, _pipe = os.fork, os._exit, os.write, os.read, os.close, os.pipe
_waitpid, _setpgid, _getppid = os.waitpid, os.setpgid, os.getppid
_monotonic, _sleep, _select = time.monotonic, time.sleep, select.select
_dumps, _loads = json.dumps, json.loads

GRACE_S = 2.0              # past a check's own timeout before its worker is killed
POLL_S = 0.5               # how often the parent looks whether a silent worker is still alive
MAX_FRAME = 4 * 2**20      # bytes in one message from a worker
HEAD, TAIL = 6000, 2000    # characters kept of a captured output section or a failure text
MESSAGE_CHARS = 4000       # characters kept of a hint
_PHASES = ("setup", "call", "teardown")
# What makes a verdict count carries the worker's token: the submission shares the worker's
# process and can write to its pipe (found among its descriptors), but never held the token.
_SIGNED = frozenset({"start", "done", "stop", "end"})
_OUTCOMES = ("passed", "failed", "skipped")



class _Protocol(Exception):
    """A worker sent something the parent does not accept."""


# ---------------------------------------------------------------- when isolation is possible

def unavailable(config) -> str | None:
    """Why checks cannot run in workers here (None when they can)."""
    if config.getoption("--no-isolation"):
        return "--no-isolation"
    if not hasattr(os, "fork") or sys.platform == "win32":
        return "this platform cannot fork"
    if config.getoption("usepdb", False):
        return "--pdb"
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return "CUDA was initialised in the pytest process before the checks ran"
    return None


# ---------------------------------------------------------------- the session loop (parent)

def _graded(item) -> bool:
    return item.get_closest_marker("item") is not None


# Imported once in the parent before forking when several modules are graded, instead of once
# per worker: building an optimizer imports torch._dynamo (1-3 s); the others cost tens of
# milliseconds a worker. Importing starts no thread, so forking stays safe.
WARM_IMPORTS = ("torch._dynamo", "grading.snapshots.calls", "numpy.random", "resource", "torch.utils._device")


def warm_imports() -> None:
    import importlib

    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # only a matter of speed


def run_session(session) -> None:
    """pytest_runtestloop: graded check files in workers, everything else in-process as usual."""
    items = session.items
    graded_files = {item.path for item in items if _graded(item)}
    if len(graded_files) > 1:
        warm_imports()
    local = [item for item in items if item.path not in graded_files]
    following = dict(zip(map(id, local), local[1:] + [None]))
    done: set = set()
    # Objects that exist now stay out of the workers' garbage collections, so a worker does not
    # copy (copy-on-write) every page of the parent's heap just by collecting.
    gc.freeze()
    try:
        _run_items(session, items, graded_files, following, done)
    finally:
        gc.unfreeze()


def _run_items(session, items, graded_files, following, done) -> None:
    for item in items:
        if item.path in graded_files:
            if item.path in done:
                continue
            done.add(item.path)
            pytest_private.finish_open_fixtures(session)
            _Module(session, [i for i in items if i.path == item.path]).run()
        else:
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=following[id(item)])
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)


# ---------------------------------------------------------------- one module (parent)

class _Module:
    def __init__(self, session, items):
        self.session, self.config, self.items = session, session.config, items
        self.name = shared.module_of(items[0])
        self.timeouts = [shared.item_timeout(i) or shared.DEFAULT_TIMEOUT_S for i in items]
        self.budget = shared.module_budget(self.config, self.timeouts)
        self.root = shared.resolve_root(self.config.getoption("--impl"), self.config)
        self.deadline = 0.0
        self.cheats: dict[str, tuple[str, str]] = {}  # nodeid -> what the worker caught the submission doing

    def run(self) -> None:
        self.deadline = _monotonic() + self.budget
        k = 0
        while k < len(self.items):
            if _monotonic() >= self.deadline:
                self._out_of_time(k)
                return
            k = self._worker(k)

    def _out_of_time(self, first: int) -> None:
        text = notices.MODULE_TIMED_OUT.format(module=self.name, seconds=self.budget)
        for j in range(first, len(self.items)):
            self._synthetic(j, "timed out", text, 0.0)

    # ------------------------------------------------------------ a worker's life

    def _worker(self, start: int) -> int:
        """Fork a worker for items[start:]; return the index of the first item not yet logged."""
        rfd, wfd = _pipe()
        fault = tempfile.TemporaryFile()
        token = _token()  # only in this frame and the worker's: a submission can write to the pipe, not sign
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        pid = _fork()
        if pid == 0:  # the worker; never returns
            _close(rfd)
            _worker_main(self.session, self.items, start, wfd, fault, token)
        _close(wfd)
        try:
            _setpgid(pid, pid)
        except OSError:
            pass
        try:
            return self._supervise(pid, rfd, start, fault, token)
        finally:
            _close(rfd)
            _finish(pid, 0.0)
            _REAPED.pop(pid, None)
            fault.close()

    def _supervise(self, pid: int, rfd: int, start: int, fault, token: str) -> int:
        reader = _Reader(rfd)
        n = len(self.items)
        expected, current, started_at, importing, given = start, None, 0.0, None, 0.0
        tampered = False
        while True:
            now = _monotonic()
            limit = self.deadline
            if current is not None:
                limit = min(limit, started_at + given + GRACE_S)
            try:
                ready, _, _ = _select([rfd], [], [], min(max(0.0, limit - now), POLL_S))
            except InterruptedError:
                continue
            if not ready and _monotonic() < limit:
                # Nothing to read: has the worker died while a process it left holds the pipe open?
                if _exited(pid):
                    reader.eof = True
                else:
                    continue
            elif not ready:
                _kill_group(pid)
                first = current if current is not None else expected
                if first >= n:
                    return n
                if importing is not None:
                    seconds = self.timeouts[first]
                    text = notices.IMPORT_TIMED_OUT.format(module=importing, seconds=seconds)
                    for j in range(first, n):
                        self._synthetic(j, "timed out", text, seconds if j == first else 0.0)
                    return n
                if _monotonic() >= self.deadline:
                    self._out_of_time(first)
                    return n
                self._synthetic(first, "timed out", TIMED_OUT.format(seconds=given or self.timeouts[first]),
                                _monotonic() - started_at)
                return first + 1
            try:
                messages = reader.read() if ready else []
                for msg in messages:
                    kind = msg["t"]
                    if kind in _SIGNED and msg.get("k") != token:
                        raise _Protocol(f"a {str(kind)[:10]!r} the worker did not send")
                    if kind == "start":
                        if current is not None or msg.get("i") != expected or expected >= n:
                            raise _Protocol("a check started out of order")
                        current, started_at = expected, _monotonic()
                        given = hung.check_timeout(self.items[current]) or self.timeouts[current]
                    elif kind == "import":
                        module, phase = msg.get("module"), msg.get("phase")
                        if not isinstance(module, str) or len(module) > 200 or phase not in ("begin", "end"):
                            raise _Protocol("a malformed import notice")
                        importing = module if phase == "begin" else None
                    elif kind == "cheated":  # told at once, so the submission cannot undo it
                        what = msg.get("what")
                        if msg.get("kind") not in containment.KINDS or not isinstance(what, str) or len(what) > 200:
                            raise _Protocol("a malformed cheating notice")
                        self.cheats.setdefault(self.items[current if current is not None else min(expected, n - 1)].nodeid,
                                               (msg["kind"], what))
                    elif kind == "hung":
                        if current is None:
                            raise _Protocol("a hung function outside a check")
                        try:
                            found = hung.from_wire(msg)
                        except ValueError as exc:
                            raise _Protocol(str(exc)) from None
                        hung.remember(self.config, self.items[current], found)
                    elif kind == "tampered":
                        if current is None:
                            raise _Protocol("tampering outside a check")
                        tampered = True
                    elif kind == "done":
                        if current is None or msg.get("i") != current:
                            raise _Protocol("a result for a check that was not running")
                        self._log_done(current, msg, _monotonic() - started_at)
                        expected, current, importing = current + 1, None, None
                        if tampered:  # what the submission gathered must not outlive this check
                            _kill_group(pid)
                            return expected
                    elif kind == "stop":
                        if current is not None:
                            raise _Protocol("a stop in the middle of a check")
                        _finish(pid, 2.0)
                        return expected
                    elif kind == "end":
                        if current is not None or expected != n:
                            raise _Protocol("an end before every check ran")
                        device = msg.get("device")
                        if isinstance(device, str) and len(device) < 40:
                            shared.note_device(self.config, device)
                        shared.note_containment(self.config, msg.get("hidden") is True, msg.get("unhidden"))
                        _finish(pid, 2.0)
                        return n
                    else:
                        raise _Protocol(f"an unknown message {str(kind)[:20]!r}")
            except _Protocol as exc:
                _kill_group(pid)
                first = current if current is not None else expected
                if first < n:
                    self._synthetic(first, "error", notices.PROTOCOL.format(why=str(exc)), 0.0)
                return first + 1
            if self.session.shouldfail or self.session.shouldstop:  # -x / --maxfail
                _kill_group(pid)
                return n
            if reader.eof:
                status = _finish(pid, 1.0)
                how = _describe_exit(status)
                where = _fault_location(fault, self.root)
                first = current if current is not None else expected
                if first >= n:
                    return n
                if importing is not None:
                    text = notices.CRASHED_AT_IMPORT.format(module=importing, how=how, where=where)
                    for j in range(first, n):
                        self._synthetic(j, "error", text, 0.0)
                    return n
                elapsed = _monotonic() - started_at if current is not None else 0.0
                self._synthetic(first, "error", notices.CRASHED.format(how=how, where=where), elapsed)
                return first + 1

    # ------------------------------------------------------------ logging in the parent

    def _log_done(self, j: int, msg: dict, elapsed: float) -> None:
        item = self.items[j]
        phases = _valid_phases(msg.get("reports"), item)
        records = msg.get("records")
        if not isinstance(records, list) or len(records) > 1:
            raise _Protocol("a malformed result")
        if not _graded(item):
            if records:
                raise _Protocol("a result for an ungraded test")
            self._log(item, phases, None)
            return
        if not records:
            why = Text("no result was reported for it", "nenhum resultado foi relatado para ela")
            self._log(item, phases or None, ("error", notices.NO_VERDICT.format(why=why), elapsed))
            return
        status, message, duration = _valid_record(records[0])
        self._log(item, phases, (status, message, duration))

    def _synthetic(self, j: int, status: str, message: Text, duration: float) -> None:
        self._log(self.items[j], None, (status, message, duration))

    def _log(self, item, phases: list[dict] | None, verdict: tuple | None) -> None:
        """Log reports for `item` through pytest's hooks; record the verdict with the parent's points."""
        config = self.config
        lang = shared.lang_of(config)
        cheat = self.cheats.get(item.nodeid) if verdict is not None else None
        if cheat is not None:  # the parent's own note wins over the worker's report
            verdict, phases = ("cheated", containment.cheated_text(*cheat), verdict[2]), None
        if verdict is not None:
            status, message, duration = verdict
            if status == "timed out":  # the module's later checks get less time (grading/engine/hung.py)
                hung.module_timed_out(config, self.name)
            shown = f"{tag(status, lang)} {message.get(lang)}" if isinstance(message, Text) else tag(status, lang)
            if phases is None:
                phases = [{"when": "setup", "outcome": "passed", "longrepr": None, "duration": 0.0, "sections": []},
                          {"when": "call", "outcome": "failed", "longrepr": shown, "duration": duration, "sections": []},
                          {"when": "teardown", "outcome": "passed", "longrepr": None, "duration": 0.0, "sections": []}]
            _agree(phases, status, shown, item)
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        keywords = {k: 1 for k in item.keywords}
        for p in phases or []:
            report = pytest.TestReport(item.nodeid, item.location, keywords, p["outcome"], p["longrepr"], p["when"],
                                sections=p["sections"], duration=p["duration"], start=0.0, stop=p["duration"],
                                user_properties=list(item.user_properties),
                                tocha_status=verdict[0] if verdict is not None else None)
            ihook.pytest_runtest_logreport(report=report)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        if verdict is not None:
            status, message, duration = verdict
            if isinstance(message, Text):
                message = message.as_dict()
            shared.add_record(config, shared.new_record(item, status, message, duration))


def _agree(phases: list[dict], status: str, shown: str | None, item) -> None:
    """Make the reports say what the verdict says (the verdict, checked by the parent, wins)."""
    judged = next((p for p in phases if p["when"] == "call"), None)
    if judged is None:
        judged = next((p for p in phases if p["outcome"] != "passed"), None) or (phases[0] if phases else None)
    if judged is None:
        return
    want = "passed" if status == "passed" else "skipped" if status == "skipped" else "failed"
    if status == "passed":
        for p in phases:
            if p is judged or p["when"] == "setup":
                p["outcome"], p["longrepr"] = "passed", None
        return
    if judged["outcome"] != want:
        judged["outcome"] = want
        if want == "skipped":
            judged["longrepr"] = (str(item.path), item.location[1] or 0, shown or status)
        else:
            judged["longrepr"] = shown or f"[{status}]"
    elif want == "failed" and not isinstance(judged["longrepr"], str):
        judged["longrepr"] = shown or f"[{status}]"


def _clip(text: str, head: int = HEAD, tail: int = TAIL) -> str:
    if len(text) <= head + tail + 200:
        return text
    cut = len(text) - head - tail
    return f"{text[:head]}\n… [{cut} characters cut] …\n{text[-tail:]}"


def _finite(value) -> float:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0 else 0.0


def _valid_phases(reports, item) -> list[dict]:
    if not isinstance(reports, list) or len(reports) > 3:
        raise _Protocol("malformed reports")
    phases = []
    for r in reports:
        if not isinstance(r, dict) or r.get("when") not in _PHASES or r.get("outcome") not in _OUTCOMES:
            raise _Protocol("a malformed report")
        if any(p["when"] == r["when"] for p in phases):
            raise _Protocol("a repeated report")
        longrepr = r.get("longrepr")
        if isinstance(longrepr, list) and len(longrepr) == 3 and r["outcome"] == "skipped":
            longrepr = (_clip(str(longrepr[0]), 500, 0), int(longrepr[1]) if isinstance(longrepr[1], int) else 0,
                        _clip(str(longrepr[2]), 2000, 0))
        elif longrepr is not None:
            longrepr = _clip(str(longrepr))
        sections = r.get("sections") or []
        if not isinstance(sections, list) or len(sections) > 12:
            raise _Protocol("malformed output sections")
        sections = [(_clip(str(s[0]), 100, 0), _clip(str(s[1]))) for s in sections
                    if isinstance(s, list) and len(s) == 2]
        phases.append({"when": r["when"], "outcome": r["outcome"], "longrepr": longrepr,
                       "duration": _finite(r.get("duration")), "sections": sections})
    phases.sort(key=lambda p: _PHASES.index(p["when"]))
    return phases


def _valid_record(record) -> tuple[str, Text | None, float]:
    if not isinstance(record, dict) or record.get("status") not in STATUSES:
        raise _Protocol("a result with an unknown status")
    message = record.get("message")
    if message is not None:
        if not (isinstance(message, dict) and isinstance(message.get("en"), str) and isinstance(message.get("pt-BR"), str)):
            raise _Protocol("a malformed hint")
        message = Text(_clip(message["en"], MESSAGE_CHARS, 0), _clip(message["pt-BR"], MESSAGE_CHARS, 0))
    return record["status"], message, _finite(record.get("duration"))


class _Reader:
    """Length-prefixed JSON frames from a worker."""

    def __init__(self, fd: int):
        self.fd, self.buffer, self.eof = fd, bytearray(), False

    def read(self) -> list[dict]:
        chunk = _read(self.fd, 1 << 16)
        if not chunk:
            self.eof = True
        self.buffer += chunk
        messages = []
        while len(self.buffer) >= 4:
            size = int.from_bytes(self.buffer[:4], "big")
            if size > MAX_FRAME:
                raise _Protocol("a message too large")
            if len(self.buffer) < 4 + size:
                break
            raw = bytes(self.buffer[4:4 + size])
            del self.buffer[:4 + size]
            try:
                msg = _loads(raw.decode("utf-8"))
            except ValueError:
                raise _Protocol("an unreadable message") from None
            if not isinstance(msg, dict) or not isinstance(msg.get("t"), str):
                raise _Protocol("a malformed message")
            messages.append(msg)
        if self.eof and self.buffer:
            raise _Protocol("a message cut short")
        return messages


# ---------------------------------------------------------------- ending a worker (parent)

_REAPED: dict[int, int | None] = {}  # workers already waited for, by pid (never signal those again)


def _kill_group(pid: int) -> None:
    if pid not in _REAPED:  # a reaped pid may already name another process
        kill_group(pid)


def _exited(pid: int) -> bool:
    """Whether the worker has exited (without reaping it)."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return False
    try:
        return waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _finish(pid: int, wait_s: float) -> int | None:
    """Wait up to wait_s for the worker to exit (else kill it), kill what it left behind, reap it."""
    if pid in _REAPED:
        return _REAPED[pid]
    deadline = _monotonic() + wait_s
    waitid = getattr(os, "waitid", None)
    while True:
        try:
            if waitid is not None:
                exited = waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
            else:
                exited = False
        except ChildProcessError:
            return None
        if exited or _monotonic() >= deadline:
            break
        _sleep(0.002)
    _kill_group(pid)  # the zombie keeps its group id reserved, so this reaches only its leftovers
    try:
        status = _waitpid(pid, 0)[1]
    except ChildProcessError:
        status = None
    _REAPED[pid] = status
    return status


def _describe_exit(status: int | None) -> Text:
    if status is None:
        return notices.CHANNEL_CLOSED
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL:
            return notices.KILLED
        if sig == signal.SIGABRT:
            return notices.ABORTED
        if sig == signal.SIGSEGV:
            return notices.SEGFAULT
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return notices.SIGNALLED.format(name=name)
    return notices.EXITED.format(code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else status)


_FRAME_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


def _fault_location(fault, root: Path) -> Text:
    """Where the worker was in the submission when it crashed, from faulthandler's dump."""
    try:
        fault.seek(0)
        dump = fault.read(200_000).decode("utf-8", "replace")
    except (OSError, ValueError):
        return Text("", "")
    for match in _FRAME_LINE.finditer(dump):  # most recent call first
        path = Path(match["file"])
        try:
            if path.resolve().is_relative_to(root):
                return notices.AT.format(file=str(path.resolve().relative_to(root.parent)), line=match["line"])
        except (OSError, ValueError):
            continue
    return Text("", "")


# ---------------------------------------------------------------- the worker

class _Channel:
    def __init__(self, fd: int):
        self.fd = fd

    def send(self, msg: dict) -> None:
        data = _dumps(msg, ensure_ascii=False, default=str).encode("utf-8", "replace")
        view = memoryview(len(data).to_bytes(4, "big") + data)
        while view:
            view = view[_write(self.fd, view):]


def _hide_secrets(config, items, wfd: int) -> tuple[bool, str | None]:
    """The reference's folder and checks/snapshots/ hidden from this worker where the machine
    allows (grading/sandbox/namespaces.py); not while recording, the teacher's own run."""
    mode = shared.reference_mode(config)
    if mode == "record":
        return False, None
    answers = []
    if mode == "live":
        import_ahead(shared.resolve_root(config.getoption("--reference"), config), {str(item.path) for item in items})
    else:
        from grading.snapshots import calls as snapshot

        answers = {snapshot.path_for(Path(str(item.path)).resolve().parent / snapshot.FOLDER, shared.module_of(item))
                   for item in items}
    hidden, unhidden, read = containment.hide_secrets(answers, close_fds=(wfd,))
    config.stash[shared.ANSWERS] = read  # for the replay's root (plugin's `ref`), nowhere else
    return hidden, unhidden


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass
    if _getppid() != parent:
        _exit(1)


def _limit_resources() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        limit = OUTPUT_LIMIT if hard == resource.RLIM_INFINITY else min(OUTPUT_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the limit fails with EFBIG instead
    except (ImportError, ValueError, OSError):
        pass


def _fresh_capture(config) -> int:
    """The worker's own capture files (the parent's are shared through fork). When pytest
    captures output, what the worker writes between checks (a thread that keeps printing) goes
    nowhere instead of to the terminal. Returns a descriptor for the worker's own complaints."""
    complaints = os.dup(2)
    method = pytest_private.capture_method(config)
    if method is None:
        return complaints
    if method != "no":
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
    pytest_private.restart_capture(config)
    return complaints


def _report_dict(report) -> dict:
    longrepr = report.longrepr
    if longrepr is None:
        shown = None
    elif report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3:
        shown = [str(longrepr[0]), longrepr[1] if isinstance(longrepr[1], int) else 0, str(longrepr[2])]
    else:
        try:
            shown = _clip(str(longrepr))
        except Exception:
            shown = "(the failure could not be rendered)"
    return {"when": report.when, "outcome": report.outcome, "duration": float(report.duration or 0.0),
            "longrepr": shown, "sections": [[str(t), _clip(str(c))] for t, c in list(report.sections)[:12]]}


def _judge_exception(item, exc: BaseException):
    """(status, Text) for an exception that escaped pytest's own handling of a check."""
    root = shared.resolve_root(item.config.getoption("--impl"), item.config)
    status, message = classify(exc, exc.__traceback__, root, shared.item_timeout(item))
    if status == "timed out":
        hung.note_timeout(item, exc, exc.__traceback__, root)
    return status, message


def _watch(config):
    """The guard's look at what was written (grading/sandbox/writes.py), once the worker's own
    setup wrote what it writes: containment's state is watched from here on."""
    active = shared.guard_of(config)
    if active is None:
        return lambda: ([], [])
    active.watch("containment", containment.state())
    for name, module in list(sys.modules.items()):  # the reference's modules imported ahead
        if containment.is_reference_module(name):
            active.module(module, strict=True)
    active.settle()
    return active.looker()


def _tampered(record: dict, changed: list, put_back: list) -> dict:
    if record.get("status") not in ("passed", "failed", "skipped"):
        return record
    return {**record, "status": "error", "message": guard.tampered_text(changed, put_back).as_dict()}


def _token() -> str:
    return os.urandom(16).hex()


def _worker_main(session, items, start: int, wfd: int, fault, token: str) -> None:
    """Run items[start:] and report each; always ends with os._exit (no atexit, no pytest teardown)."""
    code = 0
    parent = _getppid()
    complaints = 2
    try:
        try:
            _setpgid(0, 0)
        except OSError:
            pass
        _die_with_parent(parent)
        _limit_resources()
        try:
            faulthandler.enable(file=fault, all_threads=False)
        except (ValueError, OSError, RuntimeError):
            pass
        config = session.config
        complaints = _fresh_capture(config)
        shared.mark_worker(config)
        channel = _Channel(wfd)
        IMPORT_HOOKS[:] = [lambda phase, module: channel.send({"t": "import", "phase": phase, "module": module})]
        hung.HUNG_HOOKS[:] = [lambda found: channel.send(found.wire())]
        guard.TAMPER_HOOKS[:] = [lambda: channel.send({"t": "tampered"})]
        shared.contain(session, lambda kind, what: channel.send({"t": "cheated", "kind": kind, "what": what}))
        # Before torch's threads start (namespaces need a single thread); from here on this may be
        # a new process, its pid no longer the one the parent knows.
        hidden, unhidden = _hide_secrets(config, items[start:], wfd)
        pytest_private.sever_global_routes()
        threads.restore_threads()
        look = _watch(config)  # kept here, from before the submission loads
        records = shared.records_of(config)
        n = len(items)
        for j in range(start, n):
            item = items[j]
            nextitem = items[j + 1] if j + 1 < n else None
            if look()[0]:  # written between checks (a teardown, a thread): go on in a fresh worker
                channel.send({"t": "stop", "k": token})
                break
            channel.send({"t": "start", "i": j, "k": token})
            before = len(records)
            broken = None
            reports = []
            try:
                with hung.limit(item):
                    reports = pytest_private.runtestprotocol(item, log=False, nextitem=nextitem)
            except BaseException as exc:  # KeyboardInterrupt, pytest.exit, a timeout outside the check
                broken = exc
            changed, put_back = look()  # what the check's own verdict did not see (or was kept from seeing)
            found = [shared.record_wire(r) for r in records[before:]]
            if broken is not None and _graded(item) and not found:
                status, message = _judge_exception(item, broken)
                found = [{"status": status, "message": message.as_dict() if message else None, "duration": 0.0}]
            if (changed or put_back) and _graded(item):
                found = [_tampered(record, changed, put_back) for record in found]
                channel.send({"t": "tampered"})
            channel.send({"t": "done", "i": j, "reports": [_report_dict(r) for r in reports], "records": found, "k": token})
            if broken is not None:  # pytest's state for this module is unknown now: a fresh worker goes on
                channel.send({"t": "stop", "k": token})
                break
        else:
            channel.send({"t": "end", "device": shared.known_device(config), "hidden": hidden, "unhidden": unhidden,
                          "k": token})
    except BaseException:
        code = 70
        try:
            _write(complaints, ("tocha worker: " + traceback.format_exc()[-2000:]).encode())
        except Exception:
            pass
    finally:
        _exit(code)


def warn_fallback(reason: str) -> None:
    warnings.warn(pytest.PytestWarning(f"tocha: checks run inside the pytest process ({reason}); "
                                       "a submission that crashes or hangs it ends the whole run"))
