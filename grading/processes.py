"""Child processes the grader starts: each in a session of its own, so that stopping one stops
everything it started too (the workers a pytest run forks, a submission's DataLoader workers)."""
from __future__ import annotations

import os
import signal
import subprocess

# Taken at import, before any submission's code could replace them.
_killpg, _kill = getattr(os, "killpg", None), os.kill
_RUNNING: set = set()  # children started by run() that have not ended


def kill_group(pid: int) -> None:
    """SIGKILL the process group `pid` leads (it was started in a session of its own) and `pid`
    itself; a group or process that is already gone is no error."""
    for kill in (_killpg, _kill):
        if kill is None:  # no process groups (Windows)
            continue
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def stop(proc: subprocess.Popen) -> None:
    """Kill `proc` and its process group unless it has ended, then reap it."""
    if proc.poll() is None:
        kill_group(proc.pid)
    proc.wait()


def run(cmd: list[str], *, timeout: float, **popen) -> subprocess.CompletedProcess:
    """`subprocess.run(cmd, capture_output=True, text=True, timeout=...)`, but in a session of its
    own: at the timeout (or an interrupt) the whole group is killed, not only `cmd`, so no worker
    it forked keeps running. Raises subprocess.TimeoutExpired as subprocess.run does."""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, **popen) as proc:
        _RUNNING.add(proc.pid)
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            stop(proc)
            raise
        finally:
            _RUNNING.discard(proc.pid)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def stop_children_on_terminate() -> None:
    """Make a SIGTERM (a CI step's timeout, `timeout`) end the children run() started, wherever they
    are waited on: Python's default SIGTERM ends this process without running any `finally`, and
    the children, in sessions of their own, would go on (a killed `tocha snapshot` left its
    recording runs busy). Call from the main thread."""
    def terminate(signum, _frame):
        for pid in list(_RUNNING):
            kill_group(pid)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
