"""What a `tocha grade` run leaves in its output folder, and reading it back.

    DIR/grade.json            the run's ledger: its settings, and per student the digest of what
                              was graded, the status and the points (a re-run reads it to skip
                              students whose files did not change; `tocha grade merge` joins them)
    DIR/results/<id>.json     each student's results, the form `pytest checks --score-json` writes
    DIR/grades.csv            student, one column per module (points), total, max_score, status
    DIR/class.json            the class statistics (grading/classstats.py)

Every file is replaced atomically (written aside, then renamed), and a student's entry in the
ledger is written only after their results file: an interrupted run loses nothing it graded and
never leaves a student marked as graded without results.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import results as res
from .text import Text

SCHEMA = "tocha/grade/v1"
LEDGER = "grade.json"


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, payload) -> None:
    atomic_write(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


@dataclass
class Row:
    """One student's line in the ledger and in grades.csv."""
    status: dict                      # {"en": ..., "pt-BR": ...}; "ok" when nothing was wrong
    digest: str = ""                  # of what was graded ("" when it could not be graded)
    gradable: bool = True             # False: nothing of the student's reached the checks
    modules: dict = field(default_factory=dict)   # module -> [earned, possible]
    total: int | None = None
    max_score: int | None = None
    checks_s: float = 0.0             # the checks' own time
    elapsed_s: float = 0.0            # the student's wall time in the job

    def status_of(self, lang: str) -> str:
        return Text(self.status["en"], self.status["pt-BR"]).get(lang)

    @property
    def graded(self) -> bool:
        return self.total is not None


@dataclass
class Ledger:
    config: dict
    shard: str | None = None
    students: dict[str, Row] = field(default_factory=dict)
    merged_from: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "config": self.config, "shard": self.shard, "merged_from": self.merged_from,
                "students": {s: asdict(r) for s, r in sorted(self.students.items())}}

    @classmethod
    def load(cls, folder: Path) -> "Ledger | None":
        try:
            data = json.loads((Path(folder) / LEDGER).read_text(encoding="utf-8"))
            if data.get("schema") != SCHEMA:
                return None
            return cls(config=data["config"], shard=data.get("shard"), merged_from=data.get("merged_from", []),
                       students={s: Row(**r) for s, r in data["students"].items()})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, folder: Path) -> None:
        write_json(Path(folder) / LEDGER, self.to_json())


def results_path(folder: Path, student: str) -> Path:
    return Path(folder) / "results" / f"{student}.json"


def scored_row(records: list[res.CheckResult], status: Text, digest: str, gradable: bool,
               checks_s: float, elapsed_s: float) -> Row:
    modules: dict[str, list[int]] = {}
    for item in res.by_item(records):
        points = modules.setdefault(item.module, [0, 0])
        points[0] += item.earned
        points[1] += item.possible
    total, possible = res.totals(records)
    return Row(status=status.as_dict(), digest=digest, gradable=gradable, modules=modules, total=total,
               max_score=possible, checks_s=round(checks_s, 3), elapsed_s=round(elapsed_s, 3))


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a file named `=cmd|…` is the student's)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def grades_csv(ledger: Ledger, modules: list[str], lang: str) -> str:
    """student, one column per module (points earned), total, max_score, status; sorted by student."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *modules, "total", "max_score", "status"])
    for student, row in sorted(ledger.students.items()):
        if row.graded:
            points = [row.modules.get(m, [0, 0])[0] for m in modules]
            writer.writerow([_cell(student), *points, row.total, row.max_score, _cell(row.status_of(lang))])
        else:
            writer.writerow([_cell(student), *[""] * len(modules), "", "", _cell(row.status_of(lang))])
    return out.getvalue()


def write_summaries(folder: Path, ledger: Ledger, modules: list[str], lang: str, curriculum: dict) -> None:
    """grades.csv and class.json from the ledger and the results files."""
    from .classstats import summarize

    folder = Path(folder)
    atomic_write(folder / "grades.csv", grades_csv(ledger, modules, lang))
    payloads, statuses = {}, {}
    for student, row in ledger.students.items():
        path = results_path(folder, student)
        statuses[student] = row.status_of(lang)
        if row.graded and row.gradable and path.is_file():  # an entry with nothing to grade is no 0 % in the rates
            payloads[student] = json.loads(path.read_text(encoding="utf-8"))
    write_json(folder / "class.json", summarize(payloads, statuses, {m: curriculum.get(m, {}) for m in modules}))
