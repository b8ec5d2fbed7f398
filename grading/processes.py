"""Child processes the grader starts: each in a session of its own, so that stopping one stops
everything it started too (a submission's DataLoader workers, a pytest run's workers)."""
from __future__ import annotations

import os
import signal
import subprocess


def kill_group(proc: subprocess.Popen) -> None:
    """Kill `proc` and its process group (it was started with start_new_session=True), then reap it."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()
    proc.wait()
