"""How a check says no, and how any exception becomes a status and a student-facing message."""
from __future__ import annotations

import traceback
from pathlib import Path
from typing import NoReturn

from .text import NOT_STARTED, RAISED, RAISED_AT, TIMED_OUT, Text


class CheckFailed(AssertionError):
    """A verdict with a bilingual hint. `status` is 'failed' or 'error' (the code could not run)."""

    def __init__(self, message: Text, status: str = "failed"):
        super().__init__(message.en)
        self.message = message
        self.status = status


def fail(message: Text, status: str = "failed", **fields) -> NoReturn:
    raise CheckFailed(message.format(**fields) if fields else message, status)


def check(condition, message: Text, **fields) -> None:
    """Fail with `message` (fields filled in) unless `condition` holds."""
    if not condition:
        fail(message, **fields)


def _student_frame(tb, root: Path | None):
    """The innermost traceback frame that lies in the student's files, if any."""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if root is not None and Path(filename).resolve().is_relative_to(root):
            found = (frame, lineno)
    return found


def _display_path(filename: str, root: Path | None) -> str:
    path = Path(filename).resolve()
    return path.name if root is None else str(path.relative_to(root.parent))


def classify(exc: BaseException, tb, root: Path | None, timeout_s: float | None = None) -> tuple[str, Text]:
    """Turn what a check raised into (status, message)."""
    if isinstance(exc, CheckFailed):
        return exc.status, exc.message
    if type(exc).__name__ == "Failed" and str(exc).startswith("Timeout"):
        return "timed out", TIMED_OUT.format(seconds=timeout_s or 0)
    where = _student_frame(tb, root)
    if isinstance(exc, NotImplementedError):
        if where is not None:
            frame, _ = where
            name, file = frame.f_code.co_name, _display_path(frame.f_code.co_filename, root)
        else:
            name, file = "?", "?"
        return "not started", NOT_STARTED.format(name=name, file=file)
    error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
    at = Text("", "")
    if where is not None:
        frame, lineno = where
        at = RAISED_AT.format(file=_display_path(frame.f_code.co_filename, root), line=lineno)
    error = error[:300]
    return "error", Text(RAISED.en.format(error=error, where=at.en), RAISED.pt.format(error=error, where=at.pt))
