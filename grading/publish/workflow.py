"""`tocha classroom`: the GitHub Actions workflow that grades a student repository on every push.

One `classroom-resources/autograding-command-grader` step per check module, its max-score the
module's points (read from the checks' `item` markers, as `tocha status` reads them); the grader
passes the command no environment variables of ours, so everything is a flag. Then the
classroom reporter (it sums the scores and tells GitHub Classroom), a Markdown score table in the
job summary (`tocha classroom --summary results`) and the results files as an artifact. PyTorch
comes from its CPU wheel index (the runner has no GPU; the default wheels carry CUDA, gigabytes).
Actions are pinned by commit, permissions are the reporter's needs and nothing more.

The kit keeps the generated file at `.github/classroom.yml` (outside .github/workflows, so the
kit's own repository does not grade itself); `tocha release` puts it at
`.github/workflows/classroom.yml`; `tocha classroom --check` fails when it is stale.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from grading import templates
from grading.curriculum import PRECEDENCE, discover, strip_status
from grading.data import KIT_ROOT
from grading.results import TITLE
from grading.text import STATUS, Text, default_lang

KIT_COPY = Path(".github") / "classroom.yml"
WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
PYTHON = "3.12"
STEP_TIMEOUT_MIN = 15
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Pinned by commit (zizmor's unpinned-uses); the comment names the release.
ACTIONS = {
    "checkout": ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup-python": ("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "upload-artifact": ("actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "command-grader": ("classroom-resources/autograding-command-grader", "d5b3fa6f50f7f629b7bfae0cc3e4c58852b412d5", "v1"),
    "reporter": ("classroom-resources/autograding-grading-reporter", "d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca", "v1"),
}

STALE = Text("{path} is out of date with the checks' points: run `tocha classroom`.",
             "{path} está desatualizado em relação aos pontos das verificações: rode `tocha classroom`.")
WROTE = Text("wrote {path} ({modules} modules, {points} points)", "{path} escrito ({modules} módulos, {points} pontos)")
SUMMARY_HEAD = Text("| module | item | points | status |", "| módulo | item | pontos | situação |")
NO_RESULTS = Text("No results were written: the checks did not run.", "Nenhum resultado foi escrito: as verificações não rodaram.")


def torch_requirements(kit: Path = KIT_ROOT) -> str:
    """The torch and torchvision ranges pyproject.toml declares, quoted for a shell: installs from
    PyTorch's index then stay within the releases the verdicts are shown to hold on."""
    wanted = []
    source = next((p for p in (Path(kit) / "pyproject.toml", KIT_ROOT / "pyproject.toml") if p.is_file()), None)
    for line in source.read_text(encoding="utf-8").splitlines() if source else ():
        spec = re.match(r'\s*"((torch|torchvision)\b[^"]*)"', line)
        if spec:
            wanted.append(f'"{spec.group(1)}"')
    return " ".join(wanted) or "torch torchvision"


def _uses(key: str) -> str:
    repo, sha, tag = ACTIONS[key]
    return f"{repo}@{sha} # {tag}"


def step_id(module: str) -> str:
    """The reporter reads `<ID>_RESULTS` and accepts letters and digits only."""
    return re.sub(r"[^A-Za-z0-9]", "", module)


def points_by_module(kit: Path) -> dict[str, int]:
    return {module: sum(items.values()) for module, items in discover(kit / "checks").items() if items}


def render(kit: Path = KIT_ROOT, lang: str = "en") -> str:
    """The workflow's text for the kit (or release) at `kit`: grading/templates/classroom.yml, one
    classroom_step.yml per module and one classroom_result.yml line per module for the reporter."""
    points = points_by_module(kit)
    ids = {module: step_id(module) for module in points}
    steps = "".join(templates.render("classroom_step.yml", MODULE=module, ID=ids[module], LANG=lang,
                                     COMMAND_GRADER=_uses("command-grader"), TIMEOUT=STEP_TIMEOUT_MIN, MAX_SCORE=total)
                    for module, total in points.items())
    results = "".join(templates.render("classroom_result.yml", ID=sid, ID_UPPER=sid.upper()) for sid in ids.values())
    return templates.render(
        "classroom.yml", CHECKOUT=_uses("checkout"), SETUP_PYTHON=_uses("setup-python"), PYTHON=PYTHON,
        TORCH_REQUIREMENTS=torch_requirements(kit), TORCH_INDEX=TORCH_CPU_INDEX, MODULE_STEPS=steps,
        REPORTER=_uses("reporter"), RESULTS_ENV=results, RUNNERS=",".join(ids.values()), LANG=lang,
        UPLOAD_ARTIFACT=_uses("upload-artifact"))


def summary(folder: Path, lang: str) -> str:
    """A Markdown score table from the results files (Gradescope form) in `folder`."""
    rows, earned, possible = [], 0, 0
    for path in sorted(Path(folder).glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        items: dict = {}
        for test in payload.get("tests", []):
            module, item, status = test["tags"][:3]
            entry = items.setdefault((module, item), {"earned": 0, "possible": 0, "statuses": [], "hint": ""})
            entry["earned"] += test["score"]
            entry["possible"] += test["max_score"]
            entry["statuses"].append(status)
            if status != "passed" and not entry["hint"]:
                entry["hint"] = strip_status(test["output"], status, lang)
        for (module, item), entry in items.items():
            status = next(s for s in PRECEDENCE if s in entry["statuses"] or s == "passed")
            shown = STATUS[status].get(lang) if status in STATUS else status
            hint = " ".join(entry["hint"].split())[:300].replace("|", "\\|")
            rows.append(f"| {module} | {item} | {entry['earned']}/{entry['possible']} | {shown}"
                        + (f": {hint}" if hint else "") + " |")
            earned, possible = earned + entry["earned"], possible + entry["possible"]
    if not rows:
        return f"## {TITLE.get(lang)}\n\n{NO_RESULTS.get(lang)}\n"
    head = SUMMARY_HEAD.get(lang)
    return "\n".join([f"## {TITLE.get(lang)}: {earned}/{possible}", "", head, "|---|---|---:|---|", *rows]) + "\n"


def _run(args) -> int:
    lang = args.lang or default_lang()
    if args.summary:
        print(summary(Path(args.summary), lang), end="")
        return 0
    kit = Path(args.root).resolve()
    target = kit / (args.out or KIT_COPY)
    text = render(kit, lang="en")
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            print(STALE.format(path=target.relative_to(kit)).get(lang))
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    points = points_by_module(kit)
    print(WROTE.format(path=target.relative_to(kit), modules=len(points), points=sum(points.values())).get(lang))
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("classroom", help="write the GitHub Actions autograding workflow (.github/classroom.yml)")
    p.add_argument("--check", action="store_true", help="only report whether the committed workflow is stale (exit 1)")
    p.add_argument("--out", default=None, help="where to write it, relative to --root (default .github/classroom.yml)")
    p.add_argument("--summary", default=None, metavar="DIR",
                   help="print a Markdown score table of the results files in DIR (used by the workflow)")
    p.add_argument("--lang", default=None, choices=["en", "pt-BR"], help="language of the table")
    p.add_argument("--root", default=str(KIT_ROOT), help="kit folder (default: this checkout)")
    p.set_defaults(run=_run)
