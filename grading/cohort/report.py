"""`tocha class-report DIR`: one self-contained HTML page on what a class got right and wrong.

It reads what `tocha grade` wrote (DIR/results/<student>.json and, when there, DIR/grades.csv
for the students who could not be graded), computes the numbers with grading/cohort/stats.py (the
same ones as DIR/class.json) and draws them: score histogram, pass rate per module and item, the
ten most common mistakes with the item they belong to, and the students' table. Figures are
matplotlib PNGs embedded in the page; the look is the student report's (grading/templates/:
report.html, report.css), plus class_report.css and the table-sorting class_report.js.
"""
from __future__ import annotations

import base64
import csv
import datetime as _dt
import html
import io
import json
import sys
from pathlib import Path

from grading import templates
from grading.cohort.outputs import Ledger
from grading.cohort.stats import summarize
from grading.student.report import _badge, _bar, _inline, page
from grading.text import Text, default_lang

TITLE = Text("tocha — class report", "tocha — relatório da turma")
META = Text("results: {folder} · {when} · {graded} of {students} students graded · {points} points · language: {lang}",
            "resultados: {folder} · {when} · {graded} de {students} alunos avaliados · {points} pontos · idioma: {lang}")
MEAN = Text("mean", "média")
MEDIAN = Text("median", "mediana")
FULL = Text("full marks", "nota máxima")
NOT_GRADED = Text("not graded", "não avaliados")
STUDENTS_WORD = Text("students", "alunos")
HIST_TITLE = Text("Scores", "Notas")
HIST_X = Text("score (% of the points)", "nota (% dos pontos)")
HIST_Y = Text("students", "alunos")
HIST_NOTE = Text("{n} students graded; bins of {width:.0f} points of percentage, the last one includes 100 %.",
                 "alunos avaliados: {n}; faixas de {width:.0f} pontos percentuais, a última inclui 100 %.")
MODULES_TITLE = Text("Modules", "Módulos")
ITEMS_TITLE = Text("Items", "Itens")
ITEMS_NOTE = Text("An item passes when every one of its checks passes. Hardest items first in the chart.",
                  "Um item passa quando todas as suas verificações passam. No gráfico, os itens mais difíceis vêm primeiro.")
PASS_X = Text("students who pass (%)", "alunos que passam (%)")
MISTAKES_TITLE = Text("The ten most common mistakes", "Os dez erros mais comuns")
MISTAKES_NOTE = Text(
    "Each hint is what the checks told the students; numbers that differ between students are grouped. "
    "Items not started are not counted as mistakes.",
    "Cada dica é o que as verificações disseram aos alunos; números que variam entre alunos são agrupados. "
    "Itens não iniciados não contam como erro.")
NO_MISTAKES = Text("No mistakes: every graded item that was started passes.",
                   "Nenhum erro: todo item avaliado que foi iniciado passa.")
STUDENTS_TITLE = Text("Students", "Alunos")
MODULE = Text("module", "módulo")
ITEM = Text("item", "item")
PASS_RATE = Text("pass rate", "taxa de aprovação")
WHOLE_MODULE = Text("pass the whole module", "passam no módulo inteiro")
PASSED = Text("pass", "passam")
NOT_STARTED = Text("not started", "não iniciaram")
MEAN_POINTS = Text("mean points", "média de pontos")
HINT = Text("what the checks said", "o que as verificações disseram")
HOW_MANY = Text("students", "alunos")
STUDENT = Text("student", "aluno")
TOTAL = Text("total", "total")
TO_FIX = Text("items to fix", "itens a corrigir")
MORE_HINTS = Text("+{n} other hints (class.json has them all)", "+{n} outras dicas (class.json tem todas)")
MORE_HINTS_ONE = Text("+1 other hint (class.json has them all)", "+1 outra dica (class.json tem todas)")
WARNING = Text("warning", "atenção")
NOT_STARTED_N = Text("{n} not started", "{n} não iniciados")
NOT_STARTED_ONE = Text("1 not started", "1 não iniciado")
SORT_NOTE = Text("Click a column's title to sort by it.", "Clique no título de uma coluna para ordenar por ela.")
NO_RESULTS = Text("no results in {folder}: expected {folder}/results/<student>.json (written by `tocha grade`).",
                  "nenhum resultado em {folder}: esperado {folder}/results/<aluno>.json (gravado por `tocha grade`).")
WROTE = Text("wrote {path}: open it in a browser ({url})", "{path} gravado: abra-o no navegador ({url})")
FOOTER = Text("tocha class-report · the same numbers are in class.json for other tools.",
              "tocha class-report · os mesmos números estão em class.json para outras ferramentas.")


def png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110)


def histogram_png(stats: dict, lang: str) -> str:
    hist = stats["score"]["histogram"]
    edges, counts = hist["edges"], hist["counts"]
    fig = _figure(7.2, 2.9)
    ax = fig.add_subplot(1, 1, 1)
    lefts = edges[:-1]
    width = edges[1] - edges[0]
    colors = [_rate_color(left / 100) for left in lefts]
    bars = ax.bar(lefts, counts, width=width * 0.92, align="edge", color=colors)
    ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2, fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xticks(edges)
    ax.set_xlabel(HIST_X.get(lang))
    ax.set_ylabel(HIST_Y.get(lang))
    ax.set_ylim(0, max(counts + [1]) * 1.18)
    ax.yaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return png(fig)


def items_png(stats: dict, lang: str) -> str:
    """Horizontal bars, one per item, hardest first."""
    items = sorted(stats["items"], key=lambda i: (i["pass_rate"], i["module"], i["item"]))
    if not items:
        return ""
    fig = _figure(7.2, 0.9 + 0.24 * len(items))
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(items)))[::-1]
    rates = [100 * i["pass_rate"] for i in items]
    ax.barh(ys, rates, color=[_rate_color(i["pass_rate"]) for i in items], height=0.72)
    ax.set_yticks(ys, [f'{i["module"][:4]} › {i["item"]}' for i in items], fontsize=8)
    for y, rate in zip(ys, rates):
        ax.text(min(rate + 1.5, 93), y, f"{rate:.0f}%", va="center", fontsize=7.5, color="#1d2430")
    ax.set_xlim(0, 100)
    ax.set_xlabel(PASS_X.get(lang))
    ax.grid(True, axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return png(fig)


def _img(data: str, alt: str) -> str:
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>' if data else ""


def _rate_color(rate: float) -> str:
    """Red under half the class, amber under 80 %, green above: the same in figures and tables."""
    return "#e4572e" if rate < 0.5 else "#d99a00" if rate < 0.8 else "#1f9d55"


def _rate_cell(rate: float) -> str:
    share = round(100 * rate)
    return (f'<td class="rate"><div class="bar small"><span style="width:{share}%;background:{_rate_color(rate)}">'
            f'</span></div>{share} %</td>')


def build_html(stats: dict, folder: str, lang: str, when: str | None = None) -> str:
    when = when or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    score = stats["score"]
    t = lambda text: html.escape(text.get(lang))  # noqa: E731
    meta = META.format(folder=folder, when=when, graded=stats["graded"], students=stats["students"],
                       points=stats["max_score"], lang=lang).get(lang)
    out = [f'<h1>{t(TITLE)}</h1>',
           f'<div class="meta">{html.escape(meta)}</div>']
    cards = [(f'{stats["students"]}', STUDENTS_WORD.get(lang)),
             (f'{score["mean_percent"]:.0f} %', MEAN.get(lang)), (f'{score["median_percent"]:.0f} %', MEDIAN.get(lang)),
             (f'{score["full_marks"]}', FULL.get(lang)), (f'{len(stats["not_graded"])}', NOT_GRADED.get(lang))]
    out.append('<div class="cards">' + "".join(
        f'<div class="card"><div class="num">{html.escape(v)}</div><div class="label">{html.escape(k)}</div></div>'
        for v, k in cards) + "</div>")

    bins = len(score["histogram"]["counts"]) or 1
    out.append(f'<h2>{t(HIST_TITLE)}</h2><section class="card">'
               f'{_img(histogram_png(stats, lang), HIST_TITLE.get(lang)) if stats["graded"] else ""}'
               f'<p class="note">{html.escape(HIST_NOTE.format(n=stats["graded"], width=100 / bins).get(lang))}</p></section>')

    out.append(f'<h2>{t(MODULES_TITLE)}</h2><table><tr><th>{t(MODULE)}</th><th>{t(WHOLE_MODULE)}</th>'
               f'<th class="n"></th><th>{t(MEAN_POINTS)}</th><th class="n"></th></tr>')
    for m in stats["modules"]:
        out.append(f'<tr><td class="item"><a href="#{html.escape(m["module"])}">{html.escape(m["module"])}</a></td>'
                   f'{_rate_cell(m["pass_rate"])}<td class="n">{m["full_marks"]}/{m["students"]}</td>'
                   f'<td>{_bar(round(m["mean_score"] * 100), m["max_score"] * 100, small=True)}</td>'
                   f'<td class="n">{m["mean_score"]:g}/{m["max_score"]}</td></tr>')
    out.append("</table>")

    out.append(f'<h2>{t(MISTAKES_TITLE)}</h2><p class="note">{t(MISTAKES_NOTE)}</p>')
    top = stats["mistakes"][:10]
    if top:
        out.append(f'<table class="items"><colgroup><col style="width:40px"><col><col style="width:80px">'
                   f'<col style="width:250px"></colgroup><tr><th>#</th><th>{t(HINT)}</th><th class="n">{t(HOW_MANY)}</th>'
                   f'<th style="padding-left:20px">{t(ITEM)}</th></tr>')
        for rank, m in enumerate(top, 1):
            out.append(f'<tr><td class="n">{rank}</td><td><div class="hint">{_inline(m["hint"])}</div></td>'
                       f'<td class="n"><b>{m["students"]}</b></td><td class="item" style="padding-left:20px">{html.escape(m["module"])} › '
                       f'{html.escape(m["item"])} {_badge(m["status"], lang)}</td></tr>')
        out.append("</table>")
    else:
        out.append(f'<div class="card">{t(NO_MISTAKES)}</div>')

    out.append(f'<h2>{t(ITEMS_TITLE)}</h2><p class="note">{t(ITEMS_NOTE)}</p>'
               f'<section class="card">{_img(items_png(stats, lang), ITEMS_TITLE.get(lang))}</section>')
    for m in stats["modules"]:
        out.append(f'<h2 id="{html.escape(m["module"])}" style="font-size:16px"><span>{html.escape(m["module"])}</span></h2>'
                   f'<table class="items"><colgroup><col style="width:230px"><col style="width:170px"><col style="width:90px">'
                   f'<col style="width:100px"><col></colgroup><tr><th>{t(ITEM)}</th><th>{t(PASS_RATE)}</th>'
                   f'<th class="n">{t(NOT_STARTED)}</th><th class="n">{t(MEAN_POINTS)}</th><th>{t(HINT)}</th></tr>')
        for i in (i for i in stats["items"] if i["module"] == m["module"]):
            hints = "".join(f'<div class="hint small"><b>{h["students"]} ×</b> {_inline(h["hint"])}</div>'
                            for h in i["hints"][:2])
            if len(i["hints"]) > 2:
                more = len(i["hints"]) - 2
                hints += f'<div class="note">{t(MORE_HINTS_ONE if more == 1 else MORE_HINTS.format(n=more))}</div>'
            out.append(f'<tr><td class="item">{html.escape(i["item"])}</td>{_rate_cell(i["pass_rate"])}'
                       f'<td class="n">{i["not_started"]}</td><td class="n">{i["mean_score"]:g}/{i["max_score"]}</td>'
                       f'<td>{hints or "—"}</td></tr>')
        out.append("</table>")

    out.append(students_html(stats, lang))
    style = templates.render("report.css") + "\n" + templates.render("class_report.css")  # the student report's, and more
    return page(lang, t(TITLE), style, out, t(FOOTER))


def _fix_text(row: dict, lang: str) -> str:
    """Failed items by name (a few), then how many were not started."""
    failing = [x.split(" › ")[-1] for x in row["to_fix"]]
    text = ", ".join(html.escape(x) for x in failing[:5]) + (f" +{len(failing) - 5}" if len(failing) > 5 else "")
    if row["not_started"]:
        count = len(row["not_started"])
        started = (NOT_STARTED_ONE if count == 1 else NOT_STARTED_N.format(n=count)).get(lang)
        text += (" · " if text else "") + f'<span class="note">{html.escape(started)}</span>'
    return text


def students_html(stats: dict, lang: str) -> str:
    """The students' table, sortable by any column with a click (templates/class_report.js, inline)."""
    modules = [m["module"] for m in stats["modules"]]
    t = lambda text: html.escape(text.get(lang))  # noqa: E731
    head = (f'<tr><th data-sort="text">{t(STUDENT)}</th>'
            + "".join(f'<th class="n" data-sort="num" title="{html.escape(m)}">{html.escape(m[:4])}</th>' for m in modules)
            + f'<th class="n" data-sort="num">{t(TOTAL)}</th><th class="n" data-sort="num">%</th>'
              f'<th>{t(TO_FIX)}</th></tr>')
    rows = []
    for r in stats["rows"]:
        bad = not r["graded"]
        cells = "".join(f'<td class="n">{r["modules"].get(m, "–")}</td>' for m in modules)
        flag = _badge("error", lang) if bad else f'<span class="badge warn">{t(WARNING)}</span>'
        note = "" if r["status"] == "ok" else f'{flag} {html.escape(r["status"])}'
        last = (note if bad else " · ".join(x for x in (note, _fix_text(r, lang)) if x)) or "—"
        rows.append(f'<tr{" class=bad-row" if bad else ""}><td class="stud">{html.escape(r["student"])}</td>{cells}'
                    + ('<td class="n">–</td><td class="n">–</td>' if bad else
                       f'<td class="n"><b>{r["total"]}</b>/{r["max_score"]}</td><td class="n">{r["percent"]:.0f}</td>')
                    + f'<td class="fix">{last}</td></tr>')
    script = templates.render("class_report.js")
    return (f'<h2>{t(STUDENTS_TITLE)}</h2><p class="note">{t(SORT_NOTE)}</p><table class="students" id="students">'
            f'<thead>{head}</thead><tbody>{"".join(rows)}</tbody></table><script>\n{script}</script>')


def load_class(folder: Path, lang: str | None = None) -> tuple[dict[str, dict], dict[str, str]]:
    """{student: payload} from DIR/results/*.json and {student: status} from DIR/grades.csv (in
    `lang` from the ledger, grade.json, which keeps both languages)."""
    results: dict[str, dict] = {}
    for path in sorted((folder / "results").glob("*.json")):
        try:
            results[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            results[path.stem] = {"error": f"{type(exc).__name__}: {exc}"}
    statuses: dict[str, str] = {}
    grades = folder / "grades.csv"
    if grades.is_file():
        with grades.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("student"):
                    statuses[row["student"]] = (row.get("status") or "ok").strip() or "ok"
    ledger = Ledger.load(folder) if lang else None
    if ledger is not None:
        statuses.update({student: row.status_of(lang) for student, row in ledger.students.items()})
    for student, payload in results.items():
        if "tests" not in payload and statuses.get(student, "ok") == "ok":
            statuses[student] = f"unreadable results: {payload.get('error', 'no tests')}"
    return results, statuses


def write_class_report(folder: Path, out: Path, lang: str) -> Path:
    results, statuses = load_class(folder, lang)
    stats = summarize(results, statuses, lang=lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_html(stats, str(folder), lang), encoding="utf-8")
    return out


def cmd_class_report(args) -> int:
    lang = args.lang or default_lang()
    folder = Path(args.dir)
    if not (folder / "results").is_dir() and not (folder / "grades.csv").is_file():
        print(NO_RESULTS.format(folder=folder).get(lang), file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else folder / "class-report.html"
    path = write_class_report(folder, out, lang)
    print(WROTE.format(path=path, url=path.resolve().as_uri()).get(lang))
    return 0


def add_command(sub) -> None:
    lang = default_lang()
    p = sub.add_parser("class-report", help=Text(
        "an HTML page on a graded class (from `tocha grade --out DIR`)",
        "uma página HTML sobre uma turma avaliada (de `tocha grade --out DIR`)").get(lang))
    p.add_argument("dir", help="the folder `tocha grade` wrote (results/, grades.csv)")
    p.add_argument("--lang", default=None, choices=["en", "pt-BR"],
                   help="language of the page (default: TOCHA_LANG, else LANG, else en)")
    p.add_argument("--out", default=None, help="the page to write (default: DIR/class-report.html)")
    p.set_defaults(run=cmd_class_report)

