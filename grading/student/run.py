"""Running the checks for the student's commands: always in a `python -m pytest` subprocess (student
code is never imported in this process), results read back from the plugin's results file and
cached (grading/engine/cache.py).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grading.curriculum import ItemResult, ModuleResult, current_kit, discover, parse_results
from grading.data import resolve_root
from grading.engine.cache import fingerprint, load_cache, store
from grading.processes import stop
from grading.text import Text, default_lang

RUN_TIMEOUT_S = 1800
CHECKS_DID_NOT_RUN = Text(
    "the checks could not run (pytest exit status {code}). Last lines:\n{tail}",
    "as verificações não puderam rodar (o pytest terminou com o código {code}). Últimas linhas:\n{tail}",
)


_FILE_LINE = re.compile(r"checks[/\\]test_(\w+)\.py")
GRADING = Text("grading {impl} with the checks of {kit}", "avaliando {impl} com as verificações de {kit}")
GRADING_INSTALLED = Text(
    "grading {impl} with the checks of the installed kit {kit} (no folder with checks/ and exercises/ in {here} "
    "or above it)",
    "avaliando {impl} com as verificações do kit instalado {kit} (nenhuma pasta com checks/ e exercises/ em {here} "
    "nem acima dela)")


def _lang(args) -> str:
    return getattr(args, "lang", None) or default_lang()


@dataclass
class Where:
    """What a student command grades: the kit it found (or the installed one) and the folder."""
    kit: Path
    found: bool
    impl: Path
    lang: str

    @classmethod
    def of(cls, args) -> "Where":
        kit, found = current_kit()
        return cls(kit, found, resolve_root(args.impl, kit), _lang(args))

    @property
    def curriculum(self) -> dict[str, dict[str, int]]:
        return discover(self.kit / "checks")

    def line(self) -> str:
        """The line that says which folder is graded with which kit's checks."""
        text = GRADING if self.found else GRADING_INSTALLED
        return text.format(impl=self.impl, kit=self.kit, here=Path.cwd()).get(self.lang)



def run_checks(modules: list[str], impl: Path, lang: str, curriculum, kit: Path, progress=None,
               reference: str = "solutions", timeout: float = RUN_TIMEOUT_S) -> dict[str, ModuleResult]:
    """Run the checks of `modules` in one pytest subprocess; one ModuleResult per module."""
    if not modules:
        return {}
    fd, out = tempfile.mkstemp(prefix="tocha-score-", suffix=".json")
    os.close(fd)
    os.unlink(out)
    cmd = [sys.executable, "-m", "pytest", *[str(Path(kit) / "checks" / f"test_{m}.py") for m in modules],
           "--impl", str(impl), "--reference", reference, "--lang", lang, "--score-json", out,
           "--rootdir", str(kit), "-p", "no:cacheprovider", "--color=no"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOCHA_LANG": lang}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=kit, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    chunks: list[str] = []

    def reader():
        seen = set()
        buffer = ""
        for raw in iter(lambda: proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096), b""):
            text = raw.decode("utf-8", "replace")
            chunks.append(text)
            buffer = (buffer + text)[-400:]
            for found in _FILE_LINE.findall(buffer):
                if found not in seen and found in modules:
                    seen.add(found)
                    if progress:
                        progress(found)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
    finally:
        if proc.poll() is None:  # KeyboardInterrupt or anything else: leave nothing behind
            stop(proc)
    thread.join(timeout=5)
    elapsed = time.perf_counter() - started
    output = "".join(chunks)
    payload = None
    try:
        payload = json.loads(Path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        payload = None
    finally:
        Path(out).unlink(missing_ok=True)
    if payload is None:
        if proc.returncode == 5:  # nothing collected: every item of these modules is skipped
            payload = {"tests": []}
        elif len(modules) > 1:  # find which module broke the run
            results = {}
            for m in modules:
                results.update(run_checks([m], impl, lang, curriculum, kit, progress, reference, timeout))
            return results
        else:
            tail = "\n".join(output.strip().splitlines()[-12:])
            broken = parse_results({"tests": []}, lang, curriculum, modules)
            problem = CHECKS_DID_NOT_RUN.format(code=proc.returncode, tail=tail)
            for result in broken.values():
                result.problems = problem.as_dict()
                result.localize(lang)
            return broken
    results = parse_results(payload, lang, curriculum, modules)
    for result in results.values():
        result.seconds = round(elapsed / len(modules), 2)
    return results


def results_for(modules: list[str], impl: Path, lang: str, curriculum, kit: Path, *, fresh: bool = False,
                cached_only: bool = False, progress=None, reference: str = "solutions"):
    """ModuleResults for `modules` (cached where nothing changed) and the list of modules re-run."""
    ref = resolve_root(reference, kit)
    cached = {} if fresh else load_cache(impl, lang)
    have: dict[str, ModuleResult] = {}
    stale = []
    for module in modules:
        print_ = fingerprint(module, impl, ref, kit)
        hit = cached.get(module)
        if hit is not None and (cached_only or hit.fingerprint == print_):
            have[module] = hit
        elif cached_only:
            continue
        else:
            stale.append((module, print_))
    if stale:
        ran = run_checks([m for m, _ in stale], impl, lang, curriculum, kit, progress, reference)
        store(ran, dict(stale), impl)
        have.update(ran)
    return [have[m] for m in modules if m in have], [m for m, _ in stale]


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def next_item(results: list[ModuleResult], impl: Path | None = None) -> ItemResult | None:
    """The item the student is working on: the first started item that does not pass yet in the
    module saved last (else the latest such module in the curriculum); with none started, the
    first item not done. An older module left failing does not pull the student back."""
    started = [(position, module) for position, module in enumerate(results)
               if any(i.status in ("failed", "error", "timed out", "cheated") for i in module.items)]
    if started:
        _, module = max(started, key=lambda pair: (
            _mtime(impl / f"{pair[1].module}.py") if impl is not None else 0, pair[0]))
        return next(i for i in module.items if i.status in ("failed", "error", "timed out", "cheated"))
    return next((item for module in results for item in module.items if not item.done), None)


