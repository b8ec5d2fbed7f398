"""How a check says no: the verdict exceptions, the statuses, and where in a traceback the submission is.

Turning any exception into a status and a message is grading/engine/outcome.py's job."""
from __future__ import annotations

import functools
import traceback
from pathlib import Path
from typing import NoReturn

from grading.text import Text

STATUSES = ("passed", "failed", "not started", "timed out", "error", "skipped", "cheated")
# What a check (never the submission) may declare with CheckFailed.
FAILURE_STATUSES = ("failed", "error", "timed out", "not started")
# A process may write at most this much into one file (the captured output included).
OUTPUT_LIMIT = 16 * 2**20


class CheckFailed(AssertionError):
    """A verdict with a bilingual hint. `status` is 'failed' or 'error' (the code could not run)."""

    def __init__(self, message: Text, status: str = "failed"):
        super().__init__(message.en)
        self.message = message
        self.status = status


class CheckTimeout(BaseException):
    """Raised inside a check when its time is up (a BaseException: `except Exception` can't hide it)."""

    def __init__(self, seconds: float):
        super().__init__(f"Timeout >{seconds:.1f}s")
        self.seconds = seconds


class HungAgain(CheckTimeout):
    """A function that already hung in an earlier check did not return within its short time
    (grading/engine/hung.py): `hung` says which, and where it first hung."""

    def __init__(self, hung, seconds: float):
        super().__init__(seconds)
        self.hung = hung


def fail(message: Text, status: str = "failed", **fields) -> NoReturn:
    raise CheckFailed(message.format(**fields) if fields else message, status)


def check(condition, message: Text, **fields) -> None:
    """Fail with `message` (fields filled in) unless `condition` holds."""
    if not condition:
        fail(message, **fields)


CASE = Text("case {case}: ", "caso {case}: ")


def names_case(*params: str):
    """Decorates a parametrized check whose hints do not all say which case they are about: every
    failure then starts with the case. The cases of one check are all-or-nothing (see
    docs/grading-policy.md), and the score shows only the hint, so the hint must name the case."""
    def decorate(check_fn):
        @functools.wraps(check_fn)
        def wrapper(*args, **kwargs):
            try:
                return check_fn(*args, **kwargs)
            except CheckFailed as failed:
                label = ", ".join(str(kwargs[p]) if p == "case" else f"{p}={kwargs[p]}" for p in params)
                failed.message = CASE.format(case=label) + failed.message
                raise
        return wrapper
    return decorate


@functools.lru_cache(maxsize=4096)
def resolved_path(filename: str) -> Path | None:
    try:
        return Path(filename).resolve()
    except (OSError, ValueError, RuntimeError):
        return None


def in_root(filename: str, root: Path | None) -> bool:
    path = resolved_path(filename)
    return root is not None and path is not None and path.is_relative_to(root)


def student_frame(tb, root: Path | None):
    """The innermost traceback frame that lies in the student's files, if any."""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        if in_root(frame.f_code.co_filename, root):
            found = (frame, lineno)
    return found


def display_path(filename: str, root: Path | None) -> str:
    path = resolved_path(filename) or Path(filename)
    try:
        return path.name if root is None else str(path.relative_to(root.parent))
    except ValueError:
        return path.name
