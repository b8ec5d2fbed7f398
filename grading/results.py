"""Verdict records, their roll-up per item, the score table and the results file.

Records are plain data (both languages kept), so they can cross a process boundary and the
language is chosen only when a person reads them.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grading.text import LANGS, SEED_NOTE, STATUS, Text

# The worst status among an item's checks names the item.
_PRECEDENCE = ["cheated", "not started", "error", "timed out", "failed", "skipped", "passed"]


@dataclass
class CheckResult:
    nodeid: str
    module: str
    item: str
    check: str
    points: int
    status: str = "passed"
    message: dict | None = None  # {"en": ..., "pt-BR": ...}
    seed: int | None = None
    duration: float = 0.0
    with_reference: list[str] = field(default_factory=list)  # items whose reference the check swapped in

    @property
    def earned(self) -> int:
        return self.points if self.status == "passed" else 0

    @property
    def graded(self) -> bool:
        return self.status != "skipped"

    def text(self, lang: str) -> str:
        if not self.message:
            return ""
        hint = Text(self.message["en"], self.message["pt-BR"])
        if self.seed is not None and self.status in ("failed", "error"):
            hint = hint + SEED_NOTE.format(seed=self.seed)
        return hint.get(lang)


@dataclass
class ItemScore:
    module: str
    item: str
    earned: int = 0
    possible: int = 0
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        return _worst(c.status for c in self.checks)

    def first_hint(self, lang: str) -> str:
        """The first failing check's hint, else a passing check's note (see note_reference_helpers)."""
        for c in self.checks:
            if c.status != "passed" and c.message:
                return c.text(lang)
        return next((c.text(lang) for c in self.checks if c.message), "")


def _worst(statuses) -> str:
    statuses = set(statuses)
    return next(s for s in _PRECEDENCE if s in statuses)


def combine(results: list[CheckResult]) -> list[CheckResult]:
    """One record per check function: its points are earned only when every case passes."""
    groups: dict[tuple[str, str, str], list[CheckResult]] = {}
    for r in results:
        groups.setdefault((r.module, r.item, r.check), []).append(r)
    combined = []
    for cases in groups.values():
        status = _worst(c.status for c in cases)
        first_bad = next((c for c in cases if c.status == status), cases[0])
        combined.append(CheckResult(
            nodeid=first_bad.nodeid, module=first_bad.module, item=first_bad.item, check=first_bad.check,
            points=max(c.points for c in cases), status=status, message=first_bad.message,
            seed=first_bad.seed, duration=sum(c.duration for c in cases), with_reference=first_bad.with_reference,
        ))
    return combined


GRADED_WITH_REFERENCE = Text(
    "graded with the reference's {names} in place of yours, which does not pass yet: see {names}.",
    "avaliado com {names} da referência no lugar do seu código, que ainda não passa: veja {names}.",
)


def note_reference_helpers(results: list[CheckResult]) -> None:
    """A check that swaps the reference's helper into the submission (`@pytest.mark.with_reference`)
    grades one item on its own; when the student's own helper fails, its passing row says so, so
    that "passed 5/5" is not read as "my whole loop works"."""
    failing = {(r.module, r.item) for r in results if r.graded and r.status != "passed"}
    for r in results:
        broken = [name for name in r.with_reference if (r.module, name) in failing]
        if broken and r.status == "passed" and not r.message:
            r.message = GRADED_WITH_REFERENCE.format(names=", ".join(broken)).as_dict()


def by_item(results: list[CheckResult]) -> list[ItemScore]:
    items: dict[tuple[str, str], ItemScore] = {}
    for r in combine(results):
        score = items.setdefault((r.module, r.item), ItemScore(r.module, r.item))
        score.checks.append(r)
        if r.graded:
            score.possible += r.points
            score.earned += r.earned
    return list(items.values())


def totals(results: list[CheckResult]) -> tuple[int, int]:
    graded = [r for r in combine(results) if r.graded]
    return sum(r.earned for r in graded), sum(r.points for r in graded)


TITLE = Text("tocha score", "nota do tocha")
HEAD = Text("module  item  points  status", "módulo  item  pontos  situação")
TOTAL = Text("TOTAL", "TOTAL")
ITEMS = Text("{n} items", "{n} itens")
ITEMS_ONE = Text("1 item", "1 item")
NOT_STARTED_ROW = Text("{names}: not started yet (pytest -v, `tocha hint ITEM` or `tocha report` for details)",
                       "{names}: ainda não iniciados (detalhes com pytest -v, `tocha hint ITEM` ou `tocha report`)")
NOT_STARTED_ROW_ONE = Text("{names}: not started yet (pytest -v, `tocha hint ITEM` or `tocha report` for details)",
                           "{names}: ainda não iniciado (detalhes com pytest -v, `tocha hint ITEM` ou `tocha report`)")


def _collapsed(items: list[ItemScore]) -> list[ItemScore | list[ItemScore]]:
    """Each module's not-started items as one group, where its first one was."""
    rows: list = []
    groups: dict[str, list[ItemScore]] = {}
    for i in items:
        if i.status != "not started":
            rows.append(i)
        elif i.module in groups:
            groups[i.module].append(i)
        else:
            groups[i.module] = [i]
            rows.append(groups[i.module])
    return [row[0] if isinstance(row, list) and len(row) == 1 else row for row in rows]


def score_table(results: list[CheckResult], lang: str, width: int = 100, detail: bool = True) -> list[str]:
    """Lines of the end-of-run table: one row per item with its first hint (without `detail`,
    one row for all the items of a module that are not started)."""
    items = by_item(results)
    if not items:
        return []
    rows = items if detail else _collapsed(items)
    names = [(ITEMS_ONE if len(r) == 1 else ITEMS.format(n=len(r))).get(lang) if isinstance(r, list) else r.item
             for r in rows]
    mod_w = max(len(i.module) for i in items) + 2
    item_w = max(len(n) for n in names) + 2
    head = HEAD.get(lang).split("  ")
    lines = [f"{head[0]:<{mod_w}}{head[1]:<{item_w}}{head[2]:>7}  {head[3]}"]
    for row, name in zip(rows, names):
        group = row if isinstance(row, list) else [row]
        earned, possible = sum(i.earned for i in group), sum(i.possible for i in group)
        status = STATUS[group[0].status].get(lang)
        lines.append(f"{group[0].module:<{mod_w}}{name:<{item_w}}{f'{earned}/{possible}':>7}  {status}")
        not_started = NOT_STARTED_ROW_ONE if len(group) == 1 else NOT_STARTED_ROW
        hint = (not_started.format(names=", ".join(i.item for i in group)).get(lang)
                if isinstance(row, list) else row.first_hint(lang))
        if hint:
            lines.append(" " * (mod_w + 2) + "→ " + _shorten(hint, width - mod_w - 4))
    earned, possible = totals(results)
    lines.append(f"{TOTAL.get(lang):<{mod_w + item_w}}{f'{earned}/{possible}':>7}")
    return lines


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= max(width, 40) * 3 else text[: max(width, 40) * 3 - 1] + "…"


def gradescope(results: list[CheckResult], lang: str, execution_time: float, containment: dict | None = None) -> dict:
    """Gradescope's results.json form (also read by the kit's other graders). `containment`: whether
    the grader's files were hidden from the submission by the kernel, and if not, why."""
    earned, possible = totals(results)
    tests = []
    for r in combine(results):
        if not r.graded:
            continue
        output = STATUS[r.status].get(lang)
        if r.text(lang):
            output += ": " + r.text(lang)
        tests.append({
            "name": f"{r.module} › {r.item} › {r.check}",
            "score": r.earned,
            "max_score": r.points,
            "status": "passed" if r.status == "passed" else "failed",
            "output": output,
            "tags": [r.module, r.item, r.status],
            "visibility": "visible",
            # the hint in both languages: tocha's own readers show it in either (Gradescope keeps it)
            "extra_data": {"hint": {lang_: r.text(lang_) for lang_ in LANGS}},
        })
    return {
        "score": earned,
        "max_score": possible,
        "execution_time": round(execution_time, 3),
        "output": f"{TITLE.get(lang)}: {earned}/{possible}",
        "tests": tests,
        **({"extra_data": {"containment": containment}} if containment else {}),
    }


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, text: str) -> None:
    """Write aside, then rename; with the permissions a plain open() gives (mkstemp's are 0600:
    a teacher's spreadsheet, a shared folder or an LMS upload must be able to read them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, payload, indent: int | None = 2) -> None:
    """The one way the kit writes a JSON file: whole or not at all (a reader never sees half of it)."""
    atomic_write(Path(path), json.dumps(payload, indent=indent, ensure_ascii=False) + "\n")

