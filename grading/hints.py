"""Reference calls that only choose a hint, for the checks.

A check that has already failed may run the reference on inputs that reproduce a mistake, to
say which mistake it was. Such calls are marked (`hint_only()`, `for_hint`): live they simply
run; in a replay of recorded answers (grading/snapshots/) a call nobody recorded raises
HintUnavailable, and the check gives its generic hint instead of an error of its own.
"""
from __future__ import annotations

import contextlib


class HintUnavailable(Exception):
    """A reference call made only to choose a hint that the recorded answers hold no answer for."""


__unwatched__ = ("_Depth",)  # its count changes on every diagnostic call (grading/sandbox/writes.py)


class _Depth:
    value = 0


def active() -> bool:
    """Whether the reference call being made now only chooses a hint."""
    return _Depth.value > 0


def reset() -> None:
    """Called before every check."""
    _Depth.value = 0


@contextlib.contextmanager
def hint_only():
    """Reference calls made inside only choose a hint: the verdict is already decided."""
    _Depth.value += 1
    try:
        yield
    finally:
        _Depth.value -= 1


def for_hint(fn, *args, **kwargs):
    """`fn(*args, **kwargs)` under `hint_only()`: its result, or None where a replay has no answer."""
    with hint_only():
        try:
            return fn(*args, **kwargs)
        except HintUnavailable:
            return None
