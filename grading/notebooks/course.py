"""`tocha nbgrader COURSE`: an nbgrader course built from the kit's own solutions and checks.

For every curriculum module with both `solutions/<module>.py` and `checks/test_<module>.py` the
course gets `source/<module>/<module>.ipynb`:

* instruction cells (English, then Brazilian Portuguese), read-only;
* a read-only set-up cell that ties the notebook to the kit (`grading.notebooks.cells.begin`);
* an autograded-answer cell for the module's imports and constants, then, for every graded
  function or class, its autograded-answer cell (the solution's code, `### BEGIN SOLUTION`
  markers kept, its `# TODO` lines put just above each region so that nbgrader's release shows
  exactly the kit's stub) and its autograder test cell, worth the item's points, which runs the
  item's checks from `checks/` against the notebook (`grading.notebooks.cells.check_item`).

Points and timeouts come from collecting the check files with pytest; nothing is written twice.
A check that skips in this environment (the lessons extra missing) is not counted, as in a
`pytest checks` run. `fill_answers` puts a `.py` submission's code into a notebook's answer
cells (the kit's own tests turn solutions and mutants into nbgrader submissions with it).
"""
from __future__ import annotations

import ast
import copy
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from grading.data import KIT_ROOT
from grading.publish.sync import BEGIN, DEFAULT_TODO, END
from grading.text import Text

NBGRADER_SCHEMA = 3
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CELL_MARGIN_S = 60  # added to the checks' own time limits: the kernel imports torch, the check file...
PREAMBLE_ID = "imports"
SETUP_ID = "setup"

# ---------------------------------------------------------------- what the notebook says

INTRO = Text(
    "**How this notebook works.** Each graded function or class has an answer cell: replace every "
    "`raise NotImplementedError` with your code, keeping the names and signatures. Below each answer "
    "cell a read-only test cell runs the kit's checks for that item on this notebook's definitions "
    "and prints your points and a hint; the test cells are the grade. Run the cells from the top "
    "(Kernel → Restart & Run All) before you submit. Do not delete or split cells.",
    "**Como este notebook funciona.** Cada função ou classe avaliada tem uma célula de resposta: troque "
    "cada `raise NotImplementedError` pelo seu código, mantendo nomes e assinaturas. Abaixo de cada "
    "célula de resposta, uma célula de teste (só leitura) roda as verificações do kit para aquele item "
    "com as definições deste notebook e mostra seus pontos e uma dica; as células de teste dão a "
    "nota. Rode todas as células, do início ao fim (Kernel → Restart & Run All), antes de entregar. Não apague nem "
    "divida células.",
)
SIBLING_NOTE = Text(
    "In the kit this module imports {names} from {module}; in the notebook they are the reference "
    "versions, so this notebook's grade depends only on the code you write here.",
    "No kit este módulo importa {names} de {module}; no notebook eles são as versões de referência, "
    "então a nota deste notebook depende só do código que você escreve aqui.",
)
TOTAL = Text("{points} points in {items} items.", "{points} pontos em {items} itens.")
ITEM_HEAD = Text("`{item}` · {points} points", "`{item}` · {points} pontos")
WHAT = Text("What it is", "O que é")
STEPS = Text("Steps", "Passos")
CONTRACT = Text("Contract", "Contrato")
NOT_GRADED = Text("Not graded here: its checks are skipped in this environment ({reason}).",
                  "Não avaliado aqui: suas verificações são puladas neste ambiente ({reason}).")
SETUP_COMMENT = Text("Read-only: connects this notebook to the tocha kit (its checks and reference).",
                     "Só leitura: liga este notebook ao kit tocha (verificações e referência).")
IMPORTS_COMMENT = Text("Imports and constants of {module} (you may add your own).",
                       "Importações e constantes de {module} (você pode acrescentar as suas).")
TEST_COMMENT = Text("Autograder: runs the checks of `{item}` from checks/test_{module}.py on this notebook "
                    "({points} points).",
                    "Autocorreção: roda as verificações de `{item}` de checks/test_{module}.py neste "
                    "notebook ({points} pontos).")


def both(text: Text, sep: str = "\n\n") -> str:
    return f"{text.en}{sep}*pt-BR:* {text.pt}"


PT_MARK = "PT-BR:"


def split_doc(doc: str) -> tuple[str, str]:
    """A solution's docstring is English, then a paragraph that starts with `PT-BR:` and runs to
    the end (Portuguese): (english, portuguese), the latter empty when there is none."""
    lines = doc.strip().splitlines()
    for index, line in enumerate(lines):
        if line.startswith(PT_MARK) and (index == 0 or not lines[index - 1].strip()):
            pt = "\n".join([line.removeprefix(PT_MARK).strip(), *lines[index + 1:]]).strip()
            return "\n".join(lines[:index]).strip(), pt
    return doc.strip(), ""


# ---------------------------------------------------------------- what the checks say

@dataclass
class Check:
    item: str
    name: str          # the check function (parametrized cases share it)
    points: int
    timeouts: list[float] = field(default_factory=list)  # seconds, one per case, scaled
    skipped: str | None = None  # the reason, when every case skips here


@dataclass
class ModulePlan:
    module: str
    solution: Path
    check_file: Path
    checks: list[Check] = field(default_factory=list)

    def items(self) -> dict[str, int]:
        """{item: points counted here}, in check-file order (an item whose checks all skip: 0)."""
        out: dict[str, int] = {}
        for c in self.checks:
            out[c.item] = out.get(c.item, 0) + (0 if c.skipped else c.points)
        return out

    def skipped_reason(self, item: str) -> str | None:
        reasons = [c.skipped for c in self.checks if c.item == item]
        return reasons[0] if reasons and all(reasons) else None

    def cell_seconds(self, item: str, module_budget_s: float) -> float:
        """What a `pytest checks` run allows the item's checks: each its own limit, all of them
        together at most the module's budget (never less than the longest one)."""
        limits = [t for c in self.checks if c.item == item and not c.skipped for t in c.timeouts]
        return max(max(limits, default=0.0), min(sum(limits), module_budget_s))


def curriculum_modules(kit_root: Path = KIT_ROOT) -> list[str]:
    """Modules that have both a solution and a check file."""
    solutions = {p.stem for p in (kit_root / "solutions").glob("*.py") if not p.stem.startswith("_")}
    checks = {p.stem.removeprefix("test_") for p in (kit_root / "checks").glob("test_*.py")}
    return sorted(solutions & checks)


class _Collect:
    """pytest plugin: every graded check with its points and timeout; which ones skip at set-up."""

    def __init__(self):
        self.cases: list[tuple[str, str, str, int, float]] = []  # nodeid, module, item, check, points, timeout
        self.skipped: dict[str, str] = {}

    def pytest_collection_modifyitems(self, session, config, items):
        from grading.engine.session import item_timeout, module_of

        for node in items:
            marker = node.get_closest_marker("item")
            if marker is None or not marker.args:
                continue
            self.cases.append((node.nodeid, module_of(node), marker.args[0], node.originalname,
                               int(marker.kwargs.get("points", 1)), item_timeout(node) or 0.0))

    def pytest_runtest_logreport(self, report):
        if report.when == "setup" and report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.skipped[report.nodeid] = str(reason).removeprefix("Skipped: ")


def plan_course(kit_root: Path = KIT_ROOT, modules: list[str] | None = None,
                timeout_scale: float = 1.0) -> list[ModulePlan]:
    """Collect the check files with pytest (set-up only, against the solutions) for each module."""
    import contextlib
    import io

    import pytest

    from grading.notebooks.cells import _forget_check_module

    names = modules or curriculum_modules(kit_root)
    plans = {m: ModulePlan(m, kit_root / "solutions" / f"{m}.py", kit_root / "checks" / f"test_{m}.py")
             for m in names}
    collect = _Collect()
    args = [str(p.check_file) for p in plans.values()] + [
        "--impl", str(kit_root / "solutions"), "--reference", str(kit_root / "solutions"), "--no-isolation",
        "--setup-only", "-q", "-p", "no:cacheprovider", "--timeout-scale", str(timeout_scale),
        "--rootdir", str(kit_root)]
    for plan in plans.values():
        _forget_check_module(plan.check_file)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main(args, plugins=[collect])
    if code not in (0, 1, 5):
        raise RuntimeError(f"collecting the checks failed (pytest exit code {int(code)}):\n{out.getvalue()[-4000:]}")
    grouped: dict[tuple[str, str, str], Check] = {}
    skipped_cases: dict[tuple[str, str, str], list[bool]] = {}
    for nodeid, module, item, check, points, timeout in collect.cases:
        key = (module, item, check)
        if key not in grouped:
            grouped[key] = Check(item, check, points)
        grouped[key].points = max(grouped[key].points, points)
        grouped[key].timeouts.append(timeout)
        skipped_cases.setdefault(key, []).append(nodeid in collect.skipped)
        if nodeid in collect.skipped:
            grouped[key].skipped = collect.skipped[nodeid]
    for key, check in grouped.items():
        if not all(skipped_cases[key]):
            check.skipped = None
        if key[0] in plans:
            plans[key[0]].checks.append(check)
    return [p for p in plans.values() if p.checks]


# ---------------------------------------------------------------- reading a module's source

@dataclass
class Parts:
    docstring: str
    preamble: str
    answers: dict[str, str]            # item -> code of its answer cell
    docs: dict[str, str]               # item -> its docstring
    signatures: dict[str, str]         # item -> "def name(args)" / "class Name(bases)"
    siblings: dict[str, list[str]]     # module -> names imported from it


def _defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _signature(node: ast.stmt, lines: list[str]) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        end = node.body[0].lineno - 1 if node.body else node.lineno
        head = "".join(lines[node.lineno - 1:end]).strip()
        return head.rstrip(":").strip()
    return ""


def _relative_imports(source: str) -> tuple[str, dict[str, list[str]]]:
    """`from .other import a, b as c` becomes `a, c = sibling("other", "a", "b")`."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    found: dict[str, list[str]] = {}
    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        indent = re.match(r"\s*", lines[node.lineno - 1]).group(0)
        if node.module:
            module = node.module.split(".")[0]
            targets = [a.asname or a.name for a in node.names]
            names = [a.name for a in node.names]
            found.setdefault(module, []).extend(names)
            call = ", ".join(json.dumps(n) for n in [module, *names])
            new = f"{indent}{', '.join(targets)} = sibling({call})\n"
        else:  # from . import other
            new = "".join(f"{indent}{a.asname or a.name} = sibling({json.dumps(a.name)})\n" for a in node.names)
            for a in node.names:
                found.setdefault(a.name, [])
        edits.append((node.lineno, node.end_lineno, f"{indent}from grading.notebooks.cells import sibling\n" + new))
    for start, end, new in sorted(edits, reverse=True):
        lines[start - 1:end] = [new]
    return "".join(lines), found


def split_module(source: str, items: list[str]) -> Parts:
    """The module's text cut into the notebook's cells: the imports and constants before the first
    graded definition, then one piece per graded item (helpers written before an item go with it;
    anything after the last item goes with the last)."""
    source, siblings = _relative_imports(source)
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    docstring = ast.get_docstring(tree) or ""
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        start_line = body[0].end_lineno  # the docstring is shown as text, not code
        body = body[1:]
    else:
        start_line = 0
    wanted = set(items)
    owners: list[tuple[int, str]] = []  # (index in body, item)
    docs, signatures = {}, {}
    for index, node in enumerate(body):
        for name in _defined_names(node):
            if name in wanted and name not in signatures:
                owners.append((index, name))
                signatures[name] = _signature(node, lines)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    docs[name] = ast.get_docstring(node) or ""
    answers: dict[str, str] = {}

    cursor = start_line  # lines[:cursor] are used
    if owners:
        # everything up to the last statement before the first item; comments above an item go with it
        previous = body[:owners[0][0]]
        preamble_end = max(previous[-1].end_lineno, start_line) if previous else start_line
        preamble = "".join(lines[cursor:preamble_end])
        cursor = preamble_end
        for position, (index, name) in enumerate(owners):
            last = position == len(owners) - 1
            end = len(lines) if last else _extend_over_comments(lines, body[index].end_lineno)
            answers[name] = "".join(lines[cursor:end])
            cursor = end
    else:
        preamble = "".join(lines[cursor:])
    return Parts(docstring, preamble.strip("\n") + "\n" if preamble.strip() else "",
                 {k: v.strip("\n") + "\n" for k, v in answers.items()}, docs, signatures, siblings)


def _extend_over_comments(lines: list[str], end: int) -> int:
    """A definition's last line, counting the indented comments after its last statement (such as
    `    ### END SOLUTION`), which Python's syntax tree leaves out."""
    probe = end
    while probe < len(lines) and (not lines[probe].strip() or
                                  (lines[probe][:1].isspace() and lines[probe].strip().startswith("#"))):
        probe += 1
        if lines[probe - 1].strip():
            end = probe
    return end


def hoist_todos(code: str) -> str:
    """Put each solution region's `# TODO` lines just above its `### BEGIN SOLUTION` (at the
    region's indentation), so nbgrader's release shows exactly what `tocha sync` writes."""
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for line in code.splitlines(keepends=True):
        begin = BEGIN.match(line)
        if begin and region is None:
            region, indent = [], begin.group(1)
            continue
        if END.match(line) and region is not None:
            todos = [l.strip() for l in region if l.strip().startswith("# TODO")] or [DEFAULT_TODO]
            out.extend(f"{indent}{todo}\n" for todo in todos)
            out.append(f"{indent}### BEGIN SOLUTION\n")
            out.extend(l for l in region if not l.strip().startswith("# TODO"))
            out.append(line if line.endswith("\n") else line + "\n")
            region = None
            continue
        if region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise ValueError("### BEGIN SOLUTION never closed")
    return "".join(out)


def _todo_pairs(code: str) -> tuple[list[str], list[str]]:
    en, pt = [], []
    for line in code.splitlines():
        text = line.strip()
        if text.startswith("# TODO(pt):"):
            pt.append(text.removeprefix("# TODO(pt):").strip())
        elif text.startswith("# TODO:"):
            en.append(text.removeprefix("# TODO:").strip())
    return en, pt


# ---------------------------------------------------------------- cells

def _meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": NBGRADER_SCHEMA,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _cell(kind: str, source: str, grade_id: str, **meta) -> dict:
    cell = {"cell_type": kind, "id": grade_id[:64],
            "metadata": _meta(grade_id, **meta), "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def test_cell_source(module: str, item: str, points: int, lang: str, timeout_scale: float) -> str:
    comment = TEST_COMMENT.format(item=item, module=module, points=points)
    scale = "" if timeout_scale == 1 else f", timeout_scale={timeout_scale!r}"
    return (f"# {comment.en}\n# {comment.pt}\n"
            "from grading.notebooks.cells import check_item\n"
            f"check_item({module!r}, {item!r}, globals(), lang={lang!r}{scale})")


def _item_markdown(module: str, item: str, points: int, parts: Parts, skipped: str | None) -> str:
    from grading.student.explanations import EXPLANATIONS

    head = ITEM_HEAD.format(item=item, points=points)
    code = parts.answers.get(item, "")
    todo_en, todo_pt = _todo_pairs(code)
    entry = EXPLANATIONS.get(item)
    entry = entry if entry is not None and entry.module == module else None
    out = [f"## {head.en} · {head.pt.split(' · ')[1]}"]
    if parts.signatures.get(item):
        out.append(f"```python\n{parts.signatures[item]}\n```")
    if skipped:
        out.append(both(NOT_GRADED.format(reason=skipped)))
    doc_en, doc_pt = split_doc(parts.docs.get(item, ""))
    en = []
    if doc_en:
        en.append(f"**{CONTRACT.en}.** " + " ".join(doc_en.split()))
    if entry is not None:
        en.append(f"**{WHAT.en}.** {entry.concept.en}")
    if todo_en:
        en.append(f"**{STEPS.en}.**\n" + "\n".join(f"1. {s}" for s in todo_en))
    pt = []
    if doc_pt:
        pt.append(f"**{CONTRACT.pt}.** " + " ".join(doc_pt.split()))
    if entry is not None:
        pt.append(f"**{WHAT.pt}.** {entry.concept.pt}")
    if todo_pt:
        pt.append(f"**{STEPS.pt}.**\n" + "\n".join(f"1. {s}" for s in todo_pt))
    if en:
        out.append("**English**\n\n" + "\n\n".join(en))
    if pt:
        out.append("**Português (pt-BR)**\n\n" + "\n\n".join(pt))
    return "\n\n".join(out)


def build_notebook(plan: ModulePlan, lang: str = "en", timeout_scale: float = 1.0) -> dict:
    """The source notebook (nbformat 4 as a dict) of one module."""
    module = plan.module
    points = plan.items()
    parts = split_module(plan.solution.read_text(encoding="utf-8"), list(points))
    order = [name for name in parts.answers] + [name for name in points if name not in parts.answers]
    total = sum(points.values())
    doc_en, doc_pt = split_doc(parts.docstring)
    intro = [f"# {module}", "**English**", doc_en or module,
             TOTAL.format(points=total, items=len(points)).en, INTRO.en,
             "**Português (pt-BR)**", *([doc_pt] if doc_pt else []),
             TOTAL.format(points=total, items=len(points)).pt, INTRO.pt]
    for sib, names in parts.siblings.items():
        note = SIBLING_NOTE.format(names=", ".join(f"`{n}`" for n in names) or f"`{sib}`", module=f"`{sib}`")
        intro += [note.en, f"*pt-BR:* {note.pt}"]
    cells = [_cell("markdown", "\n\n".join(intro), "intro", locked=True)]
    setup = SETUP_COMMENT
    cells.append(_cell("code", f"# {setup.en}\n# {setup.pt}\nfrom grading.notebooks.cells import begin\nbegin({module!r})",
                       SETUP_ID, locked=True))
    imports = IMPORTS_COMMENT.format(module=module)
    cells.append(_cell("code", f"# {imports.en}\n# {imports.pt}\n" + parts.preamble, PREAMBLE_ID, solution=True))
    for item in order:
        skipped = plan.skipped_reason(item)
        cells.append(_cell("markdown", _item_markdown(module, item, points[item], parts, skipped),
                           f"about_{item}", locked=True))
        cells.append(_cell("code", hoist_todos(parts.answers.get(item, f"# {item}\n")), f"answer_{item}",
                           solution=True))
        if points[item] > 0:
            cells.append(_cell("code", test_cell_source(module, item, points[item], lang, timeout_scale),
                               f"test_{item}", grade=True, locked=True, points=points[item]))
    for cell in cells:
        cell["source"] = cell["source"].rstrip("\n")
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC),
                     "language_info": {"name": "python"},
                     "tocha": {"module": module, "lang": lang}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def fill_answers(notebook: dict, source: str, module: str) -> dict:
    """A copy of `notebook` whose answer cells hold the code of the module `source` (a `.py`
    submission, a solution, a mutant): what a student who wrote that file would submit."""
    nb = copy.deepcopy(notebook)
    items = [c["metadata"]["nbgrader"]["grade_id"].removeprefix("answer_") for c in nb["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith("answer_")]
    parts = split_module(source, items)
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id == PREAMBLE_ID:
            cell["source"] = parts.preamble.rstrip("\n")
        elif grade_id.startswith("answer_"):
            cell["source"] = parts.answers.get(grade_id.removeprefix("answer_"), "").rstrip("\n")
    return nb


# ---------------------------------------------------------------- the course

CONFIG = '''\
# nbgrader configuration written by `tocha nbgrader` (the kit: {kit}).
# Regenerate the course with `tocha nbgrader {course} --force` after changing solutions or checks.
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = {course_id!r}

# Per-cell time limit: what a `pytest checks` run allows the longest test cell's checks (their own
# limits, x{scale}, at most the module budget together) plus a margin for the kernel. nbgrader reads Execute.timeout (ExecutePreprocessor.timeout is not applied, #1463). A test
# cell that runs out gets 0 and the notebook goes on with the next cell.
c.Execute.timeout = {timeout}

# nbgrader gives 0 to a test cell with *any* stderr output (a PyTorch UserWarning, a deprecation
# notice). The test cells compute their points themselves and keep stderr silent; this drops what
# still reaches stderr (warnings printed by the kernel, by libraries at import) before grading.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\\s\\S]*"

# The release shows exactly the kit's stubs: the # TODO lines, then `raise NotImplementedError`.
c.ClearSolutions.code_stub = {{"python": "raise NotImplementedError"}}

# Quiet autograde runs. nbgrader's gradebook warns "Object of type <SubmittedAssignment> not in
# session" for every submission (SQLAlchemy's autoflush inside nbgrader itself; harmless), and
# ipykernel 7.3+ warns on every kernel start that it talks to nbgrader over TCP without
# encryption: nbgrader's kernels get CurveZMQ keys where jupyter_client and pyzmq can provide them.
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message=r"Object of type <\\w+> not in session")
try:
    import zmq  # noqa: E402
    from jupyter_client.manager import KernelManager  # noqa: E402

    if hasattr(KernelManager, "transport_encryption") and zmq.has("curve"):
        c.KernelManager.transport_encryption = "auto"
except ImportError:
    pass
'''


def cell_timeout(plans: list[ModulePlan], timeout_scale: float = 1.0) -> int:
    from grading.engine.session import DEFAULT_MODULE_TIMEOUT_S

    budget = DEFAULT_MODULE_TIMEOUT_S * timeout_scale
    longest = max((p.cell_seconds(i, budget) for p in plans for i in p.items()), default=0.0)
    return int(math.ceil(longest + CELL_MARGIN_S))


def write_course(course: Path, *, course_id: str = "tocha", lang: str = "en", timeout_scale: float = 1.0,
                 cell_timeout_s: int | None = None, modules: list[str] | None = None,
                 kit_root: Path = KIT_ROOT, force: bool = False) -> list[Path]:
    """Write nbgrader_config.py and source/<module>/<module>.ipynb; returns the files written."""
    course = Path(course)
    config = course / "nbgrader_config.py"
    if config.exists() and not force and "tocha nbgrader" not in config.read_text(encoding="utf-8"):
        raise FileExistsError(f"{config} exists and was not written by tocha (use --force)")
    plans = [p for p in plan_course(kit_root, modules, timeout_scale) if sum(p.items().values())]
    written = []
    course.mkdir(parents=True, exist_ok=True)
    timeout = cell_timeout_s or cell_timeout(plans, timeout_scale)
    config.write_text(CONFIG.format(kit=kit_root, course=course, course_id=course_id, timeout=timeout,
                                    scale=timeout_scale), encoding="utf-8")
    written.append(config)
    for plan in plans:
        path = course / "source" / plan.module / f"{plan.module}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = build_notebook(plan, lang, timeout_scale)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def read_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_notebook(nb: dict, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- the command

HELP = Text(
    "write an nbgrader course (source notebooks and nbgrader_config.py) from solutions/ and checks/",
    "gravar um curso do nbgrader (notebooks de origem e nbgrader_config.py) a partir de solutions/ e checks/")
DESCRIPTION = Text(
    "Each module becomes source/<module>/<module>.ipynb: the solution cells nbgrader clears for the "
    "release, and one test cell per item that runs the kit's own checks on the notebook's code, worth "
    "the item's points. The kernels that run the notebooks (the students' and autograde's) need the kit "
    "installed: pip install -e PATH/TO/tocha.",
    "Cada módulo vira source/<módulo>/<módulo>.ipynb: as células de solução que o nbgrader limpa na "
    "distribuição e uma célula de teste por item, que roda as verificações do próprio kit no código do notebook e "
    "vale os pontos do item. Os kernels que rodam os notebooks (os dos alunos e o do autograde) precisam do "
    "kit instalado: pip install -e CAMINHO/DO/tocha.")


def add_command(sub) -> None:
    from grading.text import default_lang

    lang = default_lang()
    p = sub.add_parser("nbgrader", help=HELP.get(lang), description=DESCRIPTION.get(lang))
    p.add_argument("course", help="the course folder to write (created if missing)")
    p.add_argument("--course-id", default="tocha", help="nbgrader's CourseDirectory.course_id (default: tocha)")
    p.add_argument("--lang", default=None, choices=["en", "pt-BR"],
                   help="language of the test cells' hints (default: TOCHA_LANG, else LANG, else en)")
    p.add_argument("--modules", nargs="*", default=None,
                   help="only these modules, comma- or space-separated (ex01 or ex01_autograd; default: every "
                        "module with checks)")
    p.add_argument("--timeout-scale", type=float, default=1.0,
                   help="multiply every check's time limit (and so the cell time limit) for slow machines")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help="nbgrader's Execute.timeout in seconds (default: the longest test cell's checks + margin)")
    p.add_argument("--force", action="store_true", help="overwrite an nbgrader_config.py not written by tocha")
    p.set_defaults(run=_run_command)


def _run_command(args) -> int:
    from grading.text import default_lang

    from grading.curriculum import module_names

    modules = None
    if args.modules:
        known = curriculum_modules()
        modules = []
        for name in module_names(args.modules):
            match = [m for m in known if m == name or m.split("_")[0] == name]
            if not match:
                print(f"unknown module: {name} (known: {', '.join(known)})")
                return 2
            modules += [m for m in match if m not in modules]
    course = Path(args.course)
    try:
        written = write_course(course, course_id=args.course_id, lang=args.lang or default_lang(),
                               timeout_scale=args.timeout_scale, cell_timeout_s=args.cell_timeout,
                               modules=modules, force=args.force)
    except FileExistsError as exc:
        print(exc)
        return 1
    for path in written:
        print(f"wrote {path}")
    left_out = sorted(set(modules or curriculum_modules()) - {p.parent.name for p in written[1:]})
    for module in left_out:
        print(f"left out {module}: every check of it is skipped here (missing extra?)")
    print(f"next: cd {course} && nbgrader generate_assignment <module> (one per folder in source/)")
    return 0
