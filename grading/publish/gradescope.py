"""`tocha gradescope OUT.zip`: Gradescope's autograder zip, with no solution code inside.

The zip holds `setup.sh` (run once, as root, to build the image: a Python with CPU-only torch and
torchvision at the versions the snapshots were recorded with, then the grader kit) and
`run_autograder` (run per submission), from grading/templates/gradescope_setup.sh and
gradescope_run_autograder.sh, plus the grader kit (grading/publish/grader.py: engine, checks,
recorded snapshots, data). `run_autograder` calls `python -m grading.publish.gradescope run`, which
grades /autograder/submission (flat files or a student repository, as grading/cohort/intake.py finds
them) and writes /autograder/results/results.json in Gradescope's form, with `visibility` and
`stdout_visibility`. TOCHA_AUTOGRADER_ROOT replaces /autograder and TOCHA_PYTHON the interpreter
(the kit's tests run `run_autograder` on a simulated tree).

When the checks cannot run at all (a broken image), no results.json is written and the script
exits non-zero: Gradescope then shows the staff an autograder failure instead of a zero.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from grading import templates
from grading.publish.grader import (PYTORCH_CPU_INDEX, Graded, add_package_options, copy_grader_kit, grade_as_configured,
                        kit_requirement, package_settings, pinned_versions, problems_text, run_arguments,
                        verify_grader_kit)
from grading.text import Text

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
SUBMISSION_PROBLEMS = Text("About your submission:", "Sobre a sua entrega:")
WROTE = Text("wrote {path} ({size:.1f} MB): upload it as the assignment's autograder (Configure Autograder → Zip file).",
             "gravou {path} ({size:.1f} MB): envie-o como autograder da tarefa (Configure Autograder → Zip file).")


def results_json(graded: Graded, lang: str, visibility: str = "visible", stdout_visibility: str = "hidden") -> dict:
    """Gradescope's results.json from the kit's results payload (grading/results.py)."""
    payload = dict(graded.payload or {})
    payload.pop("max_score", None)  # not a field of Gradescope's format
    output = payload.get("output", "")
    if graded.problems:
        output += f"\n\n{SUBMISSION_PROBLEMS.get(lang)}\n{problems_text(graded.problems, lang)}"
    payload.update({
        "output": output,
        "visibility": visibility,
        "stdout_visibility": stdout_visibility,
        "tests": [{**t, "visibility": visibility} for t in payload.get("tests", [])],
    })
    return payload


def run(root: Path, kit: Path) -> int:
    """Grade root/submission, write root/results/results.json (run_autograder's body)."""
    graded, config, lang = grade_as_configured(root / "submission", kit)
    if graded.payload is None:
        print(graded.failure.get(lang), file=sys.stderr)
        return 1
    results = results_json(graded, lang, config.get("visibility", "visible"), config.get("stdout_visibility", "hidden"))
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{results['output']}\n({graded.seconds:.1f} s)")
    return 0


def build(out: Path, modules: list[str], lang: str, visibility: str, stdout_visibility: str,
          timeout_scale: float = 1.0) -> Path:
    versions = pinned_versions()
    python = ".".join(map(str, sys.version_info[:2]))
    config = {"grader": "gradescope", "lang": lang, "visibility": visibility, "stdout_visibility": stdout_visibility,
              "timeout_scale": timeout_scale, "python": python, **versions}
    setup = templates.render("gradescope_setup.sh", PYTHON=python, CPU_INDEX=PYTORCH_CPU_INDEX, TORCH=versions["torch"],
                             TORCHVISION=versions["torchvision"], KIT_REQUIREMENT=kit_requirement("$SOURCE/kit", modules))
    run_autograder = templates.render("gradescope_run_autograder.sh")
    with tempfile.TemporaryDirectory() as tmp:
        kit = copy_grader_kit(Path(tmp) / "kit", modules, config)
        verify_grader_kit(kit, modules, lang)
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in (("setup.sh", setup), ("run_autograder", run_autograder)):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o100755 << 16  # executable, as Gradescope runs them
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
            for path in sorted(p for p in kit.rglob("*") if p.is_file()):
                archive.write(path, str(Path("kit") / path.relative_to(kit)))
    return out


def cmd_gradescope(args) -> int:
    lang, modules = package_settings(args)
    try:
        path = build(Path(args.out), modules, lang, args.visibility, args.stdout_visibility, args.timeout_scale)
    except (FileNotFoundError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(WROTE.format(path=path, size=path.stat().st_size / 1e6).get(lang))
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("gradescope", help="write a Gradescope autograder zip (no solutions inside: recorded snapshots)")
    p.add_argument("out", help="the zip to write, e.g. autograder.zip")
    add_package_options(p)
    p.add_argument("--visibility", default="visible", choices=VISIBILITIES,
                   help="when students see the results (Gradescope's visibility; default: visible)")
    p.add_argument("--stdout-visibility", default="hidden", choices=VISIBILITIES,
                   help="when students see the autograder's log (default: hidden)")
    p.set_defaults(run=cmd_gradescope)


def main(argv=None) -> int:
    """run_autograder's entry: grade ROOT/submission into ROOT/results/results.json."""
    args, kit = run_arguments("python -m grading.publish.gradescope", argv,
                              root=os.environ.get("TOCHA_AUTOGRADER_ROOT", "/autograder"))
    return run(Path(args.root), kit)


if __name__ == "__main__":
    sys.exit(main())
