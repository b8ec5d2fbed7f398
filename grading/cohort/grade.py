"""`tocha grade SUBMISSIONS --out DIR`: grade a whole class, and `tocha grade merge` to join the
outputs of shards graded on several machines.

Each entry of SUBMISSIONS (a folder, a student repository made by `tocha release`, or a .zip of
either; its name without .zip is the student id) is taken in by grading/cohort/intake.py: copied to a
staging folder under limits, with what is wrong with it named. The students are then graded by
long-lived jobs (grading/cohort/pool.py, grading/cohort/job.py): each job imports torch and the
checks once and forks a fresh worker per student and module, with the same checks, seeds,
timeouts and isolation as `pytest checks`. What a run leaves in DIR is in grading/cohort/outputs.py.

Resumable: the ledger (DIR/grade.json) records the digest of what was graded for each student;
a re-run skips students whose files and the kit's settings did not change (`--force` grades
everyone again), and an interrupted run keeps every student it finished. `--shard I/N` grades
every N-th student (sorted by id) from the I-th on, so the shards of one class are disjoint and
together complete; `tocha grade merge SHARD_DIR... --out DIR` joins them.
"""
from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from grading import results as res
from grading.cohort import outputs as classout
from grading.cohort.intake import Prepared, list_entries, prepare
from grading.cohort.outputs import Ledger, Row
from grading.cohort.pool import Fatal, Outcome, Pool
from grading.cohort.progress import Progress, duration
from grading.curriculum import CHECKS_DIR, discover, module_names, resolve_modules
from grading.data import KIT_ROOT
from grading.engine.cache import PACKAGE, PLUGIN, engine_files
from grading.text import Text, default_lang

WORK = ".tocha-grade"  # the jobs' logs, inside DIR (submissions are staged elsewhere: nothing in
                       # a submission's path leads to DIR)

HELP = {
    "grade": Text("grade a whole class: one entry (folder, student repository or .zip) per student",
                  "avaliar uma turma inteira: uma entrada (pasta, repositório do aluno ou .zip) por aluno"),
    "submissions": Text("folder with one entry per student; or `merge` to join shard outputs",
                        "pasta com uma entrada por aluno; ou `merge` para juntar as saídas de fatias"),
    "shards": Text("with `merge`: the output folders of the shards", "com `merge`: as pastas de saída das fatias"),
    "out": Text("output folder (grades.csv, results/, class.json)",
                "pasta de saída (grades.csv, results/, class.json)"),
    "jobs": Text("students graded at once (default: the CPU count)",
                 "alunos avaliados ao mesmo tempo (padrão: número de CPUs)"),
    "modules": Text("only these modules, comma- or space-separated (ex01,ex03_training or ex01 ex03)",
                    "só estes módulos, separados por vírgula ou espaço (ex01,ex03_training ou ex01 ex03)"),
    "student": Text("grade only this student again (their entry's name, or its path); repeatable",
                    "avaliar de novo só este aluno (o nome da entrada, ou o caminho dela); pode repetir"),
    "roster": Text("CSV mapping each entry's name to the student's id and e-mail (columns student,id,email)",
                   "CSV que liga o nome de cada entrada ao id e ao e-mail do aluno (colunas student,id,email)"),
    "export": Text("also write the gradebook CSV this LMS imports (canvas.csv, moodle.csv); repeatable",
                   "gravar também o CSV de notas que este AVA importa (canvas.csv, moodle.csv); pode repetir"),
    "assignment": Text("the assignment's name in the LMS export (default: tocha)",
                       "o nome da tarefa na exportação para o AVA (padrão: tocha)"),
    "deadline": Text("the deadline, ISO time (2026-03-01T23:59, local time unless it has a zone)",
                     "o prazo, em horário ISO (2026-03-01T23:59; hora local, se não tiver fuso horário)"),
    "late_penalty": Text("percent of the points off per day (or part of one) after --deadline",
                         "porcentagem dos pontos descontada por dia de atraso (ou fração de dia) depois de --deadline"),
    "timeout_scale": Text("multiply every check's timeout and every module's budget",
                          "multiplicar o tempo limite de cada verificação e o tempo total de cada módulo"),
    "shard": Text("grade only slice I of N (1-based), e.g. 2/4", "avaliar só a fatia I de N (a partir de 1), ex. 2/4"),
    "force": Text("grade every student again, changed or not", "avaliar todos os alunos de novo, com ou sem mudança"),
    "lang": Text("language of the hints and statuses (default: TOCHA_LANG, else LANG, else en)",
                 "idioma das dicas e situações (padrão: TOCHA_LANG, senão LANG, senão en)"),
    "device": Text("device for the checks", "dispositivo para as verificações"),
    "reference": Text("reference implementation the checks compare against (default: the kit's)",
                      "implementação de referência com que as verificações comparam (padrão: a do kit)"),
}
NOT_A_FOLDER = Text("{path} is not a folder", "{path} não é uma pasta")
BAD_SHARD = Text("--shard takes I/N with 1 ≤ I ≤ N, e.g. 2/4 (got {value!r})",
                 "--shard recebe I/N com 1 ≤ I ≤ N, ex. 2/4 (recebido {value!r})")
EXTRA_ARGS = Text("unexpected arguments: {args} (only `tocha grade merge` takes several folders)",
                  "argumentos inesperados: {args} (só `tocha grade merge` recebe várias pastas)")
SETTINGS_CHANGED = Text("the kit or the settings changed since the last run in {out}: every student is graded again",
                        "o kit ou as opções mudaram desde a última execução em {out}: todos os alunos serão "
                        "avaliados de novo")
START = Text("{todo} to grade, {unchanged} unchanged (skipped) · {jobs} job(s) · modules: {modules}",
             "a avaliar: {todo}; sem mudança (pulados): {unchanged} · processos: {jobs} · módulos: {modules}")
DONE_LINE = Text("{student}: {total}/{max_score} · {status}", "{student}: {total}/{max_score} · {status}")
FAILED_LINE = Text("{student}: {status}", "{student}: {status}")
SUMMARY = Text("{graded} graded in {elapsed}, {unchanged} unchanged, {failed} not graded · wrote {out}/grades.csv, "
               "{out}/results/, {out}/class.json",
               "avaliados: {graded} em {elapsed}; sem mudança: {unchanged}; não avaliados: {failed} · gravados "
               "{out}/grades.csv, {out}/results/, {out}/class.json")
INTERRUPTED = Text("interrupted: {graded} graded and kept; run the same command again to grade the rest",
                   "interrompido; alunos já avaliados e guardados: {graded}. Rode o mesmo comando de novo para avaliar o restante")
FATAL = Text("tocha grade cannot grade here: {why}", "tocha grade não consegue avaliar aqui: {why}")
NOT_HIDDEN = Text("note: this machine did not hide the reference and its recorded answers from the students' code "
                  "({why}); the audit hook alone watched for them (grading/sandbox/namespaces.py)",
                  "atenção: esta máquina não escondeu a referência e suas respostas gravadas do código dos alunos "
                  "({why}); só o audit hook as vigiou (grading/sandbox/namespaces.py)")
UNKNOWN_STUDENT = Text("no entry for --student {names}", "nenhuma entrada para --student {names}")
BAD_OPTION = Text("tocha grade: bad option: {why}", "tocha grade: opção inválida: {why}")
NO_LEDGER = Text("{path} is not the output of `tocha grade` (no grade.json)",
                 "{path} não é a saída de `tocha grade` (falta grade.json)")
MERGE_SETTINGS = Text("{path} was graded with other settings or another kit than {first}",
                      "{path} foi avaliado com opções ou kit diferentes dos de {first}")
MERGE_SHARDS = Text("shards are missing or repeated: expected 1..{n} of {n}, got {got}",
                    "fatias faltando ou repetidas: esperadas 1..{n} de {n}, recebidas {got}")
MERGE_TWICE = Text("{student} appears in {a} and in {b}", "{student} aparece em {a} e em {b}")
MERGE_INTO_SHARD = Text("--out must not be one of the shard folders", "--out não pode ser uma das pastas das fatias")
MERGED = Text("merged {shards} shard(s), {students} students · wrote {out}/grades.csv, {out}/results/, "
              "{out}/class.json",
              "fatias juntadas: {shards}; alunos: {students} · gravados {out}/grades.csv, {out}/results/, "
              "{out}/class.json")


def add_command(sub) -> None:
    lang = default_lang()
    h = {key: text.get(lang) for key, text in HELP.items()}
    p = sub.add_parser("grade", help=h["grade"], description=h["grade"])
    p.add_argument("submissions", metavar="SUBMISSIONS", help=h["submissions"])
    p.add_argument("shards", nargs="*", metavar="SHARD_DIR", help=h["shards"])
    p.add_argument("--out", required=True, help=h["out"])
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help=h["jobs"])
    p.add_argument("--modules", nargs="+", default=None, metavar="MODULE", help=h["modules"])
    p.add_argument("--student", action="append", default=None, metavar="NAME", help=h["student"])
    p.add_argument("--roster", default=None, metavar="CSV", help=h["roster"])
    p.add_argument("--export", action="append", default=[], choices=classout.EXPORTS, help=h["export"])
    p.add_argument("--assignment", default="tocha", help=h["assignment"])
    p.add_argument("--deadline", default=None, metavar="ISO", help=h["deadline"])
    p.add_argument("--late-penalty", type=float, default=0.0, metavar="PCT_PER_DAY", help=h["late_penalty"])
    p.add_argument("--timeout-scale", type=float, default=1.0, help=h["timeout_scale"])
    p.add_argument("--shard", default=None, metavar="I/N", help=h["shard"])
    p.add_argument("--force", action="store_true", help=h["force"])
    p.add_argument("--lang", choices=["en", "pt-BR"], default=None, help=h["lang"])
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto", help=h["device"])
    p.add_argument("--reference", default=None, help=h["reference"])
    p.set_defaults(run=cmd_grade)


# ---------------------------------------------------------------- settings

def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(value)
    return int(match[1]), int(match[2])


def shard_of(students: list[str], shard: tuple[int, int] | None) -> list[str]:
    """Every N-th student of the sorted class, from the I-th: disjoint shards that cover the class."""
    if shard is None:
        return students
    index, count = shard
    return sorted(students)[index - 1::count]


def kit_digest(modules: list[str], reference: str | None) -> str:
    """What the verdicts depend on besides the submission: the checks (and any recorded
    reference results beside them), the engine, the reference, torch and Python."""
    digest = hashlib.sha256()
    ref = Path(reference).expanduser().resolve() if reference else KIT_ROOT / "solutions"
    check_files = [CHECKS_DIR / f"test_{m}.py" for m in modules]
    files = [p for p in CHECKS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and not (p.parent == CHECKS_DIR and p.name.startswith("test_") and p not in check_files)]
    files += engine_files([PLUGIN, PACKAGE / "cohort" / "job.py", *check_files])
    files += list(ref.glob("*.py")) if ref.is_dir() else []
    for path in sorted(set(files)):
        digest.update(str(path.relative_to(path.parents[1])).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    try:
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch_version = "?"
    digest.update(f"{','.join(modules)}\0{torch_version}\0{platform.python_version()}".encode())
    return digest.hexdigest()


def job_settings(args, modules: list[str], lang: str) -> tuple[list[str], dict]:
    """The jobs' pytest arguments and environment."""
    argv = [str(CHECKS_DIR / f"test_{m}.py") for m in modules]
    argv += ["--timeout-scale", str(args.timeout_scale), "--device", args.device]
    if args.reference:
        argv += ["--reference", str(Path(args.reference).expanduser().resolve())]
    env = {**os.environ, "TOCHA_LANG": lang, "PYTHONDONTWRITEBYTECODE": "1"}
    # the jobs share the cores (the plugin makes waiting OpenMP threads sleep, never spin)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(1, args.jobs))))
    return argv, env


# ---------------------------------------------------------------- one run

class _Run:
    def __init__(self, args, out: Path, lang: str, modules: list[str], config: dict):
        self.args, self.out, self.lang, self.modules, self.config = args, out, lang, modules, config
        self.ledger = Ledger(config=config, shard=args.shard)
        self.prepared: dict[str, Prepared] = {}
        self.graded = self.failed = self.unchanged = 0
        self.elapsed, self.fatal = 0.0, ""
        self.not_hidden: str | None = None  # why a job could not hide the grader's folders, if one could not
        self.taken_in = False  # the ledger on disk is this run's (until then it is the last run's)
        self.progress: Progress | None = None
        self.submitted: dict[str, str] = {}
        self.curriculum = discover(CHECKS_DIR)

    def chosen(self, by_student: dict) -> set[str] | None:
        """The students --student names (an entry's name or its path), or None: everyone."""
        if not self.args.student:
            return None
        names = {Path(name).name.removesuffix(".zip") for name in self.args.student}
        unknown = names - set(by_student)
        if unknown:
            raise Fatal(UNKNOWN_STUDENT.format(names=", ".join(sorted(unknown))).get(self.lang))
        return names

    def intake(self, entries, shard, before: Ledger | None, staging: Path,
               curriculum: list[str]) -> list[tuple[str, str]]:
        """Stage every student of this shard; keep the ones whose digest did not change (unless
        --force). Returns (student, root) for those to grade."""
        by_student = {e.student: e for e in entries if self.out not in [q.resolve() for q in e.paths]}
        chosen = self.chosen(by_student)
        work = []
        for student in shard_of(list(by_student), shard):
            old = before.students.get(student) if before is not None else None
            if chosen is not None and student not in chosen:  # --student: everyone else stays as graded
                if old is not None:
                    self.ledger.students[student] = old
                continue
            prepared = prepare(by_student[student], staging / student, self.modules, curriculum)
            self.submitted[student] = submitted_at(by_student[student])
            if (not self.args.force and chosen is None and old is not None and old.graded
                    and old.digest == prepared.digest
                    and classout.results_path(self.out, student).is_file()):
                self.ledger.students[student] = old
                shutil.rmtree(prepared.root, ignore_errors=True)
                continue
            self.prepared[student] = prepared
            work.append((student, str(prepared.root)))
        self.unchanged = len(self.ledger.students)
        self.ledger.save(self.out)
        self.taken_in = True
        return work

    def grade(self, work: list[tuple[str, str]], stream) -> int:
        """0: every student graded; 1: some could not be (their rows say why); 2: nothing could."""
        jobs = max(1, min(self.args.jobs, len(work))) if work else 0
        stream.write(START.format(todo=len(work), unchanged=self.unchanged, jobs=jobs,
                                  modules=", ".join(self.modules)).get(self.lang) + "\n")
        self.progress = Progress(len(work), self.lang, stream)
        started = time.monotonic()
        if work:
            argv, env = job_settings(self.args, self.modules, self.lang)
            try:
                Pool(jobs, argv, env, KIT_ROOT, self.out / WORK / "logs").run(work, self.finished, self.progress.tick)
            except Fatal as exc:
                self.fatal = str(exc)
                return 2
        self.elapsed = time.monotonic() - started
        return 1 if self.failed else 0

    def finished(self, outcome: Outcome) -> None:
        prepared = self.prepared.pop(outcome.student)
        result = classout.results_path(self.out, outcome.student)
        if outcome.records is None:
            row = Row(status=outcome.failure.as_dict(), gradable=prepared.gradable)
            result.unlink(missing_ok=True)
            self.failed += 1
            line = FAILED_LINE.format(student=outcome.student, status=outcome.failure.get(self.lang))
        else:
            records = [res.CheckResult(**r) for r in outcome.records]
            payload = res.gradescope(records, self.lang, outcome.elapsed_s, outcome.containment)
            if outcome.containment and not outcome.containment.get("files_hidden"):
                self.not_hidden = self.not_hidden or str(outcome.containment.get("why"))
            status = prepared.status_text()
            if prepared.problems:
                payload["output"] += " · " + status.get(self.lang)
            res.write_json(result, payload)
            classout.write_feedback(self.out, outcome.student, payload, self.lang, self.curriculum, self.modules)
            row = classout.scored_row(records, status, prepared.digest, prepared.gradable,
                                      sum(r.duration for r in records), outcome.elapsed_s)
            self.graded += 1
            line = DONE_LINE.format(student=outcome.student, total=row.total, max_score=row.max_score,
                                    status=status.get(self.lang))
        row.submitted_at, row.graded_at = self.submitted.get(outcome.student, ""), classout.now_iso()
        self.ledger.students[outcome.student] = row  # after the results file: never marked graded without it
        self.ledger.save(self.out)
        shutil.rmtree(prepared.root, ignore_errors=True)
        self.progress.step(line.get(self.lang))


def cmd_grade(args, stream=None) -> int:
    stream = stream if stream is not None else sys.stderr
    lang = args.lang or default_lang()
    if args.submissions == "merge":
        return cmd_merge(args, lang, stream)
    if args.shards:
        return _fail(EXTRA_ARGS.format(args=" ".join(args.shards)), lang, stream)
    try:
        shard = parse_shard(args.shard)
    except ValueError:
        return _fail(BAD_SHARD.format(value=args.shard), lang, stream)
    submissions, out = Path(args.submissions).expanduser(), Path(args.out).expanduser().resolve()
    if not submissions.is_dir():
        return _fail(NOT_A_FOLDER.format(path=submissions), lang, stream)
    curriculum = discover(CHECKS_DIR)
    modules = resolve_modules(module_names(args.modules), curriculum)
    try:
        outputs = classout.Outputs(classout.load_roster(Path(args.roster)) if args.roster else {},
                                   classout.LatePolicy.parse(args.deadline, args.late_penalty),
                                   tuple(dict.fromkeys(args.export)), args.assignment)
    except (OSError, ValueError) as exc:
        return _fail(BAD_OPTION.format(why=exc), lang, stream)
    config = {"modules": modules, "lang": lang, "timeout_scale": args.timeout_scale, "device": args.device,
              "reference": str(Path(args.reference).expanduser().resolve()) if args.reference else None,
              "kit": kit_digest(modules, args.reference)}
    out.mkdir(parents=True, exist_ok=True)
    before = Ledger.load(out)
    if before is not None and before.config != config:
        stream.write(SETTINGS_CHANGED.format(out=out).get(lang) + "\n")
        before = None
    run = _Run(args, out, lang, modules, config)
    staging = Path(tempfile.mkdtemp(prefix="tocha-grade-"))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        work = run.intake(list_entries(submissions), shard, before, staging, list(curriculum))
        code = run.grade(work, stream)
    except KeyboardInterrupt:
        code = 130
    except Fatal as exc:  # --student names no entry
        run.fatal, code = str(exc), 2
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(staging, ignore_errors=True)
        if run.taken_in:
            classout.write_summaries(out, run.ledger, modules, lang, curriculum, outputs)
    if run.progress is not None:
        run.progress.close()
    if code == 130:
        stream.write(INTERRUPTED.format(graded=run.graded).get(lang) + "\n")
    elif code == 2:
        stream.write(FATAL.format(why=run.fatal).get(lang) + "\n")
    else:
        stream.write(SUMMARY.format(graded=run.graded, elapsed=duration(run.elapsed), unchanged=run.unchanged,
                                    failed=run.failed, out=out).get(lang) + "\n")
    if run.not_hidden is not None:
        stream.write(NOT_HIDDEN.format(why=run.not_hidden).get(lang) + "\n")
    return code


def submitted_at(entry) -> str:
    """When the entry was handed in: the newest modification time of its files (a folder's,
    links not followed, version-control folders left out) or of the .zip itself."""
    newest = 0.0
    for path in entry.paths:
        if not path.is_dir():
            newest = max(newest, path.lstat().st_mtime)
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d not in (".git", ".hg", "__pycache__")]
            for name in files:
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except OSError:
                    pass
    if not newest:
        return ""
    return datetime.datetime.fromtimestamp(newest).astimezone().isoformat(timespec="seconds")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _fail(text: Text, lang: str, stream) -> int:
    stream.write(text.get(lang) + "\n")
    return 2


# ---------------------------------------------------------------- merge

def cmd_merge(args, lang: str, stream) -> int:
    out = Path(args.out).expanduser().resolve()
    folders = [Path(s).expanduser().resolve() for s in args.shards]
    if out in folders:
        return _fail(MERGE_INTO_SHARD, lang, stream)
    ledgers = []
    for folder in folders:
        ledger = Ledger.load(folder)
        if ledger is None:
            return _fail(NO_LEDGER.format(path=folder), lang, stream)
        if ledgers and ledger.config != ledgers[0].config:
            return _fail(MERGE_SETTINGS.format(path=folder, first=folders[0]), lang, stream)
        ledgers.append(ledger)
    if not ledgers:
        return _fail(NO_LEDGER.format(path="(none)"), lang, stream)
    shards = [parse_shard(ledger.shard) if ledger.shard else None for ledger in ledgers]
    if any(shards):
        count = shards[0][1] if shards[0] else 0
        got = sorted(f"{s[0]}/{s[1]}" if s else "-" for s in shards)
        if any(s is None or s[1] != count for s in shards) or sorted(s[0] for s in shards) != list(range(1, count + 1)):
            return _fail(MERGE_SHARDS.format(n=count, got=", ".join(got)), lang, stream)
    config = ledgers[0].config
    merged = Ledger(config=config, shard=None, merged_from=[str(f) for f in folders])
    origin: dict[str, Path] = {}
    for folder, ledger in zip(folders, ledgers):
        for student, row in ledger.students.items():
            if student in origin:
                return _fail(MERGE_TWICE.format(student=student, a=origin[student], b=folder), lang, stream)
            origin[student] = folder
            merged.students[student] = row
    out.mkdir(parents=True, exist_ok=True)
    for student, row in merged.students.items():
        source = classout.results_path(origin[student], student)
        if row.graded and source.is_file():
            target = classout.results_path(out, student)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    merged.save(out)
    classout.write_summaries(out, merged, config["modules"], config.get("lang", lang), discover(CHECKS_DIR))
    stream.write(MERGED.format(shards=len(folders), students=len(merged.students), out=out).get(lang) + "\n")
    return 0
