"""A hung function costs seconds, not minutes: the first timeout in a module teaches the rest.

Without this, a submission whose `gradients` loops forever makes every check that calls it wait
its own full timeout (ex01: 21 checks, 321 s before the student saw anything). Now, within one
check module:

1. When a check times out, the submission function that was running (the innermost frame in
   the submission's files) is remembered as *hung*, with the check where it hung and the
   seconds it had there. The hint names it.
2. A later check that calls a hung function gives that call a short time: HUNG_AGAIN_S, halved
   each time the function hangs again, never below HUNG_AGAIN_MIN_S (all times --timeout-scale;
   a call may run up to an eighth longer, as its stack is sampled).
   If the call does not return in time, the check is "timed out" with a hint naming the
   function, the check where it first hung and the seconds given now; if it returns, the check
   goes on under its own timer (a function that hangs only on some inputs loses nothing).
   Every check still runs: nothing is credited that did not run and pass.
3. After any timeout in a module, its later checks that use the default timeout get
   AFTER_TIMEOUT_S instead (the longest check of the kit's solutions on the default timeout,
   ex08's comparison with scikit-learn, takes 2.6 s on a 2-core machine; a check that declares
   its own timeout, a training run, keeps it).
   This is what keeps a module with two independently looping functions near half a minute.

A call of a hung function is seen by sampling: while a check of a module where something
already hung runs, its alarm ticks every eighth of the shortest time given (at most 50 times a second), and the handler
looks at the main thread's stack (a few microseconds; a normal run has no tick at all, and no
profiler slows the code down: sys.setprofile would make a training loop about 1.5x slower).
The state lives in the pytest process (config.stash) and in the worker running the module: the
worker reports each hung function over its channel, so a fresh worker, forked after one was
killed, inherits it; --no-isolation follows the same rules in-process. When the parent has to
kill a worker (the submission blocked SIGALRM) it does not learn which function hung: rule 3
still applies.
"""
from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from grading.engine.session import item_timeout, module_of
from grading.verdict import CheckTimeout, HungAgain, display_path, student_frame

# Two seconds is about a thousand times what any function of the kit's reference takes on the
# small inputs the checks give it (ex01-ex06: milliseconds), so a call that has not returned by
# then is hung again, not slow. Halving it at each new hang keeps a function called by 20 later
# checks at about 4 s in all, not 40 s.
HUNG_AGAIN_S = 2.0
HUNG_AGAIN_MIN_S = 0.1
AFTER_TIMEOUT_S = 10.0
TICK_MIN_S = 0.02  # the stack is looked at every eighth of the shortest time given, not more often

_monotonic = time.monotonic
_setitimer = getattr(signal, "setitimer", None)

# Each is called with a Hung when a check's timeout names a function (an isolated worker tells
# the grading process, so that a worker forked after this one was killed knows it too).
HUNG_HOOKS: list[Callable[["Hung"], None]] = []

MAX_WIRE = 1000  # characters of a name or path accepted from a worker
MAX_HUNG = 64  # hung functions remembered per module (a worker could report any number)


@dataclass
class Hung:
    """A submission function that was still running when a check's time ran out."""

    file: str        # co_filename, as the worker imported it
    line: int        # co_firstlineno
    qualname: str
    shown: str       # the file as the student reads it (root folder/module.py)
    check: str = ""  # the check where it first hung
    seconds: float = 0.0  # the time that check had
    count: int = 1   # how many checks it hung in

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.file, self.line, self.qualname)

    def wire(self) -> dict:
        return {"t": "hung", "file": self.file, "line": self.line, "qualname": self.qualname,
                "shown": self.shown, "seconds": self.seconds}


@dataclass
class _Module:
    hung: dict = field(default_factory=dict)  # key -> Hung
    timed_out: bool = False


_STATE = pytest.StashKey[dict]()


def _module_state(config, module: str) -> _Module:
    """One module of one submission: a class grading job grades many submissions in one pytest
    session, and what one student's code did must not shorten another's time."""
    states = config.stash.setdefault(_STATE, {})
    key = (str(config.getoption("--impl")), module)
    if key not in states:
        states[key] = _Module()
    return states[key]


def _state(item) -> _Module:
    return _module_state(item.config, module_of(item))


def _scale(config) -> float:
    return config.getoption("--timeout-scale")


def _declares_timeout(item) -> bool:
    explicit = item.get_closest_marker("timeout")
    marker = item.get_closest_marker("item")
    return bool((explicit is not None and explicit.args) or (marker is not None and marker.kwargs.get("timeout")))


# ---------------------------------------------------------------- the limits

def check_timeout(item) -> float | None:
    """The seconds this check gets now: its own, or less once an earlier check of its module timed out."""
    seconds = item_timeout(item)
    if seconds is None or _declares_timeout(item) or not _state(item).timed_out:
        return seconds
    return min(seconds, AFTER_TIMEOUT_S * _scale(item.config))


def again_seconds(hung: Hung, scale: float) -> float:
    """What a call of `hung` gets in a later check: HUNG_AGAIN_S, halved at each new hang."""
    return max(HUNG_AGAIN_MIN_S, HUNG_AGAIN_S / 2 ** (hung.count - 1)) * scale


# ---------------------------------------------------------------- noting what hung

def note_timeout(item, exc: BaseException | None, tb, root: Path | None) -> None:
    """A check of `item`'s module timed out: remember it, and the function that hung if one did."""
    module = _state(item)
    module.timed_out = True
    if not isinstance(exc, CheckTimeout):
        return
    if isinstance(exc, HungAgain):
        found = exc.hung
    else:
        where = student_frame(tb, root)
        if where is None or where[0].f_code.co_name == "<module>":
            return
        code = where[0].f_code
        found = Hung(code.co_filename, code.co_firstlineno, getattr(code, "co_qualname", code.co_name),
                     display_path(code.co_filename, root), seconds=exc.seconds)
    remember(item.config, item, found)
    for hook in list(HUNG_HOOKS):
        hook(found)


def module_timed_out(config, module: str) -> None:
    """A check of `module` timed out (seen by the grading process, which may have killed its worker)."""
    _module_state(config, module).timed_out = True


def remember(config, item, found: Hung) -> Hung:
    """Add `found` to its module's hung functions (or count one more hang of a known one)."""
    module = _module_state(config, module_of(item))
    module.timed_out = True
    known = module.hung.get(found.key)
    if known is None and len(module.hung) >= MAX_HUNG:
        return found
    if known is None:
        known = module.hung[found.key] = Hung(found.file, found.line, found.qualname, found.shown,
                                              check=item.name, seconds=found.seconds)
    else:
        known.count += 1
    return known


def from_wire(msg: dict) -> Hung:
    """A worker's report of a hung function, checked (ValueError when malformed)."""
    file, line, qualname, shown, seconds = (msg.get(k) for k in ("file", "line", "qualname", "shown", "seconds"))
    if not (isinstance(file, str) and isinstance(qualname, str) and isinstance(shown, str)
            and 0 < len(file) <= MAX_WIRE and 0 < len(qualname) <= MAX_WIRE and len(shown) <= MAX_WIRE):
        raise ValueError("a malformed hung function")
    if not isinstance(line, int) or isinstance(line, bool) or not 0 <= line < 10**7:
        raise ValueError("a malformed hung function")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError("a malformed hung function")
    return Hung(file, line, qualname, shown, seconds=float(seconds))


# ---------------------------------------------------------------- the time limit of one check

class _Watch:
    """Which calls of hung functions have been running, seen by sampling the main thread's stack
    at each tick of the check's alarm (no cost between ticks, and none at all in a module where
    nothing hung). A call seen at two ticks is the same frame object: the watch keeps a reference
    to it, so a later call cannot reuse it."""

    def __init__(self, hung: dict, scale: float):
        self.hung, self.scale = hung, scale
        self.files = {key[0] for key in hung}
        self.running: dict = {}  # frame -> (Hung, seconds given, when first seen)
        self.tick = max(TICK_MIN_S, min(again_seconds(h, scale) for h in hung.values()) / 8)

    def overdue(self, frame, now: float):
        """(Hung, seconds given) for the innermost call that has run past its time, else None;
        forgets the calls that have returned."""
        seen = {}
        f = frame
        while f is not None:
            code = f.f_code
            if code.co_filename in self.files:
                found = self.hung.get((code.co_filename, code.co_firstlineno, getattr(code, "co_qualname", code.co_name)))
                if found is not None:
                    seen[f] = self.running.get(f) or (found, again_seconds(found, self.scale), now)
            f = f.f_back
        self.running = seen
        for f, (found, given, since) in seen.items():  # innermost first
            if now - since >= given:
                self.running[f] = (found, given, now)  # not again at the next tick, should the check catch it
                return found, given
        return None


@contextlib.contextmanager
def limit(item):
    """Run a check of `item` under its time limit, with short limits for the module's hung functions."""
    module = _state(item)
    with limited(check_timeout(item), dict(module.hung), _scale(item.config)):
        yield


@contextlib.contextmanager
def limited(seconds: float | None, hung: dict, scale: float):
    """CheckTimeout after `seconds` in this (main) thread; HungAgain when a call of one of `hung`
    (key -> Hung) has run for its again_seconds."""
    if not seconds or _setitimer is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    watch = _Watch(hung, scale) if hung else None
    deadline = _monotonic() + seconds

    def next_alarm(now: float) -> float:
        left = max(deadline - now, 1e-3)
        return min(left, watch.tick) if watch is not None else left

    def on_alarm(signum, frame):
        now = _monotonic()
        if now >= deadline - 1e-3:
            raise CheckTimeout(seconds)
        _setitimer(signal.ITIMER_REAL, next_alarm(now))  # first: a check that catches what follows is still timed
        if watch is not None:
            overdue = watch.overdue(frame, now)
            if overdue is not None:
                raise HungAgain(*overdue)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    _setitimer(signal.ITIMER_REAL, next_alarm(_monotonic()))
    try:
        yield
    finally:
        _setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if watch is not None:
            watch.running.clear()
