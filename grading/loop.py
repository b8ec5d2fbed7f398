"""The student's loop: `tocha status`, `tocha watch`, `tocha hint` (and the data `tocha report` uses).

Everything here stands on the results file the pytest plugin writes (`--score-json`, Gradescope's
form: per row `tags = [module, item, status]`, `output = status + ": " + hint`). The checks always
run in a `python -m pytest` subprocess: student code is never imported in this process.

The commands grade the kit the student stands in: the first folder from the current one upward
that holds checks/ and exercises/ (the installed kit when there is none), and say which.

Results are cached per module (TOCHA_CACHE, else ~/.cache/tocha), keyed by a fingerprint of
everything that can change the verdict: the module's file and the sibling files it imports, the
reference's, the check file and the grading engine. `tocha status` re-runs only what changed.
Hints are kept in both languages, so switching `--lang` re-runs nothing, and a plain
`pytest checks` run refreshes the same cache (grading/plugin.py).
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .data import KIT_ROOT, find_kit, resolve_root
from .text import LANGS, STATUS, Text, default_lang

CHECKS_DIR = KIT_ROOT / "checks"
# Worst status first: the worst among an item's checks names the item (as in the score table).
PRECEDENCE = ["cheated", "not started", "error", "timed out", "failed", "skipped", "passed"]
RUN_TIMEOUT_S = 1800


# ---------------------------------------------------------------- curriculum from checks/

def _item_marker(node: ast.AST):
    """(name, points) when `node` is a call like item("name", points=N) or pytest.mark.item(...)."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    named = (isinstance(func, ast.Name) and func.id == "item") or (
        isinstance(func, ast.Attribute) and func.attr == "item")
    first = node.args[0]
    if not named or not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return None
    points = 1
    for kw in node.keywords:
        if kw.arg == "points" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
            points = kw.value.value
    return first.value, points


def discover(checks_dir: Path = CHECKS_DIR) -> dict[str, dict[str, int]]:
    """{module: {item: points}} in file and check order, read from the check files' markers."""
    curriculum: dict[str, dict[str, int]] = {}
    for path in sorted(Path(checks_dir).glob("test_*.py")):
        module = path.stem.removeprefix("test_")
        items: dict[str, int] = {}
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            curriculum[module] = items
            continue
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for deco in node.decorator_list:
                found = _item_marker(deco)
                if found:
                    items[found[0]] = items.get(found[0], 0) + found[1]
        curriculum[module] = items
    return curriculum


def module_names(values) -> list[str]:
    """Module names as a teacher types them: comma- or space-separated (`ex01,ex03` or `ex01 ex03`)."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def resolve_modules(names, curriculum) -> list[str]:
    """Module names or prefixes (`ex03`, `ex03_training`) to curriculum modules, in order."""
    if not names:
        return list(curriculum)
    chosen = []
    for name in names:
        stem = Path(name).stem.removeprefix("test_")
        matches = [m for m in curriculum if m == stem or m.startswith(stem + "_") or m.startswith(stem)]
        if not matches:
            raise SystemExit(UNKNOWN_MODULE.format(name=name, modules=", ".join(curriculum)).get(default_lang()))
        for m in matches[:1]:
            if m not in chosen:
                chosen.append(m)
    return [m for m in curriculum if m in chosen]


def current_kit() -> tuple[Path, bool]:
    """(the kit to grade, whether it was found from the current folder upward)."""
    found = find_kit()
    return (found, True) if found is not None else (KIT_ROOT, False)


# ---------------------------------------------------------------- results

@dataclass
class ItemResult:
    module: str
    item: str
    earned: int = 0
    possible: int = 0
    status: str = "skipped"
    hint: str = ""  # in the language asked for
    checks: list[dict] = field(default_factory=list)
    hints: dict = field(default_factory=dict)  # {"en": ..., "pt-BR": ...}

    @property
    def done(self) -> bool:
        return self.status in ("passed", "skipped")


@dataclass
class ModuleResult:
    module: str
    items: list[ItemResult] = field(default_factory=list)
    problem: str = ""  # the checks could not run at all (in the language asked for)
    fingerprint: str = ""
    seconds: float = 0.0
    problems: dict = field(default_factory=dict)  # the problem in each language

    @property
    def earned(self) -> int:
        return sum(i.earned for i in self.items)

    @property
    def possible(self) -> int:
        return sum(i.possible for i in self.items)

    @property
    def complete(self) -> bool:
        return not self.problem and all(i.done for i in self.items)

    @property
    def counted(self) -> bool:
        return any(i.status != "skipped" for i in self.items) or bool(self.problem)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, lang: str = "en") -> "ModuleResult":
        items = [ItemResult(**i) for i in data.get("items", [])]
        return cls(data["module"], items, data.get("problem", ""), data.get("fingerprint", ""),
                   data.get("seconds", 0.0), data.get("problems", {})).localize(lang)

    def localize(self, lang: str) -> "ModuleResult":
        """Every hint and the problem in `lang` (where the results carry it)."""
        for item in self.items:
            item.hint = item.hints.get(lang, item.hint)
            for check in item.checks:
                check["hint"] = check.get("hints", {}).get(lang, check["hint"])
        self.problem = self.problems.get(lang, self.problem)
        return self


def _strip_status(output: str, status: str, lang: str) -> str:
    label_of = STATUS.get(status, Text(status, status))
    for label in (label_of.get(lang), *(label_of.get(other) for other in LANGS), status):
        if output == label:
            return ""
        if output.startswith(label + ": "):
            return output[len(label) + 2:]
    return output


def _hints(test: dict, status: str, lang: str) -> dict:
    """A row's hint in every language it carries (`extra_data.hint`, else `output` in `lang`)."""
    both = (test.get("extra_data") or {}).get("hint") if isinstance(test.get("extra_data"), dict) else None
    if isinstance(both, dict) and all(isinstance(both.get(lg), str) for lg in LANGS):
        return {lg: both[lg] for lg in LANGS}
    return {lang: _strip_status(str(test.get("output", "")), status, lang)}


def parse_results(payload: dict, lang: str, curriculum: dict[str, dict[str, int]],
                  modules: list[str] | None = None) -> dict[str, ModuleResult]:
    """Gradescope results -> one ModuleResult per module, items in curriculum order.

    Items with no row (every check skipped, e.g. an optional module without its extra) are
    'skipped' with no points.
    """
    rows: dict[tuple[str, str], list[dict]] = {}
    order: list[str] = []
    for test in payload.get("tests", []):
        tags = test.get("tags") or []
        if len(tags) < 3:
            continue
        module, item, status = tags[0], tags[1], tags[2]
        if module not in order:
            order.append(module)
        hints = _hints(test, status, lang)
        rows.setdefault((module, item), []).append({
            "check": str(test.get("name", "")).split(" › ")[-1],
            "score": test.get("score", 0) or 0,
            "max_score": test.get("max_score", 0) or 0,
            "status": status,
            "hint": hints.get(lang, next(iter(hints.values()))),
            "hints": hints,
        })
    wanted = modules if modules is not None else [m for m in curriculum if m in order] + [
        m for m in order if m not in curriculum]
    out: dict[str, ModuleResult] = {}
    for module in wanted:
        names = list(curriculum.get(module, {}))
        names += [i for (m, i) in rows if m == module and i not in names]
        result = ModuleResult(module)
        for name in names:
            checks = rows.get((module, name), [])
            item = ItemResult(module, name, checks=checks)
            if checks:
                item.earned = int(sum(c["score"] for c in checks))
                item.possible = int(sum(c["max_score"] for c in checks))
                statuses = {c["status"] for c in checks}
                item.status = next((s for s in PRECEDENCE if s in statuses), sorted(statuses)[0])
                first = next((c for c in checks if c["status"] != "passed" and c["hint"]), None)
                item.hint, item.hints = (first["hint"], dict(first["hints"])) if first else ("", {})
            result.items.append(item)
        out[module] = result
    return out


# ---------------------------------------------------------------- fingerprints and cache

_ENGINE_SKIP = {"loop.py", "report.py", "report_plugin.py", "curves.py", "explanations.py", "cli.py"}


def _sibling_imports(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(a.name for a in node.names)
    return names


def _root_files(root: Path, module: str) -> list[Path]:
    seen, todo, files = set(), [module], []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = root / f"{name}.py"
        files.append(path)
        if path.is_file():
            todo.extend(_sibling_imports(path))
    return sorted(files)


def fingerprint(module: str, impl: Path, ref: Path, kit: Path) -> str:
    """What the verdict of `module` depends on; the language is not part of it (hints are kept
    in both)."""
    checks = Path(kit) / "checks"
    digest = hashlib.sha1()
    digest.update(f"{module}\0{impl}\0{ref}\0{sys.executable}\0".encode())
    paths = [checks / f"test_{module}.py", checks / "snapshots" / f"{module}.pt"]
    paths += _root_files(impl, module) + _root_files(ref, module)
    paths += sorted(p for p in Path(__file__).parent.glob("*.py") if p.name not in _ENGINE_SKIP)
    for path in paths:
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


def cache_dir() -> Path:
    chosen = os.environ.get("TOCHA_CACHE")
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tocha"


def _cache_file(impl: Path) -> Path:
    key = hashlib.sha1(str(impl).encode()).hexdigest()[:12]
    return cache_dir() / f"results-{key}.json"


def load_cache(impl: Path, lang: str) -> dict[str, ModuleResult]:
    try:
        data = json.loads(_cache_file(impl).read_text(encoding="utf-8"))
        return {m: ModuleResult.from_dict(d, lang) for m, d in data.get("modules", {}).items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def save_cache(impl: Path, fresh: dict[str, ModuleResult]) -> None:
    path = _cache_file(impl)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        cached = load_cache(impl, "en")
        cached.update(fresh)
        payload = {"impl": str(impl), "modules": {m: r.to_dict() for m, r in cached.items()}}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


# ---------------------------------------------------------------- running the checks

_FILE_LINE = re.compile(r"checks[/\\]test_(\w+)\.py")


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()
    proc.wait()


def run_checks(modules: list[str], impl: Path, lang: str, curriculum, kit: Path, progress=None,
               reference: str = "solutions", timeout: float = RUN_TIMEOUT_S) -> dict[str, ModuleResult]:
    """Run the checks of `modules` in one pytest subprocess; one ModuleResult per module."""
    if not modules:
        return {}
    fd, out = tempfile.mkstemp(prefix="tocha-score-", suffix=".json")
    os.close(fd)
    os.unlink(out)
    cmd = [sys.executable, "-m", "pytest", *[str(Path(kit) / "checks" / f"test_{m}.py") for m in modules],
           "--impl", str(impl), "--reference", reference, "--lang", lang, "--score-json", out,
           "--rootdir", str(kit), "-p", "no:cacheprovider", "--color=no"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOCHA_LANG": lang}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=kit, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    chunks: list[str] = []

    def reader():
        seen = set()
        buffer = ""
        for raw in iter(lambda: proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096), b""):
            text = raw.decode("utf-8", "replace")
            chunks.append(text)
            buffer = (buffer + text)[-400:]
            for found in _FILE_LINE.findall(buffer):
                if found not in seen and found in modules:
                    seen.add(found)
                    if progress:
                        progress(found)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
    finally:
        if proc.poll() is None:  # KeyboardInterrupt or anything else: leave nothing behind
            _kill(proc)
    thread.join(timeout=5)
    elapsed = time.perf_counter() - started
    output = "".join(chunks)
    payload = None
    try:
        payload = json.loads(Path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        payload = None
    finally:
        Path(out).unlink(missing_ok=True)
    if payload is None:
        if proc.returncode == 5:  # nothing collected: every item of these modules is skipped
            payload = {"tests": []}
        elif len(modules) > 1:  # find which module broke the run
            results = {}
            for m in modules:
                results.update(run_checks([m], impl, lang, curriculum, kit, progress, reference, timeout))
            return results
        else:
            tail = "\n".join(output.strip().splitlines()[-12:])
            broken = parse_results({"tests": []}, lang, curriculum, modules)
            problem = CHECKS_DID_NOT_RUN.format(code=proc.returncode, tail=tail)
            for result in broken.values():
                result.problems = problem.as_dict()
                result.localize(lang)
            return broken
    results = parse_results(payload, lang, curriculum, modules)
    for result in results.values():
        result.seconds = round(elapsed / len(modules), 2)
    return results


def store(ran: dict[str, ModuleResult], prints: dict[str, str], impl: Path) -> None:
    """Cache fresh results under their fingerprints; a run that broke or timed out is tried
    again next time."""
    for module, result in ran.items():
        flaky = result.problem or any(i.status == "timed out" for i in result.items)
        result.fingerprint = "" if flaky else prints[module]
    save_cache(impl, ran)


def results_for(modules: list[str], impl: Path, lang: str, curriculum, kit: Path, *, fresh: bool = False,
                cached_only: bool = False, progress=None, reference: str = "solutions"):
    """ModuleResults for `modules` (cached where nothing changed) and the list of modules re-run."""
    ref = resolve_root(reference, kit)
    cached = {} if fresh else load_cache(impl, lang)
    have: dict[str, ModuleResult] = {}
    stale = []
    for module in modules:
        print_ = fingerprint(module, impl, ref, kit)
        hit = cached.get(module)
        if hit is not None and (cached_only or hit.fingerprint == print_):
            have[module] = hit
        elif cached_only:
            continue
        else:
            stale.append((module, print_))
    if stale:
        ran = run_checks([m for m, _ in stale], impl, lang, curriculum, kit, progress, reference)
        store(ran, dict(stale), impl)
        have.update(ran)
    return [have[m] for m in modules if m in have], [m for m, _ in stale]


def cached_result(module: str, impl: Path, lang: str, kit: Path, reference: str = "solutions") -> ModuleResult | None:
    """The cached result of `module` if it is still up to date, else None (never runs anything)."""
    hit = load_cache(impl, lang).get(module)
    if hit is not None and hit.fingerprint == fingerprint(module, impl, resolve_root(reference, kit), kit):
        return hit
    return None


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def next_item(results: list[ModuleResult], impl: Path | None = None) -> ItemResult | None:
    """The item the student is working on: the first started item that does not pass yet in the
    module saved last (else the latest such module in the curriculum); with none started, the
    first item not done. An older module left failing does not pull the student back."""
    started = [(position, module) for position, module in enumerate(results)
               if any(i.status in ("failed", "error", "timed out", "cheated") for i in module.items)]
    if started:
        _, module = max(started, key=lambda pair: (
            _mtime(impl / f"{pair[1].module}.py") if impl is not None else 0, pair[0]))
        return next(i for i in module.items if i.status in ("failed", "error", "timed out", "cheated"))
    return next((item for module in results for item in module.items if not item.done), None)


# ---------------------------------------------------------------- text

UNKNOWN_MODULE = Text("no module matches `{name}`; modules: {modules}.",
                      "nenhum módulo corresponde a `{name}`; módulos: {modules}.")
CHECKS_DID_NOT_RUN = Text(
    "the checks could not run (pytest exit status {code}). Last lines:\n{tail}",
    "as verificações não puderam rodar (o pytest terminou com o código {code}). Últimas linhas:\n{tail}",
)
STATUS_TITLE = Text("tocha status · {impl} · language: {lang}", "tocha status · {impl} · idioma: {lang}")
RUNNING = Text("running the checks of {n} modules: {names} …", "rodando as verificações de {n} módulos: {names} …")
RUNNING_ONE = Text("running the checks of 1 module: {names} …", "rodando as verificações de 1 módulo: {names} …")
CHECKING = Text("  checking {module} …", "  verificando {module} …")
TOTAL = Text("TOTAL", "TOTAL")
ITEMS_DONE = Text("{done}/{count} items", "{done}/{count} itens")
NOT_COUNTED = Text("not counted", "não conta")
NEXT = Text("Next: {module} › {item} ({status})", "Próximo: {module} › {item} ({status})")
NEXT_DO = Text("Edit {file} and save it while `tocha watch` runs.",
               "Edite {file} e salve com o `tocha watch` rodando.")
NEXT_EXPLAIN = Text("The idea behind it: tocha hint {item}", "A ideia por trás: tocha hint {item}")
ALL_DONE = Text("Everything passes: {earned}/{possible}. Well done!",
                "Tudo passou: {earned}/{possible}. Muito bem!")
FROM_CACHE = Text("(results from the last run; nothing changed since)",
                  "(resultados da última execução; nada mudou desde então)")
NO_RESULTS = Text("no results yet: run `tocha status` first.", "ainda sem resultados: rode `tocha status` antes.")
GRADING = Text("grading {impl} with the checks of {kit}", "avaliando {impl} com as verificações de {kit}")
GRADING_INSTALLED = Text(
    "grading {impl} with the checks of the installed kit {kit} (no folder with checks/ and exercises/ in {here} "
    "or above it)",
    "avaliando {impl} com as verificações do kit instalado {kit} (nenhuma pasta com checks/ e exercises/ em {here} "
    "nem acima dela)")

WATCH_TITLE = Text("tocha watch · {impl} · language: {lang}", "tocha watch · {impl} · idioma: {lang}")
WATCH_RUNNING = Text("running the checks of {module} …", "rodando as verificações de {module} …")
WATCH_WAITING = Text("Watching {folder} — save a file to re-run its checks. Ctrl-C to leave.",
                     "Observando {folder} — salve um arquivo para rodar de novo as verificações dele. Ctrl-C para sair.")
WATCH_MODULE_DONE = Text("{module} passes: {earned}/{possible}. Moving on to {next}.",
                         "{module} passou: {earned}/{possible}. Seguindo para {next}.")
WATCH_ALL_DONE = Text("{module} passes. Every module passes: {earned}/{possible}. Well done!",
                      "{module} passou. Todos os módulos passaram: {earned}/{possible}. Muito bem!")
WATCH_FIRST = Text("First to fix: {item} ({status})", "Primeiro a corrigir: {item} ({status})")
WATCH_MORE = Text("More: tocha hint {item}", "Mais: tocha hint {item}")
WATCH_BYE = Text("Stopped watching ({earned}/{possible} in the modules checked). `tocha status` shows them all.",
                 "Observação encerrada ({earned}/{possible} nos módulos verificados). `tocha status` mostra todos.")
WATCH_SAVED = Text("saved: {file}", "salvo: {file}")

HINT_STATE = Text("Your last run: {earned}/{possible}, {status}.", "Sua última execução: {earned}/{possible}, {status}.")
HINT_CHECK = Text("The checks say", "As verificações dizem")
HINT_NOT_RUN = Text("Not run since your last change: `tocha status` or `tocha watch` shows where you stand.",
                    "Não foi rodado desde a sua última alteração: `tocha status` ou `tocha watch` mostram onde você está.")


# ---------------------------------------------------------------- terminal drawing

SYMBOLS = {"passed": "✓", "failed": "✗", "error": "!", "timed out": "⏱", "not started": "·", "skipped": "–", "cheated": "‼"}
ASCII_SYMBOLS = {"passed": "+", "failed": "x", "error": "!", "timed out": "T", "not started": ".", "skipped": "-", "cheated": "#"}
COLORS = {"passed": "32", "failed": "31", "error": "35", "timed out": "33", "not started": "2", "skipped": "2", "cheated": "31"}


class Style:
    def __init__(self, stream=None, color: bool | None = None):
        stream = stream or sys.stdout
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "█░✓✗·⏱–›→".encode(encoding)
            self.unicode = True
        except (UnicodeEncodeError, LookupError):
            self.unicode = False
        if color is None:
            color = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR") \
                and os.environ.get("TERM") != "dumb"
        self.color = color
        try:
            self.width = max(60, min(os.get_terminal_size(stream.fileno()).columns, 120))
        except (OSError, AttributeError, ValueError):
            self.width = 100

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color and code else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def symbol(self, status: str) -> str:
        table = SYMBOLS if self.unicode else ASCII_SYMBOLS
        return self.paint(table.get(status, "?"), COLORS.get(status, ""))

    def status(self, status: str, lang: str) -> str:
        return self.paint(STATUS.get(status, Text(status, status)).get(lang), COLORS.get(status, ""))

    def bar(self, earned: int, possible: int, width: int = 20) -> str:
        full, empty = ("█", "░") if self.unicode else ("#", ".")
        filled = 0 if possible <= 0 else round(width * earned / possible)
        if possible > 0 and earned < possible:
            filled = min(filled, width - 1)
        code = "32" if possible and earned == possible else ("33" if earned else "2")
        return self.paint(full * filled, code) + self.paint(empty * (width - filled), "2")

    def arrow(self) -> str:
        return "→" if self.unicode else "->"

    def plain(self, text: str) -> str:
        if self.unicode:
            return text
        return text.encode("ascii", "replace").decode("ascii")


def _wrap(text: str, width: int, indent: str) -> list[str]:
    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width=max(30, width - len(indent)), initial_indent=indent,
                               subsequent_indent=indent, break_on_hyphens=False) or [indent]
    return lines


def display_root(impl: Path) -> str:
    try:
        return str(impl.relative_to(Path.cwd()))
    except ValueError:
        return str(impl)


def module_file(impl: Path, module: str) -> str:
    return display_root(impl / f"{module}.py")


def render_status(results: list[ModuleResult], impl: Path, lang: str, style: Style, from_cache: bool,
                  where: str = "") -> list[str]:
    lines = [style.bold(STATUS_TITLE.format(impl=display_root(impl), lang=lang).get(lang))]
    lines += [style.paint(where, "2"), ""] if where else [""]
    mod_w = max([len(r.module) for r in results] + [len(TOTAL.get(lang))]) + 2
    item_w = max([len(i.item) for r in results for i in r.items] + [8]) + 2
    for result in results:
        counted = [i for i in result.items if i.status != "skipped"]
        done = sum(1 for i in counted if i.status == "passed")
        score = f"{result.earned}/{result.possible}"
        if result.counted and not result.problem:
            tail = ITEMS_DONE.format(done=done, count=len(counted)).get(lang)
        elif result.problem:
            tail = style.status("error", lang)
        else:
            tail = style.paint(NOT_COUNTED.get(lang), "2")
        lines.append(f"{style.bold(result.module.ljust(mod_w))}{style.bar(result.earned, result.possible)} "
                     f"{score:>7}  {tail}")
        for item in result.items:
            points = f"{item.earned}/{item.possible}" if item.status != "skipped" else "–" if style.unicode else "-"
            lines.append(f"  {style.symbol(item.status)} {item.item.ljust(item_w)}"
                         f"{style.bar(item.earned, item.possible, 10)} {points:>6}  {style.status(item.status, lang)}")
        if result.problem:
            lines += _wrap(result.problem, style.width, "    ")
    earned = sum(r.earned for r in results)
    possible = sum(r.possible for r in results)
    percent = f"({round(100 * earned / possible)} %)" if possible else ""
    lines += ["", f"{style.bold(TOTAL.get(lang).ljust(mod_w))}{style.bar(earned, possible)} "
                  f"{f'{earned}/{possible}':>7}  {percent}"]
    if from_cache:
        lines.append(style.paint(FROM_CACHE.get(lang), "2"))
    lines.append("")
    nxt = next_item(results, impl)
    if nxt is None:
        broken = [r for r in results if r.problem]
        if not broken:
            lines.append(style.paint(ALL_DONE.format(earned=earned, possible=possible).get(lang), "32;1"))
    else:
        lines.append(style.bold(NEXT.format(module=nxt.module, item=nxt.item,
                                            status=STATUS[nxt.status].get(lang)).get(lang)))
        if nxt.hint:
            lines += _wrap(f"{style.arrow()} {nxt.hint}", style.width, "  ")
        lines += _wrap(NEXT_DO.format(file=module_file(impl, nxt.module)).get(lang), style.width, "  ")
        lines.append("  " + NEXT_EXPLAIN.format(item=nxt.item).get(lang))
    return [style.plain(line) for line in lines]


def render_module_focus(result: ModuleResult, lang: str, style: Style) -> list[str]:
    """Watch's view of one module: bar, items, and the first failing item with its hint."""
    lines = [f"{style.bold(result.module)}  {style.bar(result.earned, result.possible)} "
             f"{result.earned}/{result.possible}"]
    item_w = max([len(i.item) for i in result.items] + [8]) + 2
    for item in result.items:
        points = f"{item.earned}/{item.possible}" if item.status != "skipped" else "-"
        lines.append(f"  {style.symbol(item.status)} {item.item.ljust(item_w)}{points:>6}  "
                     f"{style.status(item.status, lang)}")
    if result.problem:
        lines += [""] + _wrap(result.problem, style.width, "  ")
    first = next((i for i in result.items if not i.done), None)
    if first is not None:
        lines += ["", style.bold(WATCH_FIRST.format(item=first.item, status=STATUS[first.status].get(lang)).get(lang))]
        if first.hint:
            lines += _wrap(f"{style.arrow()} {first.hint}", style.width, "  ")
        lines.append(style.paint(WATCH_MORE.format(item=first.item).get(lang), "2"))
    return [style.plain(line) for line in lines]


# ---------------------------------------------------------------- commands

def _lang(args) -> str:
    return getattr(args, "lang", None) or default_lang()


@dataclass
class Where:
    """What a student command grades: the kit it found (or the installed one) and the folder."""
    kit: Path
    found: bool
    impl: Path
    lang: str

    @classmethod
    def of(cls, args) -> "Where":
        kit, found = current_kit()
        return cls(kit, found, resolve_root(args.impl, kit), _lang(args))

    @property
    def curriculum(self) -> dict[str, dict[str, int]]:
        return discover(self.kit / "checks")

    def line(self) -> str:
        """The line that says which folder is graded with which kit's checks."""
        text = GRADING if self.found else GRADING_INSTALLED
        return text.format(impl=self.impl, kit=self.kit, here=Path.cwd()).get(self.lang)


def cmd_status(args, out=None) -> int:
    out = out or sys.stdout
    where = Where.of(args)
    lang, impl, kit = where.lang, where.impl, where.kit
    curriculum = where.curriculum
    modules = resolve_modules(args.modules, curriculum)
    ref = resolve_root(args.reference, kit)
    if not args.cached:
        cached = {} if args.fresh else load_cache(impl, lang)
        stale = [m for m in modules if m not in cached or cached[m].fingerprint != fingerprint(m, impl, ref, kit)]
        if stale:
            running = RUNNING_ONE if len(stale) == 1 else RUNNING
            print(running.format(n=len(stale), names=", ".join(stale)).get(lang), file=sys.stderr, flush=True)

    def progress(module):
        if sys.stderr.isatty():
            print(CHECKING.format(module=module).get(lang), file=sys.stderr, flush=True)

    results, ran = results_for(modules, impl, lang, curriculum, kit, fresh=args.fresh, cached_only=args.cached,
                               progress=progress, reference=args.reference)
    if not results:
        print(NO_RESULTS.get(lang), file=out)
        return 1
    for line in render_status(results, impl, lang, Style(out), from_cache=not ran, where=where.line()):
        print(line, file=out)
    return 2 if any(r.problem for r in results) else 0


def cmd_hint(args, out=None) -> int:
    from . import explanations as ex

    out = out or sys.stdout
    where = Where.of(args)
    lang, impl, kit = where.lang, where.impl, where.kit
    style = Style(out)
    curriculum = where.curriculum
    name = args.item
    if not name:  # the next thing to do, from the last results
        results = [r for r in (cached_result(m, impl, lang, kit, args.reference) for m in curriculum) if r]
        nxt = next_item(results, impl) if results else None
        name = nxt.item if nxt else next(iter(next(iter(curriculum.values()), {})), None)
        if name is None:
            print(NO_RESULTS.get(lang), file=out)
            return 1
    entry = ex.lookup(name)
    if entry is None:
        message = ex.UNKNOWN_ITEM.format(name=name)
        close = ex.suggestions(name)
        if close:
            message = message + ex.DID_YOU_MEAN.format(names=", ".join(close))
        else:
            message = message + ex.ITEMS_ARE.format(names=", ".join(ex.EXPLANATIONS))
        print(message.get(lang), file=sys.stderr)
        return 2
    width = style.width
    lines = [style.bold(ex.HINT_HEAD.format(item=entry.item, module=entry.module).get(lang)), ""]
    lines.append(style.bold(ex.HINT_CONCEPT.get(lang)))
    lines += _wrap(entry.concept.get(lang), width, "  ")
    lines += ["", style.bold(f"{ex.HINT_LESSON.get(lang)}: {entry.lesson_title.get(lang)}")]
    lines += _wrap(entry.lesson.get(lang), width, "  ")
    lines += ["", style.bold(ex.HINT_LOOK.get(lang))]
    bullet = "• " if style.unicode else "- "
    for point in entry.points(lang):
        lines += [("  " + bullet + line[4:]) if i == 0 else line
                  for i, line in enumerate(_wrap(point, width, "    "))]
    result = cached_result(entry.module, impl, lang, kit, args.reference)
    item = next((i for i in result.items if i.item == entry.item), None) if result else None
    lines += ["", style.paint(where.line(), "2")]
    if item is not None and item.status != "skipped":
        lines.append(style.bold(HINT_STATE.format(earned=item.earned, possible=item.possible,
                                                  status=STATUS[item.status].get(lang)).get(lang)))
        if item.hint:
            lines.append(style.bold(HINT_CHECK.get(lang)) + ":")
            lines += _wrap(item.hint, width, "  ")
    else:
        lines.append(style.paint(HINT_NOT_RUN.get(lang), "2"))
    for line in lines:
        print(style.plain(line), file=out)
    return 0


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    snap = {}
    try:
        for path in folder.glob("*.py"):
            try:
                stat = path.stat()
                snap[path.name] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                pass
    except OSError:
        pass
    return snap


def cmd_watch(args, out=None) -> int:
    out = out or sys.stdout
    where = Where.of(args)
    lang, impl, kit = where.lang, where.impl, where.kit
    curriculum = where.curriculum
    modules = resolve_modules(args.modules, curriculum) if args.modules else list(curriculum)
    style = Style(out)
    clear = out.isatty() and not args.no_clear
    latest: dict[str, ModuleResult] = {}
    for module in modules:
        hit = cached_result(module, impl, lang, kit, args.reference)
        if hit is not None:
            latest[module] = hit

    def totals():
        known = [latest[m] for m in modules if m in latest]
        return sum(r.earned for r in known), sum(r.possible for r in known)

    def show(lines):
        if clear:
            out.write("\033[H\033[2J\033[3J")
        header = style.bold(WATCH_TITLE.format(impl=display_root(impl), lang=lang).get(lang))
        text = "\n".join([style.plain(header), style.plain(style.paint(where.line(), "2")), ""] + lines) + "\n"
        out.write(text)
        out.flush()

    def run(module) -> ModuleResult:
        show([style.plain(WATCH_RUNNING.format(module=module).get(lang))])
        result, _ = results_for([module], impl, lang, curriculum, kit, reference=args.reference)
        latest[module] = result[0]
        return result[0]

    def first_incomplete(after=None):
        start = 0 if after is None else modules.index(after) + 1
        for module in modules[start:] + modules[:start]:
            if module == after:
                continue
            hit = cached_result(module, impl, lang, kit, args.reference)  # None when anything changed
            if hit is None or not hit.complete:
                return module
        return None

    def waiting():
        return style.plain(style.paint(WATCH_WAITING.format(folder=display_root(impl)).get(lang), "2"))

    try:
        current = first_incomplete() or modules[0]
        snapshot = _snapshot(impl)
        extra: list[str] = []
        while True:
            result = run(current)
            lines = list(extra) + render_module_focus(result, lang, style)
            extra = []
            if result.complete:
                nxt = first_incomplete(current)
                earned, possible = totals()
                if nxt is None:
                    lines += ["", style.plain(style.paint(WATCH_ALL_DONE.format(
                        module=current, earned=earned, possible=possible).get(lang), "32;1"))]
                else:
                    extra = [style.plain(style.paint(WATCH_MODULE_DONE.format(
                        module=current, earned=result.earned, possible=result.possible, next=nxt).get(lang), "32;1")), ""]
                    current = nxt
                    continue
            lines += ["", waiting()]
            show(lines)
            # wait for a save
            while True:
                time.sleep(args.interval)
                now = _snapshot(impl)
                if now == snapshot:
                    continue
                changed = sorted(name for name in set(now) | set(snapshot) if now.get(name) != snapshot.get(name))
                time.sleep(min(0.3, args.interval))  # let the editor finish writing
                snapshot = _snapshot(impl)
                saved = [Path(name).stem for name in changed if Path(name).stem in modules]
                if saved:
                    current = saved[0]
                extra = [style.plain(style.paint(WATCH_SAVED.format(
                    file=module_file(impl, Path(changed[0]).stem)).get(lang), "2"))]
                break
    except KeyboardInterrupt:
        earned, possible = totals()
        out.write("\n" + style.plain(WATCH_BYE.format(earned=earned, possible=possible).get(lang)) + "\n")
        out.flush()
        return 0


# ---------------------------------------------------------------- argparse

HELP = {
    "impl": Text("implementation root: exercises (default), solutions, or a folder path",
                 "pasta avaliada: exercises (padrão), solutions ou o caminho de uma pasta"),
    "lang": Text("language (default: TOCHA_LANG, else LANG, else en)",
                 "idioma (padrão: TOCHA_LANG, senão LANG, senão en)"),
    "status": Text("every module and item: progress, points, the next thing to do",
                   "cada módulo e item: progresso, pontos, o próximo passo"),
    "status_modules": Text("only these modules (ex01 or ex01_autograd; default: all)",
                           "só estes módulos (ex01 ou ex01_autograd; padrão: todos)"),
    "fresh": Text("ignore cached results and re-run every check",
                  "ignorar os resultados guardados e rodar todas as verificações de novo"),
    "cached": Text("run nothing: show the last results", "não rodar nada: mostrar os últimos resultados"),
    "watch": Text("re-run a module's checks each time you save its file",
                  "rodar de novo as verificações de um módulo sempre que você salvar o arquivo dele"),
    "watch_modules": Text("watch only these modules (default: all, from the first unfinished one)",
                          "observar só estes módulos (padrão: todos, a partir do primeiro não terminado)"),
    "interval": Text("seconds between looks at the files", "intervalo, em segundos, entre duas olhadas nos arquivos"),
    "no_clear": Text("do not clear the screen between runs", "não limpar a tela entre execuções"),
    "hint": Text("the longer explanation of an item (default: the next one to do)",
                 "a explicação longa de um item (padrão: o próximo a fazer)"),
    "item": Text("item name, e.g. train_step", "nome do item, por exemplo train_step"),
    "report": Text("write a self-contained HTML page: scores, hints, loss curves",
                   "gravar uma página HTML autocontida: notas, dicas, curvas de perda"),
    "report_modules": Text("only these modules (default: all)", "só estes módulos (padrão: todos)"),
    "output": Text("where to write the page (default: tocha-report.html)",
                   "onde gravar a página (padrão: tocha-report.html)"),
    "no_curves": Text("leave out the loss curves of training items", "deixar de fora as curvas de perda dos itens de treino"),
}


def _common(p, lang: str, modules_help: str | None = None) -> None:
    p.add_argument("--impl", default="exercises", help=HELP["impl"].get(lang))
    p.add_argument("--reference", default="solutions", help=argparse.SUPPRESS)
    p.add_argument("--lang", choices=["en", "pt-BR"], default=None, help=HELP["lang"].get(lang))
    if modules_help:
        p.add_argument("modules", nargs="*", metavar="MODULE", help=HELP[modules_help].get(lang))


def _report(args) -> int:
    from .report import cmd_report

    return cmd_report(args)


def add_commands(sub) -> None:
    """Register status, watch, hint and report on the `tocha` parser's subcommands."""
    lang = default_lang()
    h = {key: text.get(lang) for key, text in HELP.items()}
    p = sub.add_parser("status", help=h["status"], description=h["status"])
    _common(p, lang, "status_modules")
    p.add_argument("--fresh", action="store_true", help=h["fresh"])
    p.add_argument("--cached", action="store_true", help=h["cached"])
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("watch", help=h["watch"], description=h["watch"])
    _common(p, lang, "watch_modules")
    p.add_argument("--interval", type=float, default=0.5, help=h["interval"])
    p.add_argument("--no-clear", action="store_true", help=h["no_clear"])
    p.set_defaults(run=cmd_watch)

    p = sub.add_parser("hint", help=h["hint"], description=h["hint"])
    _common(p, lang)
    p.add_argument("item", nargs="?", help=h["item"])
    p.set_defaults(run=cmd_hint)

    p = sub.add_parser("report", help=h["report"], description=h["report"])
    _common(p, lang, "report_modules")
    p.add_argument("-o", "--output", default="tocha-report.html", help=h["output"])
    p.add_argument("--no-curves", action="store_true", help=h["no_curves"])
    p.add_argument("--fresh", action="store_true", help=h["fresh"])
    p.set_defaults(run=_report)
