"""The student's loop: `tocha status`, `tocha watch`, `tocha hint` and the wiring of `tocha report`.

Everything here stands on the results file the pytest plugin writes (`--score-json`, Gradescope's
form: per row `tags = [module, item, status]`, `output = status + ": " + hint`). The checks always
run in a `python -m pytest` subprocess: student code is never imported in this process.

The commands grade the kit the student stands in: the first folder from the current one upward
that holds checks/ and exercises/ (the installed kit when there is none), and say which.

Results are cached per module (TOCHA_CACHE, else ~/.cache/tocha), keyed by a fingerprint of
everything that can change the verdict: the module's file and the sibling files it imports, the
reference's, the check file and the grading engine. `tocha status` re-runs only what changed.
Hints are kept in both languages, so switching `--lang` re-runs nothing, and a plain
`pytest checks` run refreshes the same cache (grading/engine/plugin.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from grading.curriculum import ModuleResult, resolve_modules
from grading.data import resolve_root
from grading.engine.cache import cached_result, fingerprint, load_cache
from grading.student.run import Where, next_item, results_for
from grading.student.terminal import (Style, display_root, module_file, render_module_focus, render_status,
                                      wrap)
from grading.text import STATUS, Text, default_lang

RUNNING = Text("running the checks of {n} modules: {names} …", "rodando as verificações de {n} módulos: {names} …")
RUNNING_ONE = Text("running the checks of 1 module: {names} …", "rodando as verificações de 1 módulo: {names} …")
CHECKING = Text("  checking {module} …", "  verificando {module} …")
NO_RESULTS = Text("no results yet: run `tocha status` first.", "ainda sem resultados: rode `tocha status` antes.")
WATCH_TITLE = Text("tocha watch · {impl} · language: {lang}", "tocha watch · {impl} · idioma: {lang}")
WATCH_RUNNING = Text("running the checks of {module} …", "rodando as verificações de {module} …")
WATCH_WAITING = Text("Watching {folder} — save a file to re-run its checks. Ctrl-C to leave.",
                     "Observando {folder} — salve um arquivo para rodar de novo as verificações dele. Ctrl-C para sair.")
WATCH_MODULE_DONE = Text("{module} passes: {earned}/{possible}. Moving on to {next}.",
                         "{module} passou: {earned}/{possible}. Seguindo para {next}.")
WATCH_ALL_DONE = Text("{module} passes. Every module passes: {earned}/{possible}. Well done!",
                      "{module} passou. Todos os módulos passaram: {earned}/{possible}. Muito bem!")
WATCH_BYE = Text("Stopped watching ({earned}/{possible} in the modules checked). `tocha status` shows them all.",
                 "Observação encerrada ({earned}/{possible} nos módulos verificados). `tocha status` mostra todos.")
WATCH_SAVED = Text("saved: {file}", "salvo: {file}")
HINT_STATE = Text("Your last run: {earned}/{possible}, {status}.", "Sua última execução: {earned}/{possible}, {status}.")
HINT_CHECK = Text("The checks say", "As verificações dizem")
HINT_NOT_RUN = Text("Not run since your last change: `tocha status` or `tocha watch` shows where you stand.",
                    "Não foi rodado desde a sua última alteração: `tocha status` ou `tocha watch` mostram onde você está.")


# ---------------------------------------------------------------- commands

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
    from grading.student import explanations as ex

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
    lines += wrap(entry.concept.get(lang), width, "  ")
    lines += ["", style.bold(f"{ex.HINT_LESSON.get(lang)}: {entry.lesson_title.get(lang)}")]
    lines += wrap(entry.lesson.get(lang), width, "  ")
    lines += ["", style.bold(ex.HINT_LOOK.get(lang))]
    bullet = "• " if style.unicode else "- "
    for point in entry.points(lang):
        lines += [("  " + bullet + line[4:]) if i == 0 else line
                  for i, line in enumerate(wrap(point, width, "    "))]
    result = cached_result(entry.module, impl, lang, kit, args.reference)
    item = next((i for i in result.items if i.item == entry.item), None) if result else None
    lines += ["", style.paint(where.line(), "2")]
    if item is not None and item.status != "skipped":
        lines.append(style.bold(HINT_STATE.format(earned=item.earned, possible=item.possible,
                                                  status=STATUS[item.status].get(lang)).get(lang)))
        if item.hint:
            lines.append(style.bold(HINT_CHECK.get(lang)) + ":")
            lines += wrap(item.hint, width, "  ")
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
    from grading.student.report import cmd_report

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
