"""`tocha snapshot`: record the reference's answers into checks/snapshots/ (see grading/snapshots/calls.py).

Each check module runs once per root, the solutions first and then, unless `--no-mutants`, every
submission in tests/submissions/<module>/ dropped into a copy of the solutions (their mistakes
make the checks ask the reference what their hints need). Modules run in parallel processes.
The result is checked at once: the solutions graded against the new snapshots must get every
point, or nothing is written.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grading import processes
from grading.data import KIT_ROOT
from grading.text import Text, default_lang

VERDICTS = "tests/snapshot_verdicts.json"  # the live verdicts of the recording runs (kit only)


def check_modules(kit: Path) -> list[str]:
    return sorted(p.stem.removeprefix("test_") for p in (kit / "checks").glob("test_*.py"))


def header(kit: Path, module: str, names: dict) -> dict:
    import torch  # not at import: `tocha` commands must start without torch
    from grading.snapshots import calls as snapshot
    solutions = {m: snapshot.sha256(kit / "solutions" / f"{m}.py") for m in sorted(names)
                 if (kit / "solutions" / f"{m}.py").is_file()}
    return {"format": snapshot.FORMAT, "module": module, "check_sha256": snapshot.sha256(kit / "checks" / f"test_{module}.py"),
            "solutions": solutions, "torch": torch.__version__.split("+")[0], "versions": snapshot.library_versions(),
            "device": "cpu", "seed_offset": 0}


def stale(kit: Path, modules: list[str] | None = None) -> list[str]:
    """Check modules whose snapshot is missing or was recorded from other files."""
    import torch  # not at import: `tocha` commands must start without torch
    from grading.snapshots import calls as snapshot
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


def grade_batch(kit: Path, out: Path, check_file: str, roots: list[str], extra=(), env: dict | None = None) -> dict:
    """{root: results payload}: `python -m grading.engine.batch` run from `kit`, hints in English; `env`
    adds variables to its environment (another machine's CPU kernels, say)."""
    cmd = [sys.executable, "-m", "grading.engine.batch", str(out), check_file, *roots, "--", *extra]
    proc = processes.run(cmd, cwd=kit, timeout=3600,
                         env={**os.environ, "TOCHA_LANG": "en", **(env or {})})
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"{check_file}: grading did not run\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def submission_roots(kit: Path, module: str, files, work: Path) -> list[str]:
    """A root per submission file of `module` (the mutant suite's layout): a copy of the solutions
    with that file in the module's place."""
    roots = []
    for path in files:
        root = work / "roots" / module / path.stem
        shutil.copytree(kit / "solutions", root, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(path, root / f"{module}.py")
        roots.append(str(root))
    return roots


def _mutant_roots(kit: Path, module: str, work: Path) -> list[str]:
    return submission_roots(kit, module, sorted((kit / "tests" / "submissions" / module).glob("*.py")), work)


def item_verdicts(payload: dict) -> dict[str, list]:
    """{item: [status, first hint]} of one results payload (the worst status of the item's checks)."""
    from grading.curriculum import PRECEDENCE

    items: dict[str, list] = {}
    for test in payload.get("tests", []):
        item, status = test["tags"][1], test["tags"][2]
        seen = items.setdefault(item, ["passed", ""])
        if PRECEDENCE.index(status) < PRECEDENCE.index(seen[0]):
            seen[0] = status
        if status != "passed" and not seen[1]:
            seen[1] = test["output"]
    return items


def unrooted(text: str, root: str) -> str:
    """A hint without the folder the submission was graded in (a temporary one each run)."""
    return re.sub(r"(/[^\s/]+)+/(?=" + re.escape(root) + r"/)", "", text)


def same_verdicts(replayed: dict, recorded: dict, root: str) -> bool:
    """Whether two `item_verdicts` agree on every item's status and first hint."""
    def plain(verdicts):
        return {item: (status, unrooted(hint, root)) for item, (status, hint) in verdicts.items()}
    return plain(replayed) == plain(recorded)


def record_module(kit: Path, module: str, work: Path, mutants: bool) -> dict:
    """Record one module into work/fragments and merge; the body, counts, and the live verdicts of
    every root (the recording run is a live run: the kit's tests compare the replay with them)."""
    import torch  # not at import: `tocha` commands must start without torch
    from grading.snapshots import calls as snapshot
    fragments = work / "fragments"
    roots = [str(kit / "solutions"), str(kit / "exercises")] + (_mutant_roots(kit, module, work) if mutants else [])
    payload = grade_batch(kit, work / f"{module}-record.json", f"checks/test_{module}.py", roots,
                          ["--reference", "solutions", "--record-snapshots", str(fragments), "--seed-offset", "0"])
    live = payload[str(kit / "solutions")]
    if live.get("score") != live.get("max_score"):
        raise RuntimeError(f"{module}: the solutions do not get full marks live ({live.get('score')}/{live.get('max_score')})")
    verdicts = {Path(root).name: item_verdicts(result) for root, result in payload.items()}
    parts = [torch.load(p, weights_only=True) for p in sorted((fragments / module).glob("*.pt"))]
    body, stats = snapshot.merge(parts)
    body["header"] = header(kit, module, body["names"])
    return {"body": body, "stats": dict(stats), "roots": len(roots), "verdicts": verdicts}


RECORDED = Text("{module}: {roots} roots, {calls} answers recorded, {size} KiB; the solutions get {score}/{possible} "
                "from it",
                "{module}: {roots} raízes, {calls} respostas gravadas, {size} KiB; as soluções tiram {score}/{possible} "
                "com ele")
NOT_EXACT = Text("{count} module(s) do not replay the solutions exactly: nothing was written.",
                 "{count} módulo(s) não reproduzem as soluções exatamente: nada foi escrito.")
CONFLICTS = Text("  {count} answers differ between runs for the same call (the reference is not deterministic)",
                 "  {count} respostas diferem entre execuções para a mesma chamada (a referência não é determinística)")
WROTE = Text("wrote {path}", "{path} escrito")


def record(kit: Path, modules: list[str], mutants: bool = True, jobs: int | None = None, log=print) -> int:
    """Record, stage and verify every module in parallel; write them all only if all replay the
    solutions with full marks."""
    import torch  # not at import: `tocha` commands must start without torch
    from grading.snapshots import calls as snapshot
    lang = default_lang()
    folder = kit / "checks" / snapshot.FOLDER
    with tempfile.TemporaryDirectory(prefix="tocha-snapshot-") as tmp:
        work = Path(tmp)
        staged = work / "staged"
        staged.mkdir()

        def one(module):
            result = record_module(kit, module, work / module, mutants)
            torch.save(result["body"], snapshot.path_for(staged, module))
            result["check"] = _verify_staged(kit, module, staged, work / module)
            return module, result

        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
            done = list(pool.map(one, modules))
        failures = 0
        for module, result in done:
            payload, stats = result["check"], result["stats"]
            score, possible = payload.get("score"), payload.get("max_score")
            size = round(snapshot.path_for(staged, module).stat().st_size / 1024)
            log(RECORDED.format(module=module, roots=result["roots"], calls=stats.get("calls", 0), size=size,
                                score=score, possible=possible).get(lang))
            if stats.get("conflicts"):
                log(CONFLICTS.format(count=stats["conflicts"]).get(lang))
            if score != possible or stats.get("conflicts"):
                failures += 1
                for test in payload.get("tests", []):
                    if test["status"] != "passed":
                        log(f"  {test['name']}: {test['output'][:300]}")
        if failures:
            log(NOT_EXACT.format(count=failures).get(lang))
            return 1
        folder.mkdir(exist_ok=True)
        for module, _ in done:
            shutil.copy(snapshot.path_for(staged, module), snapshot.path_for(folder, module))
            log(WROTE.format(path=snapshot.path_for(folder, module).relative_to(kit)).get(lang))
        if (kit / "tests").is_dir():
            target = kit / VERDICTS
            known = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else {}
            known.update({module: result["verdicts"] for module, result in done})
            target.write_text(json.dumps(dict(sorted(known.items())), indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                              encoding="utf-8")
            log(WROTE.format(path=VERDICTS).get(lang))
    return 0


def _verify_staged(kit: Path, module: str, staged: Path, work: Path) -> dict:
    """Grade the solutions with the staged snapshot placed next to a private copy of the check file."""
    from grading.snapshots import calls as snapshot  # not at import: `tocha` commands must start without torch
    copy_kit = work / "kit"
    (copy_kit / "checks" / snapshot.FOLDER).mkdir(parents=True, exist_ok=True)
    shutil.copy(kit / "checks" / f"test_{module}.py", copy_kit / "checks")
    shutil.copy(snapshot.path_for(staged, module), copy_kit / "checks" / snapshot.FOLDER)
    payload = grade_batch(kit, work / "verify.json", f"{copy_kit}/checks/test_{module}.py", [str(kit / "solutions")],
                          ["--reference", "snapshots", "--rootdir", str(copy_kit)])
    return payload[str(kit / "solutions")]


STALE_LINE = Text("stale: {what}", "desatualizado: {what}")
STALE_ALL = Text("checks/snapshots/ is out of date: run `tocha snapshot`.",
                 "checks/snapshots/ está desatualizada: rode `tocha snapshot`.")
NO_SOLUTIONS = Text("tocha snapshot records from solutions/, which this folder does not have.",
                    "tocha snapshot grava a partir de solutions/, que esta pasta não tem.")


def _run(args) -> int:
    kit = Path(args.root).resolve()
    modules = [m for m in args.modules.split(",") if m] if args.modules else check_modules(kit)
    lang = default_lang()
    if args.check:
        problems = stale(kit, modules)
        for line in problems:
            print(STALE_LINE.format(what=line).get(lang))
        if problems:
            print(STALE_ALL.get(lang))
        return 1 if problems else 0
    if not (kit / "solutions").is_dir():
        print(NO_SOLUTIONS.get(lang))
        return 2
    processes.stop_children_on_terminate()
    return record(kit, modules, mutants=not args.no_mutants, jobs=args.jobs)


def add_command(sub) -> None:
    p = sub.add_parser("snapshot", help="record the reference's answers into checks/snapshots/ (for releases)")
    p.add_argument("--check", action="store_true", help="only report missing or stale snapshots (exit 1 if any)")
    p.add_argument("--modules", default="", help="comma-separated check modules (default: all)")
    p.add_argument("--no-mutants", action="store_true", help="record from the solutions only")
    p.add_argument("--jobs", type=int, default=None, help="modules recorded at once (default: CPU count)")
    p.add_argument("--root", default=str(KIT_ROOT), help="kit folder (default: this checkout)")
    p.set_defaults(run=_run)
