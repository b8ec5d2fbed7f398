"""grading/processes.py: a child the grader starts never outlives the command that started it."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import KIT

PARENT = """
import sys, threading
from grading import processes

processes.stop_children_on_terminate()
child = [sys.executable, "-c", "import os, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)".replace("sys.argv[1]", repr(sys.argv[1]))]
worker = threading.Thread(target=processes.run, args=(child,), kwargs={"timeout": 300}, daemon=True)
worker.start()  # waited on in a thread, as `tocha snapshot` waits on its recording runs
worker.join()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purpose
        return f.read().split(") ")[1][0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_terminated_command_takes_its_children_along(tmp_path: Path):
    pidfile = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(pidfile)], cwd=KIT,
                              env={**os.environ, "PYTHONPATH": str(KIT)})
    try:
        deadline = time.monotonic() + 30
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pidfile.read_text())
        assert _alive(child)
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=20) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the child outlived the command that started it"
    finally:
        parent.kill()
