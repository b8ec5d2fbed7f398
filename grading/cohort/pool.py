"""The jobs of `tocha grade`: N long-lived grading processes (grading/cohort/job.py), each fed one
student at a time and watched from here. This process runs no submission code and computes
nothing; it only hands out work, keeps time and notices when a job dies.

A job that dies while grading (a submission that kills its worker's parent) or overruns its
student's whole budget (every module's, which the isolation inside the job enforces already:
this is the last line of defence) is killed with its process group and replaced; its student is
tried once more, then gets a row saying what happened and no points, and the class goes on. A
job that cannot start (the check files do not collect, no isolation on this
platform) stops the run: that is the kit's problem, never a student's.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grading.processes import stop
from grading.text import Text

STARTUP_S = 600.0          # importing torch and collecting the checks, on a slow, busy machine
MARGIN_S = 60.0            # past a student's budget before its job is killed
LOG_TAIL = 3000

DIED = Text("not graded: the grading process ended ({how}) while grading this student (log: {log})",
            "não avaliado: o processo de avaliação terminou ({how}) durante a avaliação deste aluno (log: {log})")
OVERRAN = Text("not graded: grading took longer than {seconds:.0f} s, the most all checks may take (log: {log})",
               "não avaliado: a avaliação levou mais de {seconds:.0f} s, o máximo que todas as verificações "
               "podem levar (log: {log})")


class Fatal(Exception):
    """The jobs cannot grade at all."""


@dataclass
class Outcome:
    student: str
    records: list[dict] | None      # None: the student could not be graded
    elapsed_s: float = 0.0
    failure: Text | None = None
    containment: dict | None = None  # what the kernel hid from the student's code (results.gradescope)


class _Job:
    def __init__(self, index: int, argv: list[str], env: dict, cwd: Path, log: Path):
        self.index, self.log = index, log
        rfd, wfd = os.pipe()
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "grading.cohort.job", str(wfd), *argv],
                                         stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                         pass_fds=(wfd,), start_new_session=True, cwd=cwd, env=env)
        os.close(wfd)
        self.fd, self.buffer = rfd, bytearray()
        self.ready, self.budget = False, 0.0
        self.current: tuple[str, str] | None = None
        self.deadline = time.monotonic() + STARTUP_S

    def send(self, student: str, root: str) -> None:
        self.current = (student, root)
        self.deadline = time.monotonic() + self.budget + MARGIN_S
        try:
            self.proc.stdin.write((json.dumps({"student": student, "root": root}) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except OSError:
            pass  # the job has just died: its closed channel says so next

    def read(self) -> list[dict] | None:
        """The messages that arrived (None once the job has closed its end)."""
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            return None
        self.buffer += chunk
        messages = []
        while (cut := self.buffer.find(b"\n")) >= 0:
            line, self.buffer = bytes(self.buffer[:cut]), self.buffer[cut + 1:]
            try:
                message = json.loads(line.decode("utf-8"))
            except ValueError:
                return None  # only the job writes here; garbage means it is broken
            if isinstance(message, dict):
                messages.append(message)
        return messages

    def how_it_ended(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        return f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"

    def log_tail(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:]
        except OSError:
            return ""

    def kill(self) -> None:
        stop(self.proc)

    def close(self, wait_s: float = 5.0) -> None:
        try:
            self.proc.stdin.close()  # the job's loop ends at the end of its requests
        except OSError:
            pass
        try:
            self.proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        os.close(self.fd)


class Pool:
    def __init__(self, jobs: int, argv: list[str], env: dict, cwd: Path, log_dir: Path):
        self.size, self.argv, self.env, self.cwd, self.log_dir = jobs, argv, env, cwd, log_dir
        self.started = 0

    def _start(self) -> _Job:
        self.started += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return _Job(self.started, self.argv, self.env, self.cwd, self.log_dir / f"job-{self.started}.log")

    def run(self, work: list[tuple[str, str]], on_done: Callable[[Outcome], None],
            tick: Callable[[], None] = lambda: None) -> None:
        """Grade every (student, root) of `work`; on_done gets each outcome as it comes."""
        pending = deque(work)
        tried: set[str] = set()
        jobs = [self._start() for _ in range(min(self.size, len(pending)))]
        try:
            while pending or any(j.current for j in jobs):
                for job in jobs:
                    if job.ready and job.current is None and pending:
                        job.send(*pending.popleft())
                now = time.monotonic()
                watched = [j.deadline - now for j in jobs if j.current or not j.ready]
                wait = max(0.0, min(watched + [0.5]))
                readable, _, _ = select.select([j.fd for j in jobs], [], [], wait)
                for job in list(jobs):
                    lost = None
                    if job.fd in readable:
                        messages = job.read()
                        if messages is None:
                            lost = DIED.format(how=job.how_it_ended(), log=job.log)
                        for msg in messages or []:
                            if msg.get("t") == "fatal":
                                raise Fatal(f"{msg.get('why')}\n{job.log_tail()}")
                            if msg.get("t") == "ready":
                                job.ready, job.budget = True, float(msg["budget_s"])
                            elif msg.get("t") == "done" and job.current and msg.get("student") == job.current[0]:
                                job.current = None
                                on_done(Outcome(msg["student"], msg["records"], float(msg.get("elapsed_s", 0.0)),
                                                containment=msg.get("containment")))
                    if lost is None and (job.current or not job.ready) and time.monotonic() > job.deadline:
                        if not job.ready:
                            raise Fatal(f"a grading job did not start within {STARTUP_S:.0f} s\n{job.log_tail()}")
                        if job.current:
                            job.kill()
                            lost = OVERRAN.format(seconds=job.budget, log=job.log)
                    if lost is None:
                        continue
                    if not job.ready:
                        raise Fatal(f"a grading job ended before it could grade ({job.how_it_ended()})\n"
                                    f"{job.log_tail()}")
                    jobs.remove(job)
                    job.close(0.0)
                    if job.current:
                        student, root = job.current
                        if student in tried:
                            on_done(Outcome(student, None, failure=lost))
                        else:
                            tried.add(student)
                            pending.append((student, root))
                    if pending or any(j.current for j in jobs):
                        jobs.append(self._start())
                tick()
        finally:
            for job in jobs:
                job.close(0.0 if job.current else 5.0)
