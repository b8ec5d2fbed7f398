"""How the student's commands draw results on a terminal: symbols, colours where the terminal has
them, plain ASCII where it does not, and lines wrapped to its width."""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from grading.curriculum import ModuleResult
from grading.student.run import next_item
from grading.text import STATUS, Text

STATUS_TITLE = Text("tocha status · {impl} · language: {lang}", "tocha status · {impl} · idioma: {lang}")
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
WATCH_FIRST = Text("First to fix: {item} ({status})", "Primeiro a corrigir: {item} ({status})")
WATCH_MORE = Text("More: tocha hint {item}", "Mais: tocha hint {item}")


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


def wrap(text: str, width: int, indent: str) -> list[str]:
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
            lines += wrap(result.problem, style.width, "    ")
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
            lines += wrap(f"{style.arrow()} {nxt.hint}", style.width, "  ")
        lines += wrap(NEXT_DO.format(file=module_file(impl, nxt.module)).get(lang), style.width, "  ")
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
        lines += [""] + wrap(result.problem, style.width, "  ")
    first = next((i for i in result.items if not i.done), None)
    if first is not None:
        lines += ["", style.bold(WATCH_FIRST.format(item=first.item, status=STATUS[first.status].get(lang)).get(lang))]
        if first.hint:
            lines += wrap(f"{style.arrow()} {first.hint}", style.width, "  ")
        lines.append(style.paint(WATCH_MORE.format(item=first.item).get(lang), "2"))
    return [style.plain(line) for line in lines]


