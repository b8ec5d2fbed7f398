"""`tocha classroom50 OUTDIR [--assignment SLUG]`: a Classroom 50 per-assignment autograder.

OUTDIR goes to `CLASSROOM/autograders/SLUG/` in the teacher's classroom50 repository. It holds
`autograder.py` (grading/templates/classroom50_autograder.py.tmpl, filled in) and the grader kit
(grading/publish/grader.py: engine, checks, recorded snapshots, data; no solutions, since the
bundle is served publicly). The runner calls `python autograder.py` with no arguments from the
student's checkout; the script puts CPU-only torch and the kit in a fresh virtual environment
(the whole job has 15 minutes, without a pip cache), then runs
`python -m grading.publish.classroom50 run`, which grades the checkout and writes `./result.json`
per the contract (ANCHORS.md): schema `classroom50/result/v1`, identity from the runner's
environment, integer `score`/`max-score`, one row per graded item with its first hint as `output`,
and no other top-level keys. It also writes `./release-body.md` (a student could commit a forged
one, which the runner would publish) and exits 0 whenever it graded; non-zero means the grader
itself failed (the runner reports an error instead of a score).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grading import templates
from grading.publish.grader import (PYTORCH_CPU_INDEX, Graded, add_package_options, copy_grader_kit, grade_as_configured,
                        kit_requirement, package_settings, pinned_versions, problems_text, run_arguments,
                        verify_grader_kit)
from grading.curriculum import discover, parse_results
from grading.results import TITLE
from grading.text import STATUS, Text

SCHEMA = "classroom50/result/v1"
IDENTITY = {"classroom": "CLASSROOM", "assignment": "ASSIGNMENT", "submission": "SUBMISSION_TAG",
            "commit": "COMMIT_URL", "release": "RELEASE_URL"}
NO_IDENTITY = Text("missing environment variables {names}: autograder.py runs inside Classroom 50's grade job",
                   "faltam as variáveis de ambiente {names}: autograder.py roda dentro do job de avaliação do Classroom 50")
OTHER_ASSIGNMENT = Text("this autograder was built for assignment {built}, and runs for {running}",
                        "este autograder foi feito para a tarefa {built}, e roda para {running}")
SUBMISSION_PROBLEMS = Text("About your submission:", "Sobre a sua entrega:")
BODY_HEAD = Text("| Item | Result | Points |", "| Item | Resultado | Pontos |")
WROTE = Text("wrote {path}: put its contents in CLASSROOM/autograders/{slug}/ of your classroom50 repository "
             "({size:.1f} MB as a bundle).",
             "gravou {path}: coloque o conteúdo em CLASSROOM/autograders/{slug}/ do seu repositório classroom50 "
             "({size:.1f} MB como pacote).")


def identity(env=os.environ) -> dict[str, str]:
    """The result's identity fields from the runner's environment (ValueError naming what is missing)."""
    missing = [name for name in IDENTITY.values() if not env.get(name, "").strip()]
    if missing:
        raise ValueError(NO_IDENTITY.format(names=", ".join(missing)).en)
    fields = {key: env[name].strip() for key, name in IDENTITY.items()}
    fields["review"] = env.get("REVIEW_URL", "").strip() or fields["commit"]
    return fields


def commit_time(checkout: Path) -> str:
    """The graded commit's committer date in UTC (the submission instant), else now."""
    try:
        proc = subprocess.run(["git", "-c", "safe.directory=*", "-C", str(checkout), "log", "-1", "--format=%ct"],
                              capture_output=True, text=True, timeout=60)
        when = _dt.datetime.fromtimestamp(int(proc.stdout.strip()), _dt.timezone.utc)
    except (OSError, ValueError, subprocess.SubprocessError):
        when = _dt.datetime.now(_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def item_rows(payload: dict, lang: str, kit_checks: Path) -> list[dict]:
    """One row per graded item, its points as the kit gives them (integers: partial credit survives), its
    first hint as `output` (extra fields in a row are kept by Classroom 50)."""
    rows = []
    for module in parse_results(payload, lang, discover(kit_checks)).values():
        for i in module.items:
            if i.status == "skipped":
                continue
            output = STATUS[i.status].get(lang) + (f": {i.hint}" if i.hint else "")
            rows.append({"test-name": f"{module.module} › {i.item}", "passed": i.status == "passed",
                         "score": int(i.earned), "max-score": int(i.possible), "output": output})
    return rows


def result_json(graded: Graded, ident: dict[str, str], when: str, lang: str, kit_checks: Path) -> dict:
    tests = item_rows(graded.payload or {}, lang, kit_checks)
    return {"schema": SCHEMA, **ident, "datetime": when,
            "score": sum(t["score"] for t in tests), "max-score": sum(t["max-score"] for t in tests), "tests": tests}


def release_body(result: dict, graded: Graded, lang: str) -> str:
    lines = [f"### {TITLE.get(lang)}: {result['score']}/{result['max-score']}", "", BODY_HEAD.get(lang), "|---|---|---|"]
    for t in result["tests"]:
        mark = "✅" if t["passed"] else "❌"
        lines.append(f"| {t['test-name']} | {mark} | {t['score']} / {t['max-score']} |")
    hints = [t for t in result["tests"] if not t["passed"]]
    if hints:
        lines.append("")
        lines += [f"- **{t['test-name']}**: {t['output']}".replace("\n", " ") for t in hints]
    if graded.problems:
        lines += ["", f"**{SUBMISSION_PROBLEMS.get(lang)}**", problems_text(graded.problems, lang)]
    return "\n".join(lines) + "\n"


def run(checkout: Path, kit: Path, env=os.environ) -> int:
    for stale in ("result.json", "release-body.md"):  # never let a committed file stand for the grade
        (checkout / stale).unlink(missing_ok=True)
    try:
        ident = identity(env)
    except ValueError as exc:
        print(f"::error::{exc}", file=sys.stderr)
        return 1
    graded, config, lang = grade_as_configured(checkout, kit)
    built = config.get("assignment")
    if built and built != ident["assignment"]:
        print(f"::warning::{OTHER_ASSIGNMENT.format(built=built, running=ident['assignment']).get(lang)}", file=sys.stderr)
    if graded.payload is None:
        print(f"::error::{graded.failure.get(lang)}", file=sys.stderr)
        return 1
    result = result_json(graded, ident, commit_time(checkout), lang, kit / "checks")
    (checkout / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    body = release_body(result, graded, lang)
    (checkout / "release-body.md").write_text(body, encoding="utf-8")
    print(body)
    return 0


def build(outdir: Path, slug: str, modules: list[str], lang: str, timeout_scale: float = 1.0) -> Path:
    versions = pinned_versions()
    config = {"grader": "classroom50", "assignment": slug, "lang": lang, "timeout_scale": timeout_scale, **versions}
    script = templates.render("classroom50_autograder.py.tmpl", SLUG=slug, CPU_INDEX=PYTORCH_CPU_INDEX,
                              TORCH=versions["torch"], TORCHVISION=versions["torchvision"],
                              EXTRAS=kit_requirement("", modules))
    with tempfile.TemporaryDirectory(prefix="tocha-classroom50-") as tmp:
        kit = copy_grader_kit(Path(tmp) / "kit", modules, config)
        verify_grader_kit(kit, modules, lang)  # nothing is written unless the solutions get full marks
        outdir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(outdir / "kit", ignore_errors=True)
        shutil.copytree(kit, outdir / "kit")
    (outdir / "autograder.py").write_text(script, encoding="utf-8")
    return outdir


def bundle_size(outdir: Path) -> int:
    """Bytes of the .tar.gz Classroom 50 publishes for this folder (its runner caps a bundle at 10 MB)."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(outdir, arcname=".")
    return len(buffer.getvalue())


def cmd_classroom50(args) -> int:
    lang, modules = package_settings(args)
    try:
        path = build(Path(args.outdir), args.assignment, modules, lang, args.timeout_scale)
    except (FileNotFoundError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(WROTE.format(path=path, slug=args.assignment, size=bundle_size(path) / 1e6).get(lang))
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("classroom50", help="write a Classroom 50 autograder folder (no solutions inside: snapshots)")
    p.add_argument("outdir", help="the folder to write; it goes to CLASSROOM/autograders/SLUG/")
    p.add_argument("--assignment", default="tocha", help="the assignment's slug (default: tocha)")
    add_package_options(p)
    p.set_defaults(run=cmd_classroom50)


def main(argv=None) -> int:
    """autograder.py's entry: grade the checkout into CHECKOUT/result.json."""
    args, kit = run_arguments("python -m grading.publish.classroom50", argv, checkout=".")
    return run(Path(args.checkout).resolve(), kit)


if __name__ == "__main__":
    sys.exit(main())
