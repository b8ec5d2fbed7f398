"""One submission graded inside a grader's machine (Gradescope, Classroom 50), with no solutions.

`tocha gradescope` and `tocha classroom50` ship the grader kit (`copy_grader_kit`): the engine,
the check files with their recorded snapshots (grading/snapshots/calls.py: the reference's answers, not
its code), the shipped data and a small config file. No solutions/, no exercises, no tests. In
the grader, `grade_submission` takes the student's files in with grading/cohort/intake.py (the limits of
`tocha grade`: links leaving the submission are not followed, zip bombs refused, the root found
wherever the student put it: flat files, a student repository's exercises/, a wrapper folder)
and runs the checks on that copy in a `python -m pytest` subprocess started from the grader kit's
own folder, against the snapshots. The student's checkout may hold its own checks/, conftest.py
or grading/: none of them is ever imported.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grading import processes
from grading.curriculum import discover
from grading.data import KIT_ROOT
from grading.text import Text

CONFIG = "grader.json"
SNAPSHOTS = Path("checks") / "snapshots"  # grading/snapshots/calls.py FOLDER, under checks/
# what the grader kit holds, relative to the kit: folders copied whole (no caches), single files
KIT_FOLDERS = ("grading", "datasets")
KIT_FILES = ("pyproject.toml",)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# modules whose checks skip (and so stop counting) without a pyproject extra: the grader installs it
EXTRAS_FOR = {"ex09_lessons": "lessons"}
RUN_TIMEOUT_S = 1800

STALE_SNAPSHOTS = Text("the recorded snapshots are missing or stale ({problems}): run `tocha snapshot` first, "
                       "the grader has no solutions to compare with",
                       "os snapshots gravados faltam ou estão velhos ({problems}): rode `tocha snapshot` antes, "
                       "o avaliador não tem soluções para comparar")
NOT_FULL_MARKS = Text(
    "the solutions get {score}/{possible} from this package, so it would take points from right answers "
    "(re-record with `tocha snapshot`):\n{failed}",
    "as soluções tiram {score}/{possible} com este pacote, então ele tiraria pontos de respostas certas "
    "(grave de novo com `tocha snapshot`):\n{failed}")
CHECKS_DID_NOT_RUN = Text("the checks did not run (pytest exit status {code}):\n{tail}",
                          "os testes não rodaram (pytest terminou com {code}):\n{tail}")


def pinned_versions() -> dict[str, str]:
    """torch and torchvision as installed here, without the local tag (+cpu): the snapshots were
    recorded with these, so the grader installs the same."""
    import torch
    import torchvision

    return {"torch": torch.__version__.split("+")[0], "torchvision": torchvision.__version__.split("+")[0]}


def copy_grader_kit(dest: Path, modules: list[str], config: dict, kit: Path = KIT_ROOT) -> Path:
    """The grader kit for `modules` in `dest` (created): no solutions; the snapshots must be current."""
    from grading.snapshots.command import stale

    problems = stale(kit, modules)
    if problems:
        raise FileNotFoundError(STALE_SNAPSHOTS.format(problems="; ".join(problems)).en)
    dest.mkdir(parents=True, exist_ok=True)
    for folder in KIT_FOLDERS:
        if (kit / folder).is_dir():
            shutil.copytree(kit / folder, dest / folder, ignore=IGNORED, dirs_exist_ok=True)
    for name in KIT_FILES:
        shutil.copy2(kit / name, dest / name)
    (dest / SNAPSHOTS).mkdir(parents=True, exist_ok=True)
    for m in modules:
        shutil.copy2(kit / "checks" / f"test_{m}.py", dest / "checks" / f"test_{m}.py")
        shutil.copy2(kit / SNAPSHOTS / f"{m}.pt", dest / SNAPSHOTS / f"{m}.pt")
    for helper in (kit / "checks").glob("*.py"):  # conftest and helpers the check files import
        if not helper.name.startswith("test_"):
            shutil.copy2(helper, dest / "checks" / helper.name)
    (dest / CONFIG).write_text(json.dumps({**config, "modules": modules}, indent=1) + "\n", encoding="utf-8")
    return dest


def verify_grader_kit(package_kit: Path, modules: list[str], lang: str, solutions: Path = KIT_ROOT / "solutions") -> None:
    """Grade the solutions with the package's own kit, the way the grader will: anything short of
    full marks (a snapshot that misses a call the solutions make) refuses the package (ValueError)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tocha-verify-") as tmp:
        graded = grade_submission(solutions, Path(tmp), lang, modules, kit=package_kit)
    if graded.payload is None:
        raise ValueError(graded.failure.get(lang))
    tests = graded.payload.get("tests", [])
    score, possible = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
    if not tests or score != possible:
        failed = "\n".join(f"  {t['name']}: {t['output'][:200]}" for t in tests if t["status"] != "passed")
        raise ValueError(NOT_FULL_MARKS.format(score=score, possible=possible, failed=failed).get(lang))


def kit_requirement(kit: str, modules: list[str]) -> str:
    """What to `pip install -e` for the grader kit: with the extras the modules need."""
    extras = sorted({EXTRAS_FOR[m] for m in modules if m in EXTRAS_FOR})
    return f"{kit}[{','.join(extras)}]" if extras else kit


def load_config(kit: Path = KIT_ROOT) -> dict:
    path = kit / CONFIG
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@dataclass
class Graded:
    payload: dict | None                              # the results payload; None: the checks did not run
    problems: list[Text] = field(default_factory=list)  # what intake found wrong with the submission
    failure: Text | None = None                       # why the checks did not run (an infrastructure error)
    seconds: float = 0.0


def grade_submission(submission: Path, work: Path, lang: str, modules: list[str] | None = None,
                     timeout_scale: float = 1.0, kit: Path = KIT_ROOT) -> Graded:
    """Take `submission` (a folder or a .zip) in and run the checks of `modules` on it."""
    import time

    from grading.cohort.intake import Entry, prepare

    from grading.snapshots.command import stale

    curriculum = discover(kit / "checks")
    modules = [m for m in (modules or list(curriculum)) if m in curriculum]
    problems = stale(kit, modules)
    if problems:  # the grader's own fault: no student may get a zero for it
        return Graded(None, failure=STALE_SNAPSHOTS.format(problems="; ".join(problems)))
    started = time.perf_counter()
    prepared = prepare(Entry("submission", [Path(submission)]), work / "submission", modules, list(curriculum))
    out = work / "results.json"
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME")}
    env.update({"TOCHA_LANG": lang, "PYTHONDONTWRITEBYTECODE": "1"})
    cmd = [sys.executable, "-m", "pytest", *[f"checks/test_{m}.py" for m in modules],
           "--impl", str(prepared.root), "--reference", "snapshots", "--device", "cpu", "--lang", lang,
           "--timeout-scale", str(timeout_scale), "--score-json", str(out), "-p", "no:cacheprovider", "-q"]
    # the grader kit's folder is the working directory: its checks/ and grading/ are the ones imported
    proc = processes.run(cmd, cwd=kit, env=env, timeout=RUN_TIMEOUT_S)
    seconds = time.perf_counter() - started
    if proc.returncode in (0, 1) and out.is_file():
        return Graded(json.loads(out.read_text(encoding="utf-8")), prepared.problems, None, seconds)
    tail = (proc.stdout + proc.stderr)[-3000:]
    return Graded(None, prepared.problems, CHECKS_DID_NOT_RUN.format(code=proc.returncode, tail=tail), seconds)


def grade_as_configured(submission: Path, kit: Path) -> tuple[Graded, dict, str]:
    """Grade with the settings the package was built with: (graded, config, lang)."""
    import tempfile

    from grading.text import default_lang

    config = load_config(kit)
    lang = config.get("lang") or default_lang()
    with tempfile.TemporaryDirectory(prefix="tocha-") as tmp:
        graded = grade_submission(submission, Path(tmp), lang, config.get("modules"),
                                  config.get("timeout_scale", 1.0), kit=kit)
    return graded, config, lang


def add_package_options(p) -> None:
    """The options `tocha gradescope` and `tocha classroom50` share."""
    p.add_argument("--modules", nargs="*", default=None, help="only these modules (default: all)")
    p.add_argument("--lang", default=None, choices=["en", "pt-BR"], help="language of the hints students read")
    p.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every check's time limit")


def package_settings(args) -> tuple[str, list[str]]:
    """(lang, modules) from those options."""
    from grading.curriculum import resolve_modules
    from grading.text import default_lang

    return args.lang or default_lang(), resolve_modules(args.modules, discover())


def run_arguments(prog: str, argv, **options) -> tuple:
    """`python -m grading.<grader> run ...` in the grader: its arguments, and the grader kit."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog)
    run = parser.add_subparsers(dest="command", required=True).add_parser("run")
    for name, default in options.items():
        run.add_argument(f"--{name}", default=default)
    run.add_argument("--kit", default=None, help="the grader kit (default: the one this module belongs to)")
    args = parser.parse_args(argv)
    return args, Path(args.kit).resolve() if args.kit else KIT_ROOT


def problems_text(problems: list[Text], lang: str) -> str:
    return "\n".join(f"- {p.get(lang)}" for p in problems)
