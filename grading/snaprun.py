"""`tocha snapshot`: record the reference's answers into checks/snapshots/ (see grading/snapshot.py).

Each check module runs once per root, the solutions first and then, unless `--no-mutants`, every
submission in tests/submissions/<module>/ dropped into a copy of the solutions (their mistakes
make the checks ask the reference what their hints need). Modules run in parallel processes.
The result is checked at once: the solutions graded against the new snapshots must get every
point, or nothing is written.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from . import snapshot
from .data import KIT_ROOT


def check_modules(kit: Path) -> list[str]:
    return sorted(p.stem.removeprefix("test_") for p in (kit / "checks").glob("test_*.py"))


def header(kit: Path, module: str, names: dict) -> dict:
    solutions = {m: snapshot.sha256(kit / "solutions" / f"{m}.py") for m in sorted(names)
                 if (kit / "solutions" / f"{m}.py").is_file()}
    return {"format": snapshot.FORMAT, "module": module, "check_sha256": snapshot.sha256(kit / "checks" / f"test_{module}.py"),
            "solutions": solutions, "torch": torch.__version__.split("+")[0], "device": "cpu", "seed_offset": 0}


def stale(kit: Path, modules: list[str] | None = None) -> list[str]:
    """Check modules whose snapshot is missing or was recorded from other files."""
    out = []
    for module in modules or check_modules(kit):
        path = snapshot.path_for(kit / "checks" / snapshot.FOLDER, module)
        if not path.is_file():
            out.append(f"{module}: no {path.relative_to(kit)}")
            continue
        head = torch.load(path, weights_only=True)["header"]
        if head.get("format") != snapshot.FORMAT:
            out.append(f"{module}: format {head.get('format')}")
        elif head["check_sha256"] != snapshot.sha256(kit / "checks" / f"test_{module}.py"):
            out.append(f"{module}: checks/test_{module}.py changed")
        else:
            for name, digest in head["solutions"].items():
                source = kit / "solutions" / f"{name}.py"
                if source.is_file() and snapshot.sha256(source) != digest:
                    out.append(f"{module}: solutions/{name}.py changed")
    return out


def _batch(kit: Path, out: Path, module: str, roots: list[str], extra: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "grading.batch", str(out), f"checks/test_{module}.py", *roots, "--", *extra]
    env = {**os.environ, "TOCHA_LANG": "en"}
    return subprocess.run(cmd, cwd=kit, capture_output=True, text=True, env=env, timeout=3600)


def _mutant_roots(kit: Path, module: str, work: Path) -> list[str]:
    roots = []
    for path in sorted((kit / "tests" / "submissions" / module).glob("*.py")):
        root = work / "roots" / module / path.stem
        shutil.copytree(kit / "solutions", root, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(path, root / f"{module}.py")
        roots.append(str(root))
    return roots


def record_module(kit: Path, module: str, work: Path, mutants: bool) -> dict:
    """Record one module into work/fragments, merge, verify on the solutions; the body and a report."""
    fragments = work / "fragments"
    roots = [str(kit / "solutions")] + (_mutant_roots(kit, module, work) if mutants else [])
    proc = _batch(kit, work / f"{module}-record.json", module, roots,
                  ["--reference", "solutions", "--record-snapshots", str(fragments), "--seed-offset", "0"])
    if proc.returncode != 0:
        raise RuntimeError(f"{module}: recording failed\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    parts = [torch.load(p, weights_only=True) for p in sorted((fragments / module).glob("*.pt"))]
    body, stats = snapshot.merge(parts)
    body["header"] = header(kit, module, body["names"])
    return {"body": body, "stats": dict(stats), "roots": len(roots)}


def record(kit: Path, modules: list[str], mutants: bool = True, jobs: int | None = None, log=print) -> int:
    folder = kit / "checks" / snapshot.FOLDER
    with tempfile.TemporaryDirectory(prefix="tocha-snapshot-") as tmp:
        work = Path(tmp)
        staged = work / "staged"
        staged.mkdir()

        def one(module):
            result = record_module(kit, module, work / module, mutants)
            torch.save(result["body"], snapshot.path_for(staged, module))
            return module, result

        failures = 0
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
            done = list(pool.map(one, modules))
        for module, result in done:
            payload = _verify_staged(kit, module, staged, work / module)
            score, possible = payload.get("score"), sum(t["max_score"] for t in payload.get("tests", []))
            size = snapshot.path_for(staged, module).stat().st_size
            stats = result["stats"]
            log(f"{module}: {result['roots']} roots, {stats.get('calls', 0)} calls, "
                f"{stats.get('conflicts', 0)} conflicts, {size / 1024:.0f} KiB, solutions {score:g}/{possible:g}")
            if score != possible or stats.get("conflicts"):
                failures += 1
                for test in payload.get("tests", []):
                    if test["status"] != "passed":
                        log(f"  {test['name']}: {test['output'][:300]}")
        if failures:
            log(f"{failures} module(s) do not replay the solutions exactly: nothing written.")
            return 1
        folder.mkdir(exist_ok=True)
        for module, _ in done:
            shutil.copy(snapshot.path_for(staged, module), snapshot.path_for(folder, module))
            log(f"wrote {snapshot.path_for(folder, module).relative_to(kit)}")
    return 0


def _verify_staged(kit: Path, module: str, staged: Path, work: Path) -> dict:
    """Grade the solutions with the staged snapshot placed next to a private copy of the check file."""
    copy_kit = work / "kit"
    (copy_kit / "checks" / snapshot.FOLDER).mkdir(parents=True, exist_ok=True)
    shutil.copy(kit / "checks" / f"test_{module}.py", copy_kit / "checks")
    shutil.copy(snapshot.path_for(staged, module), copy_kit / "checks" / snapshot.FOLDER)
    out = work / "verify.json"
    cmd = [sys.executable, "-m", "grading.batch", str(out), f"{copy_kit}/checks/test_{module}.py", str(kit / "solutions"),
           "--", "--reference", "snapshots", "--rootdir", str(copy_kit)]
    proc = subprocess.run(cmd, cwd=kit, capture_output=True, text=True, env={**os.environ, "TOCHA_LANG": "en"},
                          timeout=3600)
    if not out.exists():
        raise RuntimeError(f"{module}: verification did not run\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return json.loads(out.read_text(encoding="utf-8"))[str(kit / "solutions")]


def _run(args) -> int:
    kit = Path(args.root).resolve()
    modules = [m for m in args.modules.split(",") if m] if args.modules else check_modules(kit)
    if args.check:
        problems = stale(kit, modules)
        for line in problems:
            print(f"stale: {line}")
        if problems:
            print("checks/snapshots/ is out of date: run `tocha snapshot`.")
        return 1 if problems else 0
    if not (kit / "solutions").is_dir():
        print("tocha snapshot records from solutions/, which this folder does not have.")
        return 2
    return record(kit, modules, mutants=not args.no_mutants, jobs=args.jobs)


def add_command(sub) -> None:
    p = sub.add_parser("snapshot", help="record the reference's answers into checks/snapshots/ (for releases)")
    p.add_argument("--check", action="store_true", help="only report missing or stale snapshots (exit 1 if any)")
    p.add_argument("--modules", default="", help="comma-separated check modules (default: all)")
    p.add_argument("--no-mutants", action="store_true", help="record from the solutions only")
    p.add_argument("--jobs", type=int, default=None, help="modules recorded at once (default: CPU count)")
    p.add_argument("--root", default=str(KIT_ROOT), help="kit folder (default: this checkout)")
    p.set_defaults(run=_run)
