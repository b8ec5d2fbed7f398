"""`tocha release OUTDIR` and `tocha verify`: the student repository, and telling a tampered
grader from a real score.

The release holds what a student runs: exercises/ (the stubs), checks/ with their recorded
snapshots (grading/snapshots/calls.py: no solutions/ needed), datasets/, the grading/ engine,
pyproject.toml, a short bilingual README and the autograding workflow (grading/publish/workflow.py). It
holds no solutions/ and no line of any solution region: `release` refuses to finish otherwise.

`tocha-manifest.json` lists the SHA-256 of every file the grade depends on (checks/, grading/,
pyproject.toml, the workflow). `tocha verify REPO --manifest TRUSTED` compares a student's
repository with the teacher's copy of that manifest and also names anything that can change what
pytest runs without touching those files (a conftest.py, a pytest.ini, a sitecustomize.py).
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

from grading.data import KIT_ROOT
from grading.publish import sync
from grading.publish import workflow as classroom
from grading.snapshots import command as snaprun
from grading.text import Text, default_lang

MANIFEST = "tocha-manifest.json"
GUARDED = ("checks", "grading", ".github/workflows")
GUARDED_FILES = ("pyproject.toml",)
# Files that change what pytest collects or runs, wherever they appear (none is in a release).
HOOKS = ("conftest.py", "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "sitecustomize.py", "usercustomize.py")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")

REFUSED = Text("tocha release: {why}", "tocha release: {why}")
NOT_EMPTY = Text("{path} exists and is not empty (give an empty or new folder).",
                 "{path} existe e não está vazia (dê uma pasta vazia ou nova).")
STALE_EXERCISES = Text("exercises/ is out of date with solutions/: run `tocha sync`.",
                       "exercises/ está desatualizada em relação a solutions/: rode `tocha sync`.")
STALE_SNAPSHOTS = Text("checks/snapshots/ is out of date ({what}): run `tocha snapshot`.",
                       "checks/snapshots/ está desatualizada ({what}): rode `tocha snapshot`.")
LEAKED = Text("solution code would be published: {where}", "código de solução seria publicado: {where}")
RELEASED = Text("wrote the student repository {path}: {files} files, manifest sha256 {digest}\n"
                "Keep a copy of {manifest} (or its sha256): `tocha verify` compares a student's repository with it.",
                "repositório do aluno escrito em {path}: {files} arquivos, sha256 do manifesto {digest}\n"
                "Guarde uma cópia de {manifest} (ou seu sha256): `tocha verify` compara o repositório de um aluno com ela.")
VERIFY_OK = Text("{repo}: checks/, grading/, pyproject.toml and the workflow are as released ({count} files).",
                 "{repo}: checks/, grading/, pyproject.toml e o workflow estão como publicados ({count} arquivos).")
VERIFY_BAD = Text("{repo}: the grader was changed; a score from this repository is not trustworthy.",
                  "{repo}: o corretor foi alterado; uma nota deste repositório não é confiável.")
VERIFY_LINE = {
    "changed": Text("changed: {path}", "alterado: {path}"),
    "missing": Text("missing: {path}", "faltando: {path}"),
    "added": Text("added: {path}", "adicionado: {path}"),
    "hook": Text("changes what pytest runs: {path}", "muda o que o pytest roda: {path}"),
}
SELF_MANIFEST = Text("(compared with the repository's own {manifest}: pass --manifest with your copy, since a student "
                     "can edit that file too)",
                     "(comparado com o próprio {manifest} do repositório: passe --manifest com a sua cópia, pois o aluno "
                     "também pode editar esse arquivo)")

README = """# {title}

## English

1. Install PyTorch for your machine (CPU: `python -m pip install {torch} --index-url {index}`),
   then this project: `python -m pip install -e ".[lessons]"`.
2. Write your code in `exercises/`: replace each `raise NotImplementedError` (the `# TODO` lines say what to do).
3. `tocha status` shows your progress and the next thing to fix; `tocha hint` explains it;
   `pytest checks` runs every check and prints your score.
4. Commit and push: GitHub Actions grades every push (the Actions tab shows the score table).

Do not edit `checks/`, `grading/`, `pyproject.toml` or `.github/`: your teacher checks them (`tocha verify`),
and a changed grader does not count.

## Português (Brasil)

1. Instale o PyTorch para sua máquina (CPU: `python -m pip install {torch} --index-url {index}`),
   depois este projeto: `python -m pip install -e ".[lessons]"`.
2. Escreva seu código em `exercises/`: troque cada `raise NotImplementedError` (as linhas `# TODO` dizem o que fazer).
3. `tocha status` mostra seu progresso e a próxima coisa a corrigir; `tocha hint` explica;
   `pytest checks` roda todas as verificações e mostra sua nota.
4. Faça commit e push: o GitHub Actions corrige cada push (a aba Actions mostra a tabela de notas).

Não edite `checks/`, `grading/`, `pyproject.toml` nem `.github/`: seu professor os confere (`tocha verify`),
e um corretor alterado não vale.
"""
GITIGNORE = "__pycache__/\n*.pyc\n*.egg-info/\n.venv/\n.pytest_cache/\nresults/\n/results.json\n/tocha-report.html\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ---------------------------------------------------------------- what must never ship

def solution_regions(kit: Path) -> list[tuple[str, list[str]]]:
    """(file:line, code lines) of every solution region: the lines the stubs replace, TODO comments excepted."""
    regions = []
    for path in sorted((kit / "solutions").glob("*.py")):
        current, start = None, 0
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if sync.BEGIN.match(line):
                current, start = [], number
            elif sync.END.match(line):
                code = [l.strip() for l in current if l.strip() and not l.strip().startswith("#")]
                if code:
                    regions.append((f"solutions/{path.name}:{start}", code))
                current = None
            elif current is not None:
                current.append(line)
    return regions


def _texts(root: Path):
    """(relative path, text) of every file under root; zip archives (snapshots) member by member."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = str(path.relative_to(root))
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{rel}:{member}", archive.read(member).decode("utf-8", "replace")
        yield rel, data.decode("utf-8", "replace")


def leaks(root: Path, kit: Path = KIT_ROOT) -> list[str]:
    """Where a solution region's code appears in the tree at `root` (every line of a region, in
    order, as whole lines; a one-line region only when it is long enough to be specific), and
    any folder named solutions."""
    found = [str(p.relative_to(root)) for p in root.rglob("solutions") if p.is_dir()]
    regions = solution_regions(kit)
    for rel, text in _texts(root):
        lines = [l.strip() for l in re.split(r"\r?\n|\\n", text)]
        joined = "\n" + "\n".join(lines) + "\n"
        for where, code in regions:
            if len(code) == 1 and len(code[0]) < 25:
                continue
            if "\n" + "\n".join(code) + "\n" in joined:
                found.append(f"{rel} holds {where}")
    return found


# ---------------------------------------------------------------- manifest

def guarded_files(root: Path) -> list[Path]:
    files = []
    for folder in GUARDED:
        files += [p for p in (root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix != ".pyc"]
    files += [root / name for name in GUARDED_FILES if (root / name).is_file()]
    return sorted(files)


def manifest(root: Path) -> dict:
    return {"format": 1, "files": {str(p.relative_to(root)): sha256(p) for p in guarded_files(root)}}


def verify(repo: Path, trusted: dict) -> dict[str, list[str]]:
    """What differs from the trusted manifest: changed, missing, added files, and pytest hooks."""
    now = manifest(repo)["files"]
    want = trusted["files"]
    hooks = sorted(str(p.relative_to(repo)) for p in repo.rglob("*")
                   if p.is_file() and p.name in HOOKS and ".git" not in p.parts and ".venv" not in p.parts)
    return {
        "changed": sorted(k for k in want if k in now and now[k] != want[k]),
        "missing": sorted(k for k in want if k not in now),
        "added": sorted(k for k in now if k not in want),
        "hook": hooks,
    }


# ---------------------------------------------------------------- release

def student_pyproject(kit: Path) -> str:
    text = (kit / "pyproject.toml").read_text(encoding="utf-8")
    return text.replace('testpaths = ["tests"]', 'testpaths = ["checks"]')


def build(kit: Path, out: Path, lang: str = "en") -> Path:
    """Write the student repository at `out`; returns its manifest path. Raises SystemExit(text)."""
    ui = default_lang()
    if out.exists() and any(out.iterdir()):
        raise SystemExit(REFUSED.format(why=NOT_EMPTY.format(path=out).get(ui)).get(ui))
    if (kit / "solutions").is_dir() and sync.stale(kit):
        raise SystemExit(REFUSED.format(why=STALE_EXERCISES.get(ui)).get(ui))
    problems = snaprun.stale(kit)
    if problems:
        raise SystemExit(REFUSED.format(why=STALE_SNAPSHOTS.format(what="; ".join(problems)).get(ui)).get(ui))
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(kit / "exercises", out / "exercises", ignore=SKIP)
    (out / "checks").mkdir()
    for path in sorted((kit / "checks").glob("test_*.py")):
        shutil.copy(path, out / "checks" / path.name)
    shutil.copytree(kit / "checks" / "snapshots", out / "checks" / "snapshots", ignore=SKIP)
    shutil.copytree(kit / "datasets", out / "datasets", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build.py"))
    shutil.copytree(kit / "grading", out / "grading", ignore=SKIP)
    (out / "pyproject.toml").write_text(student_pyproject(kit), encoding="utf-8")
    (out / "README.md").write_text(README.format(title="PyTorch: exercises / exercícios", index=classroom.TORCH_CPU_INDEX,
                                                     torch=classroom.torch_requirements(kit)),
                                   encoding="utf-8")
    (out / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    workflow = out / classroom.WORKFLOW
    workflow.parent.mkdir(parents=True)
    workflow.write_text(classroom.render(out, lang=lang), encoding="utf-8")
    found = leaks(out, kit)
    if found:
        shutil.rmtree(out)
        raise SystemExit(REFUSED.format(why=LEAKED.format(where="; ".join(found[:5])).get(ui)).get(ui))
    target = out / MANIFEST
    target.write_text(json.dumps(manifest(out), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target


def _release(args) -> int:
    ui = default_lang()
    out = Path(args.outdir).resolve()
    target = build(Path(args.root).resolve(), out, lang=args.lang)
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(RELEASED.format(path=out, files=files, digest=sha256(target), manifest=target).get(ui))
    return 0


def _verify(args) -> int:
    ui = default_lang()
    repo = Path(args.repo).resolve()
    source = Path(args.manifest) if args.manifest else repo / MANIFEST
    trusted = json.loads(source.read_text(encoding="utf-8"))
    found = verify(repo, trusted)
    bad = any(found.values())
    print((VERIFY_BAD if bad else VERIFY_OK).format(repo=repo, count=len(trusted["files"])).get(ui))
    for kind, paths in found.items():
        for path in paths:
            print("  " + VERIFY_LINE[kind].format(path=path).get(ui))
    if not args.manifest:
        print(SELF_MANIFEST.format(manifest=MANIFEST).get(ui))
    return 1 if bad else 0


RELEASE_HELP = Text("write the student repository (no solutions) into OUTDIR",
                    "gravar o repositório dos alunos (sem soluções) em OUTDIR")
RELEASE_DESCRIPTION = Text(
    "OUTDIR gets what students clone: exercises/ (the stubs), checks/ with the snapshots `tocha snapshot` "
    "recorded (the reference's answers, so no solutions are needed), the grading package, the GitHub "
    "Actions workflow `tocha classroom` generates and tocha-manifest.json; `tocha verify` compares a "
    "student's repository with that manifest.",
    "OUTDIR recebe o que os alunos clonam: exercises/ (os esboços), checks/ com os snapshots que o "
    "`tocha snapshot` gravou (as respostas da referência, então as soluções não vão junto), o pacote de "
    "avaliação, o workflow do GitHub Actions que o `tocha classroom` gera e tocha-manifest.json; o "
    "`tocha verify` compara o repositório de um aluno com esse manifesto.")


def add_commands(sub) -> None:
    lang = default_lang()
    p = sub.add_parser("release", help=RELEASE_HELP.get(lang), description=RELEASE_DESCRIPTION.get(lang))
    p.add_argument("outdir")
    p.add_argument("--lang", default="en", choices=["en", "pt-BR"], help="language of the workflow's hints")
    p.add_argument("--root", default=str(KIT_ROOT), help="kit folder (default: this checkout)")
    p.set_defaults(run=_release)
    p = sub.add_parser("verify", help="check a student repository's grader against the release manifest")
    p.add_argument("repo", nargs="?", default=".")
    p.add_argument("--manifest", default=None, help="your copy of tocha-manifest.json (default: the repository's own)")
    p.set_defaults(run=_verify)
