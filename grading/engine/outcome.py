"""How whatever a check raised becomes a status and a student-facing message: the check's own verdict,
a timeout (naming the submission's function that was running), a stub still at NotImplementedError
("not started"), a refusal of the sandbox, memory running out, or any other error with the line
of the submission where it happened. A pytest outcome or a CheckFailed raised by the submission's
own code is never taken as the check's verdict."""
from __future__ import annotations

import errno
import linecache
import sys
import traceback
from pathlib import Path

import pytest

from grading import notices
from grading.sandbox import containment
from grading.text import (BATCH_PART, HUNG_AGAIN, NOT_STARTED, RAISED, RAISED_AT, REACHED, TIMED_OUT, TIMED_OUT_IN,
                          Text)
from grading.verdict import (FAILURE_STATUSES, OUTPUT_LIMIT, CheckFailed, CheckTimeout, HungAgain, display_path,
                             in_root, resolved_path, student_frame)

_OUTCOMES = {"Skipped": "pytest.skip()", "Failed": "pytest.fail()", "XFailed": "pytest.xfail()",
             "Exit": "pytest.exit()"}


def _is_outcome(exc: BaseException) -> bool:
    public = (pytest.skip.Exception, pytest.fail.Exception, pytest.xfail.Exception, pytest.exit.Exception)
    return isinstance(exc, public) and type(exc).__name__ in _OUTCOMES


def _engine_dirs() -> tuple[str, ...]:
    import pluggy

    internals = sys.modules[pytest.Item.__module__]  # pytest's implementation package (_pytest)
    return tuple(str(Path(m.__file__).resolve().parent) for m in (internals, pluggy)) + (
        str(Path(pytest.__file__).resolve().parent), str(Path(__file__).resolve().parents[1]))  # grading/


def _raised_by_student(tb, root: Path | None):
    """The frame that raised (or called the pytest/grader function that raised), when it is the student's."""
    engine = _engine_dirs()
    last = None
    for frame, lineno in traceback.walk_tb(tb):
        if not frame.f_code.co_filename.startswith(engine):
            last = (frame, lineno)
    return last if last is not None and in_root(last[0].f_code.co_filename, root) else None


def traceback_text(exc: BaseException, tb, root: Path | None, check_file: Path | None = None, limit: int = 8) -> str:
    """The submission's and the check's frames of a traceback, newest last (cheap: no parsing)."""
    check = resolved_path(str(check_file)) if check_file is not None else None
    entries = []
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if in_root(filename, root) or (check is not None and resolved_path(filename) == check):
            shown = display_path(filename, root) if in_root(filename, root) else Path(filename).name
            source = linecache.getline(filename, lineno).strip()
            entries.append(f"{shown}:{lineno}: in {frame.f_code.co_name}" + (f"\n    {source}" if source else ""))
    hidden = len(entries) - limit
    if hidden > 0:
        entries = entries[:2] + [f"… {hidden} more …"] + entries[-(limit - 2):]
    try:
        text = str(exc)
    except Exception:
        text = ""
    return "\n".join(entries + [f"{type(exc).__name__}: {text}"[:2000]])


# PyTorch's words when one operation meets tensors on two devices (a batch never moved to the
# model's GPU). On a CPU-only machine the same slip raises nothing, and the checks' own spies name
# it; on a GPU PyTorch stops first, so its error is turned into the same hint.
DEVICE_MISMATCH = "Expected all tensors to be on the same device"
UNMOVED_BATCH = Text(
    "the batch's {what} reached {where} without being moved to `device`{at}: call .to(device) on the inputs "
    "and on the targets of every batch. (PyTorch: \"{error}\")",
    "{what} do batch chegaram {where} sem passar por .to(device){at}: chame .to(device) nas entradas "
    "e nos alvos de cada batch. (PyTorch: \"{error}\")",
)


def _unmoved_batch(text: str, at: Text) -> Text:
    targets = "target" in text.split("but got", 1)[-1].split("(", 1)[0] or "loss" in text
    what, where = (BATCH_PART["targets"], REACHED["loss"]) if targets else (BATCH_PART["inputs"], REACHED["model"])
    return UNMOVED_BATCH.format(what=what, where=where, at=at, error=text.splitlines()[0].split(" (when")[0][:160])


def classify(exc: BaseException, tb, root: Path | None, timeout_s: float | None = None) -> tuple[str, Text]:
    """Turn what a check raised into (status, message)."""
    if isinstance(exc, HungAgain):
        hung = exc.hung
        return "timed out", HUNG_AGAIN.format(name=hung.qualname, file=hung.shown, seconds=exc.seconds,
                                              check=hung.check, first=hung.seconds)
    if isinstance(exc, CheckTimeout):
        where = student_frame(tb, root)
        if where is not None and where[0].f_code.co_name != "<module>":
            frame, lineno = where
            name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
            return "timed out", TIMED_OUT_IN.format(seconds=exc.seconds, name=name, line=lineno,
                                                    file=display_path(frame.f_code.co_filename, root))
        return "timed out", TIMED_OUT.format(seconds=exc.seconds)
    if type(exc).__name__ == "Failed" and str(exc).startswith("Timeout"):
        return "timed out", TIMED_OUT.format(seconds=timeout_s or 0)
    if isinstance(exc, CheckFailed) or _is_outcome(exc):
        forged = _raised_by_student(tb, root)
        if forged is not None:
            frame, lineno = forged
            call = _OUTCOMES.get(type(exc).__name__, "CheckFailed")
            return "error", notices.OUTCOME_FROM_STUDENT.format(
                call=call, file=display_path(frame.f_code.co_filename, root), line=lineno)
        if isinstance(exc, CheckFailed):
            status = exc.status if exc.status in FAILURE_STATUSES else "error"
            return status, exc.message
        if type(exc).__name__ in ("Skipped", "XFailed"):
            reason = str(exc) or "skipped"
            return "skipped", Text(reason, reason)
    if isinstance(exc, containment.Refused):  # cheating was noted when it happened (plugin.py)
        return ("cheated" if exc.cheating else "error"), exc.text()
    memory = containment.memory_verdict(exc)
    if memory is not None:
        return "error", memory
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "error", notices.FLOOD.format(limit=f"{OUTPUT_LIMIT // 2**20} MiB")
    where = student_frame(tb, root)
    if isinstance(exc, NotImplementedError):
        if where is not None:
            frame, _ = where
            name, file = frame.f_code.co_name, display_path(frame.f_code.co_filename, root)
        else:
            name, file = "?", "?"
        return "not started", NOT_STARTED.format(name=name, file=file)
    try:
        text = str(exc)
    except Exception:  # a student's exception whose __str__ fails
        text = ""
    error = f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")
    at = Text("", "")
    if where is not None:
        frame, lineno = where
        at = RAISED_AT.format(file=display_path(frame.f_code.co_filename, root), line=lineno)
    if isinstance(exc, RuntimeError) and DEVICE_MISMATCH in text:
        return "failed", _unmoved_batch(text, at)
    error = error[:300]
    return "error", RAISED.format(error=error, where=at)
