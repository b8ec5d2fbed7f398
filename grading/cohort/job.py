"""One long-lived grading job of `tocha grade`: a pytest session that has imported torch and the
check files once, then grades one student after another on request.

Why: a class must not pay `import torch` and pytest's collection per student. The job is the
same pytest process `pytest checks` would be; for each student it points `--impl` at the
student's root and runs the plugin's own isolated session again (grading/engine/isolation.py forks a
fresh worker per check module from this process, so each (student, module) gets a clean child
that starts with everything imported, and no student code ever runs here).

    python -m grading.cohort.job REPLY_FD CHECK_FILE... [PYTEST_ARG...]

Requests arrive on stdin, one JSON object a line: {"student": id, "root": folder}. Replies go
to REPLY_FD, one JSON object a line: {"t": "ready", "budget_s": seconds one student may take},
then per request {"t": "done", "student": id, "records": [...], "elapsed_s": s}, or {"t":
"fatal", "why": text} when the job cannot grade at all. Workers never see either channel: they
are closed in every forked child (os.register_at_fork), so a submission can neither read the
next request nor forge a reply.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict

import pytest

IMPORT_ALLOWANCE_S = 10.0  # per module, past its checks' budget: worker start and imports


class ClassLoop:
    """Registered last (from pytest_configure), so its tryfirst runtestloop runs before the
    tocha plugin's and calls that one once per student."""

    def __init__(self, requests, reply_fd: int):
        self.requests, self.reply_fd, self.ran = requests, reply_fd, False

    def reply(self, message: dict) -> None:
        data = (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(self.reply_fd, view):]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        from grading.engine import isolation, plugin, session as shared

        self.ran = True
        config = session.config
        why = isolation.unavailable(config)
        if session.testsfailed:
            why = f"{session.testsfailed} check file(s) could not be collected"
        if why is None and not any(i.get_closest_marker("item") for i in session.items):
            why = "no graded checks were collected"
        if why is not None:
            self.reply({"t": "fatal", "why": why})
            return True
        isolation.warm_imports()  # once here, not in every fork per student and module
        self.reply({"t": "ready", "budget_s": self.student_budget(session)})
        records = shared.records_of(config)
        for line in self.requests:
            request = json.loads(line)
            config.option.impl = request["root"]
            records.clear()
            config.stash[shared.META].pop("containment", None)
            session.testsfailed = 0  # the plugin's loop declines to run after failures it did not see
            started = time.perf_counter()
            plugin.pytest_runtestloop(session)
            self.reply({"t": "done", "student": request["student"], "records": [asdict(r) for r in records],
                        "elapsed_s": round(time.perf_counter() - started, 3),
                        "containment": shared.containment_of(config)})
        return True

    @staticmethod
    def student_budget(session) -> float:
        """The longest one student can take: every module's budget plus starting its workers."""
        from grading.engine import isolation, session as shared

        timeouts: dict[str, list[float]] = {}
        for item in session.items:
            if item.get_closest_marker("item") is not None:
                timeouts.setdefault(str(item.path), []).append(shared.item_timeout(item) or shared.DEFAULT_TIMEOUT_S)
        return sum(shared.module_budget(session.config, t) + isolation.GRACE_S + IMPORT_ALLOWANCE_S
                   for t in timeouts.values())


class _Registrar:
    def __init__(self, loop: ClassLoop):
        self.loop = loop

    def pytest_configure(self, config):
        config.pluginmanager.register(self.loop, "tocha-class-loop")


def _close_channels_in_children(*fds: int) -> None:
    """Every process forked from here (the check workers) loses both channels."""
    def after_in_child():
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    os.register_at_fork(after_in_child=after_in_child)


def main(argv: list[str]) -> int:
    reply_fd, args = int(argv[0]), argv[1:]
    request_fd = os.dup(0)  # pytest's capture puts /dev/null on descriptor 0
    _close_channels_in_children(request_fd, reply_fd)
    loop = ClassLoop(os.fdopen(request_fd, encoding="utf-8"), reply_fd)
    # --impl is replaced per student; the first value only has to exist.
    status = pytest.main([*args, "--impl", os.devnull, "-p", "no:terminal", "-p", "no:cacheprovider"],
                         plugins=[_Registrar(loop)])
    if not loop.ran:
        loop.reply({"t": "fatal", "why": f"pytest ended before grading (exit status {int(status)})"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
