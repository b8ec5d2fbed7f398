"""The kernel's part of the containment (grading/sandbox/namespaces.py): a worker's secret folders
are empty to it by any route, the rest of the machine is as it was, and the grading process sees
the worker end exactly as the checks' process ended."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import KIT
from grading.sandbox import namespaces

UNHIDDEN = namespaces.probe()
needs_namespaces = pytest.mark.skipif(UNHIDDEN is not None, reason=f"the kernel cannot hide folders here: {UNHIDDEN}")


def _in_hidden_child(folders, body) -> tuple[int, dict | None]:
    """Fork; the child hides `folders` and runs `body()` (a dict back), then exits 0.
    Returns (the wait status the parent sees, the dict or None)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 0
        try:
            hidden, why = namespaces.hide(folders, close_fds=(write,))
            os.write(write, json.dumps({"hidden": hidden, "why": why, **body()}).encode())
        except BaseException as exc:
            os.write(write, json.dumps({"error": repr(exc)}).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.close(read)
    _, status = os.waitpid(pid, 0)
    return status, (json.loads(data) if data else None)


@needs_namespaces
def test_a_hidden_folder_is_empty_by_every_route_and_nothing_else_changes(tmp_path):
    import torch

    secret = tmp_path / "reference"
    secret.mkdir()
    (secret / "answers.py").write_text("ANSWER = 42\n")
    (tmp_path / "public.txt").write_text("public")
    before = {"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd()}

    def body():
        import ctypes

        routes = [str(secret / "answers.py")] + [f"/proc/{p}/root{secret}/answers.py"
                                                  for p in os.listdir("/proc") if p.isdigit()]
        readable = []
        for path in routes:
            try:
                torch.from_file(path, shared=False, size=12, dtype=torch.uint8)
                readable.append(path)
            except RuntimeError:
                pass
        written = tmp_path / "written-after.txt"  # a file made later next to the hidden folder
        written.write_text("mine")
        libc = ctypes.CDLL(None, use_errno=True)
        return {"listing": os.listdir(secret), "readable": readable, "public": (tmp_path / "public.txt").read_text(),
                "written": written.read_text(), "uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(),
                "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
                "umount": libc.umount2(os.fsencode(secret), 2), "remount": libc.mount(None, os.fsencode(secret), None,
                                                                                     32 | 4096, None)}

    status, seen = _in_hidden_child([secret], body)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert seen["hidden"] and seen["why"] is None, seen
    assert seen["listing"] == [] and seen["readable"] == [], seen
    assert seen["public"] == "public" and seen["written"] == "mine"
    assert {k: seen[k] for k in before} == before
    assert seen["pids"] == ["1", "2"], "another process's /proc/<pid>/root leads back to the real folder"
    assert seen["umount"] != 0 and seen["remount"] != 0, "the cover can be taken off from inside"
    assert (secret / "answers.py").read_text() == "ANSWER = 42\n", "hidden for the worker only"


@needs_namespaces
@pytest.mark.parametrize("end, expected", [
    ("exit 3", 3),
    ("SIGKILL", -signal.SIGKILL),
    ("abort", -signal.SIGABRT),
    ("SIGSEGV", -signal.SIGSEGV),
])
def test_the_grading_process_sees_the_worker_end_as_the_checks_process_did(tmp_path, end, expected):
    def body():
        import faulthandler

        faulthandler.disable()  # pytest's would print this process's stack
        if end == "exit 3":
            os._exit(3)
        if end == "abort":
            os.abort()
        os.kill(os.getpid(), getattr(signal, end))
        return {}

    status, _seen = _in_hidden_child([tmp_path], body)
    assert os.waitstatus_to_exitcode(status) == expected


def test_where_the_machine_refuses_nothing_changes(monkeypatch, tmp_path):
    monkeypatch.setattr(namespaces, "available", lambda: "not Linux")
    pid = os.getpid()
    assert namespaces.hide([tmp_path]) == (False, "not Linux")
    assert os.getpid() == pid and os.listdir(tmp_path) == []
    assert namespaces.hide([tmp_path / "missing"]) == (False, None)


def test_the_results_say_whether_the_graders_files_were_hidden(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "checks/test_ex01_autograd.py", "--impl", "solutions",
                           "-p", "no:cacheprovider", "-q", "--score-json", str(out)],
                          cwd=KIT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TOCHA_LANG": "en"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    containment = json.loads(out.read_text(encoding="utf-8"))["extra_data"]["containment"]
    assert containment == {"files_hidden": UNHIDDEN is None, "why": UNHIDDEN}
