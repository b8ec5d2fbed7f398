"""What a `tocha grade` run leaves in its output folder, and reading it back.

    DIR/grade.json            the run's ledger: its settings, and per student the digest of what
                              was graded, the status and the points (a re-run reads it to skip
                              students whose files did not change; `tocha grade merge` joins them)
    DIR/results/<id>.json     each student's results, the form `pytest checks --score-json` writes
    DIR/feedback/<id>.html    each student's feedback page (the page `tocha report` writes)
    DIR/grades.csv            student, student_id, email (from --roster), one column per module
                              (points), total, max_score, percent, submitted_at, late_days,
                              penalty_percent, final, graded_at, status
    DIR/canvas.csv, DIR/moodle.csv   with --export: the gradebook those LMSs import
    DIR/class.json            the class statistics (grading/cohort/stats.py)

Every file is replaced atomically (written aside, then renamed), and a student's entry in the
ledger is written only after their results file: an interrupted run loses nothing it graded and
never leaves a student marked as graded without results.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grading import results as res
from grading.results import atomic_write, write_json
from grading.text import Text

SCHEMA = "tocha/grade/v1"
LEDGER = "grade.json"


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
    submitted_at: str = ""            # ISO time of the newest file handed in (or of the .zip)
    graded_at: str = ""               # ISO time the student was graded

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


def feedback_path(folder: Path, student: str) -> Path:
    return Path(folder) / "feedback" / f"{student}.html"


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _when(value: str) -> dt.datetime:
    """An ISO time; one without a zone is local time."""
    moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.astimezone()


# ---------------------------------------------------------------- roster and late policy

@dataclass
class Student:
    """A student as the teacher's roster knows them."""
    id: str = ""
    email: str = ""


def load_roster(path: Path) -> dict[str, Student]:
    """folder name -> Student, from a CSV whose header names the folder column (`student`,
    `folder` or `name`), the id (`id`, `student_id`) and the e-mail (`email`, `e-mail`); without
    such a header the columns are folder, id, email in that order."""
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}
    head = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    has_head = bool(set(head) & _ROSTER_HEADS)

    def column(names: tuple[str, ...], default: int) -> int | None:
        return next((head.index(n) for n in names if n in head), None) if has_head else default

    folder, ident = column(("student", "folder", "name"), 0), column(("student_id", "id"), 1)
    email = column(("email", "e-mail", "mail"), 2)
    roster = {}
    for row in rows[1:] if has_head else rows:
        def cell(k: int | None) -> str:
            return row[k].strip() if k is not None and k < len(row) else ""
        if cell(folder):
            roster[cell(folder)] = Student(cell(ident), cell(email))
    return roster


_ROSTER_HEADS = {"student", "folder", "name", "student_id", "id", "email", "e-mail", "mail"}


@dataclass
class LatePolicy:
    """`per_day` percent of the points off for each day (or part of one) after `deadline`."""
    deadline: dt.datetime
    per_day: float = 0.0

    @classmethod
    def parse(cls, deadline: str | None, per_day: float | None) -> "LatePolicy | None":
        return cls(_when(deadline), float(per_day or 0.0)) if deadline else None

    def late_days(self, submitted_at: str) -> int:
        if not submitted_at:
            return 0
        late = (_when(submitted_at) - self.deadline).total_seconds()
        return math.ceil(late / 86400) if late > 0 else 0

    def penalty(self, submitted_at: str) -> float:
        return min(100.0, self.late_days(submitted_at) * self.per_day)


def final_points(row: Row, policy: LatePolicy | None) -> float:
    penalty = policy.penalty(row.submitted_at) if policy else 0.0
    return round((row.total or 0) * (1 - penalty / 100), 2)


def _number(value: float) -> str:
    return f"{value:g}"


def grades_csv(ledger: Ledger, modules: list[str], lang: str, roster: dict[str, Student] | None = None,
               policy: LatePolicy | None = None) -> str:
    """One row per student, sorted: the roster's id and e-mail, points per module, total,
    max_score, percent, when it was handed in and how late, the final points after the late
    penalty, when it was graded, and the status."""
    roster = roster or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "student_id", "email", *modules, "total", "max_score", "percent", "submitted_at",
                     "late_days", "penalty_percent", "final", "graded_at", "status"])
    for student, row in sorted(ledger.students.items()):
        who = roster.get(student, Student())
        late = policy.late_days(row.submitted_at) if policy else 0
        if row.graded:
            points = [row.modules.get(m, [0, 0])[0] for m in modules]
            percent = _number(round(100 * row.total / row.max_score, 1)) if row.max_score else ""
            scores = [row.total, row.max_score, percent]
            final = [late, _number(policy.penalty(row.submitted_at) if policy else 0.0), _number(final_points(row, policy))]
        else:
            points, scores, final = [""] * len(modules), ["", "", ""], [late, "", ""]
        writer.writerow([_cell(student), _cell(who.id), _cell(who.email), *points, *scores, row.submitted_at,
                         final[0], final[1], final[2], row.graded_at, _cell(row.status_of(lang))])
    return out.getvalue()


EXPORTS = ("canvas", "moodle")


def gradebook_csv(kind: str, ledger: Ledger, roster: dict[str, Student], policy: LatePolicy | None,
                  assignment: str) -> str:
    """The gradebook CSV an LMS imports: one column of final points for `assignment`.

    canvas: Canvas's gradebook layout (Student, ID, SIS User ID, SIS Login ID, Section, then the
    assignment, with a `Points Possible` row); the roster's id goes to SIS User ID and its e-mail
    to SIS Login ID, which Canvas matches students by. moodle: the columns Moodle's CSV grade
    import maps (`ID number`, `Email address`, the assignment, `Feedback comments`): choose
    "Email address" or "ID number" under "Identify user by" and the assignment under "Grade item".
    Students not graded get an empty cell (the LMS leaves their grade alone)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    possible = max((r.max_score or 0 for r in ledger.students.values()), default=0)
    if kind == "canvas":
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
        writer.writerow(["Points Possible", "", "", "", "", possible])
    else:
        writer.writerow(["ID number", "Email address", "Username", assignment, "Feedback comments"])
    for student, row in sorted(ledger.students.items()):
        who = roster.get(student, Student())
        score = _number(final_points(row, policy)) if row.graded else ""
        if kind == "canvas":
            writer.writerow([_cell(student), "", _cell(who.id), _cell(who.email), "", score])
        else:
            writer.writerow([_cell(who.id), _cell(who.email), _cell(student), score, _cell(row.status_of("en"))])
    return out.getvalue()


@dataclass
class Outputs:
    """What the teacher asked for beyond grades.csv and class.json."""
    roster: dict[str, Student] = field(default_factory=dict)
    policy: LatePolicy | None = None
    exports: tuple[str, ...] = ()
    assignment: str = "tocha"


def write_summaries(folder: Path, ledger: Ledger, modules: list[str], lang: str, curriculum: dict,
                    outputs: Outputs | None = None) -> None:
    """grades.csv, class.json and the LMS exports from the ledger and the results files."""
    from grading.cohort.stats import summarize

    outputs = outputs or Outputs()
    folder = Path(folder)
    atomic_write(folder / "grades.csv", grades_csv(ledger, modules, lang, outputs.roster, outputs.policy))
    for kind in outputs.exports:
        atomic_write(folder / f"{kind}.csv", gradebook_csv(kind, ledger, outputs.roster, outputs.policy,
                                                           outputs.assignment))
    payloads, statuses = {}, {}
    for student, row in ledger.students.items():
        path = results_path(folder, student)
        statuses[student] = row.status_of(lang)
        if row.graded and row.gradable and path.is_file():  # an entry with nothing to grade is no 0 % in the rates
            payloads[student] = json.loads(path.read_text(encoding="utf-8"))
    write_json(folder / "class.json", summarize(payloads, statuses, {m: curriculum.get(m, {}) for m in modules},
                                                lang=lang))


def write_feedback(folder: Path, student: str, payload: dict, lang: str, curriculum: dict,
                   modules: list[str]) -> Path:
    """The student's feedback page: the page `tocha report` writes, from their results (offline,
    no loss curves: their code is not run again)."""
    from grading.curriculum import parse_results
    from grading.student.report import build_html

    results = list(parse_results(payload, lang, curriculum, modules).values())
    path = feedback_path(folder, student)
    atomic_write(path, build_html(results, Path(student), lang))
    return path
