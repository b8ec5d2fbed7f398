"""`tocha report` and `pytest --html-report`: one self-contained HTML page a student can open.

The page holds the score table, every item's first hint and its longer explanation, and for
training items a plot of the student's loss curve against the reference's (matplotlib, embedded
as PNG). Nothing on the page is fetched from elsewhere. matplotlib is imported here only. The page's
frame and look are grading/templates/report.html and report.css (the class report uses them too).
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
import re
import sys
from pathlib import Path

from grading import templates
from grading.curriculum import ModuleResult, resolve_modules
from grading.data import resolve_root
from grading.student import explanations as ex
from grading.student.curves import TRAINING_ITEMS, loss_curves
from grading.student.run import Where, next_item, results_for
from grading.student.terminal import display_root, module_file
from grading.text import STATUS, Text

TITLE = Text("tocha — score report", "tocha — relatório de notas")
META = Text("graded folder: {impl} · {when} · language: {lang}", "pasta avaliada: {impl} · {when} · idioma: {lang}")
TOTAL = Text("Total", "Total")
MODULE = Text("module", "módulo")
ITEM = Text("item", "item")
POINTS = Text("points", "pontos")
STATE = Text("status", "situação")
HINT = Text("what the checks say", "o que as verificações dizem")
ITEMS_DONE = Text("{done} of {count} items pass", "{done} de {count} itens passam")
NOT_COUNTED = Text("not counted (its checks were skipped)", "não conta (as verificações foram puladas)")
EXPLAIN = Text("Explanation", "Explicação")
NEXT = Text("Next thing to do: <b>{item}</b> in <code>{file}</code>", "Próximo passo: <b>{item}</b> em <code>{file}</code>")
ALL_DONE = Text("Everything passes. Well done!", "Tudo passou. Muito bem!")
LOOP = Text(
    "The loop: <code>tocha watch</code> re-runs a module's checks each time you save its file; "
    "<code>tocha hint ITEM</code> explains an item; <code>tocha status</code> shows where you stand.",
    "O ciclo: <code>tocha watch</code> roda de novo as verificações de um módulo sempre que você salva o arquivo dele; "
    "<code>tocha hint ITEM</code> explica um item; <code>tocha status</code> mostra onde você está.",
)
CURVE_TITLE = Text("Loss curve: your code against the reference", "Curva de perda: seu código comparado com a referência")
CURVE_NOTE = Text(
    "Both trained on the same small problem from the same starting weights.",
    "Os dois foram treinados no mesmo problema pequeno, a partir dos mesmos pesos iniciais.",
)
YOURS = Text("your code", "seu código")
REFERENCE = Text("reference", "referência")
LOSS = Text("loss", "perda")
AXIS = {"step": Text("step", "passo"), "epoch": Text("epoch", "época"),
        "micro-batch": Text("micro-batch", "micro-batch")}
CURVE_SAME = Text("Your curve follows the reference.", "Sua curva acompanha a referência.")
CURVE_LEAVES = Text("Your curve leaves the reference at {where}: look at what your code does differently there.",
                    "Sua curva se afasta da referência a partir {where}: veja o que seu código faz de diferente ali.")
WHERE = {"step": Text("step {at}", "do passo {at}"), "epoch": Text("epoch {at}", "da época {at}"),
         "micro-batch": Text("micro-batch {at}", "do micro-batch {at}")}
CURVE_OPEN = Text("Loss curve", "Curva de perda")
CURVE_LENGTH = Text("Your function returned {n} losses; the reference returned {m}.",
                    "Valores de perda devolvidos: {n} pela sua função, {m} pela referência.")
CURVE_NOT_STARTED = Text("Not started yet: no curve to draw.", "Ainda não iniciado: nenhuma curva para desenhar.")
CURVE_ERROR = Text("Your code raised an error on the plotting problem, so there is no curve: {error}",
                   "Seu código lançou um erro no problema usado para o gráfico, então não há curva: {error}")
CURVE_TIMED_OUT = Text("Training took too long on a small problem, so there is no curve.",
                       "O treino demorou demais num problema pequeno, então não há curva.")
CURVE_CRASHED = Text("The process drawing the curve stopped inside your code, so there is no curve.",
                     "O processo que desenha a curva parou dentro do seu código, então não há curva.")
CURVE_NOT_NUMBERS = Text("The losses returned are not finite numbers.", "As perdas devolvidas não são números finitos.")
FOOTER = Text("tocha report · the checks compare what your code does with the reference, on the same inputs, "
              "seeds and starting weights.",
              "tocha report · as verificações comparam o que seu código faz com a referência, nas mesmas entradas, "
              "sementes e pesos iniciais.")
WROTE = Text("wrote {path}: open it in a browser ({url})", "{path} gravado: abra-o no navegador ({url})")

COLS = ('<colgroup><col style="width:230px"><col style="width:70px"><col style="width:120px"><col></colgroup>')
BADGE = {"passed": "ok", "failed": "bad", "error": "bad", "timed out": "warn", "not started": "todo", "skipped": "todo", "cheated": "bad"}


def _inline(text: str) -> str:
    """Escape, then show `name` as code."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _bar(earned: int, possible: int, small: bool = False) -> str:
    share = 0 if possible <= 0 else 100 * earned / possible
    classes = "bar" + (" small" if small else "") + (" full" if possible and earned == possible else "")
    return f'<div class="{classes}"><span style="width:{share:.1f}%"></span></div>'


def _badge(status: str, lang: str) -> str:
    return f'<span class="badge {BADGE.get(status, "todo")}">{html.escape(STATUS[status].get(lang))}</span>'


# ---------------------------------------------------------------- curves

def _first_difference(a: list[float], b: list[float]) -> int | None:
    for k, (x, y) in enumerate(zip(a, b)):
        if not (math.isfinite(x) and math.isfinite(y)) or abs(x - y) > 1e-4 * max(abs(y), 1e-3) + 1e-6:
            return k
    return None


def plot_png(student: list[float], reference: list[float], axis: str, lang: str, matches: bool) -> str:
    """Base64 PNG of the two curves."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.6, 3.0), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    xs_ref = range(1, len(reference) + 1)
    xs_you = range(1, len(student) + 1)
    # the reference as a wide pale band underneath, so a matching curve still shows both
    ax.plot(xs_ref, reference, color="#9aa5b4", linewidth=6, alpha=0.55, solid_capstyle="round",
            label=REFERENCE.get(lang))
    ax.plot(xs_you, student, color="#1f9d55" if matches else "#e4572e", linewidth=1.6,
            marker="o", markersize=2.5, label=YOURS.get(lang))
    values = [v for v in student + reference if math.isfinite(v)]
    if values and min(values) > 0 and max(values) / min(values) > 30:
        ax.set_yscale("log")
    ax.set_xlabel(AXIS[axis].get(lang))
    ax.set_ylabel(LOSS.get(lang))
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def curve_html(item: str, curve: dict | None, lang: str, collapsed: bool = False) -> str:
    if curve is None:
        return ""
    axis = TRAINING_ITEMS[item][1]
    if curve.get("timed_out"):
        return f'<p class="note">{CURVE_TIMED_OUT.get(lang)}</p>'
    if curve.get("crashed"):
        return f'<p class="note">{CURVE_CRASHED.get(lang)}</p>'
    you, ref = curve.get("student", {}), curve.get("reference", {})
    if you.get("status") == "not started":
        return f'<p class="note">{CURVE_NOT_STARTED.get(lang)}</p>'
    if you.get("status") == "error":
        return f'<p class="note">{_inline(CURVE_ERROR.format(error=you.get("error", "")).get(lang))}</p>'
    if ref.get("status") != "ok" or you.get("status") != "ok":
        return ""
    student, reference = you["values"] or [], ref["values"] or []
    if not student:
        return f'<p class="note">{CURVE_LENGTH.format(n=0, m=len(reference)).get(lang)}</p>'
    notes = []
    if len(student) != len(reference):
        notes.append(CURVE_LENGTH.format(n=len(student), m=len(reference)).get(lang))
    at = _first_difference(student, reference)
    if not all(math.isfinite(v) for v in student):
        notes.append(CURVE_NOT_NUMBERS.get(lang))
    if at is None and len(student) == len(reference):
        notes.append(CURVE_SAME.get(lang))
    elif at is not None:
        notes.append(CURVE_LEAVES.format(where=WHERE[axis].format(at=at + 1).get(lang)).get(lang))
    matches = at is None and len(student) == len(reference)
    try:
        png = plot_png(student, reference, axis, lang, matches)
    except Exception as exc:  # a plot that cannot be drawn must not cost the page
        return f'<p class="note">{html.escape(type(exc).__name__)}: {html.escape(str(exc)[:200])}</p>'
    alt = html.escape(f"{CURVE_TITLE.get(lang)} ({item})")
    figure = (f'<figure><img alt="{alt}" src="data:image/png;base64,{png}">'
              f'<figcaption><b>{CURVE_TITLE.get(lang)}.</b> {CURVE_NOTE.get(lang)} '
              f'{" ".join(html.escape(n) for n in notes)}</figcaption></figure>')
    if collapsed:
        return f'<details><summary>{CURVE_OPEN.get(lang)} · {html.escape(" ".join(notes))}</summary>{figure}</details>'
    return figure


# ---------------------------------------------------------------- the page

def page(lang: str, title: str, style: str, body: list[str], footer: str) -> str:
    """The page (templates/report.html, the class report's too) around `body`, one line a part;
    `title` and `footer` are HTML already. It ends at </html>, with no newline after it."""
    lines = "".join(f"{part}\n" for part in body)
    text = templates.render("report.html", LANG=lang, TITLE=title, STYLE=style, BODY=lines, FOOTER=footer)
    return text.removesuffix("\n")


def explanation_html(item: str, lang: str, opened: bool = False) -> str:
    entry = ex.lookup(item)
    if entry is None:
        return ""
    points = "".join(f"<li>{_inline(p)}</li>" for p in entry.points(lang))
    return (f'<details{" open" if opened else ""}><summary>{EXPLAIN.get(lang)} · <code>tocha hint {html.escape(item)}</code></summary>'
            f'<div class="explain"><h4>{ex.HINT_CONCEPT.get(lang)}</h4><p>{_inline(entry.concept.get(lang))}</p>'
            f'<h4>{ex.HINT_LESSON.get(lang)}</h4><p><i>{_inline(entry.lesson_title.get(lang))}</i> — '
            f'{_inline(entry.lesson.get(lang))}</p>'
            f'<h4>{ex.HINT_LOOK.get(lang)}</h4><ul>{points}</ul></div></details>')


def build_html(results: list[ModuleResult], impl: Path, lang: str, curves: dict | None = None,
               when: str | None = None) -> str:
    curves = curves or {}
    when = when or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    earned = sum(r.earned for r in results)
    possible = sum(r.possible for r in results)
    percent = f"{round(100 * earned / possible)} %" if possible else "–"
    out = [f'<h1>{html.escape(TITLE.get(lang))}</h1>',
           f'<div class="meta">{html.escape(META.format(impl=display_root(impl), when=when, lang=lang).get(lang))}</div>']
    nxt = next_item(results, impl)
    nxt_line = (NEXT.format(item=html.escape(nxt.item), file=html.escape(module_file(impl, nxt.module))).get(lang)
                if nxt else ALL_DONE.get(lang))
    out.append(f'<section class="card"><div class="total"><div class="big">{earned}/{possible}</div>'
               f'{_bar(earned, possible)}<div class="big" style="font-size:22px">{percent}</div></div>'
               f'<p>{nxt_line}</p><p class="note">{LOOP.get(lang)}</p></section>')
    # summary
    out.append(f'<table class="summary"><tr><th>{MODULE.get(lang)}</th><th></th><th>{POINTS.get(lang)}</th>'
               f'<th>{STATE.get(lang)}</th></tr>')
    for r in results:
        counted = [i for i in r.items if i.status != "skipped"]
        done = sum(1 for i in counted if i.status == "passed")
        state = (ITEMS_DONE.format(done=done, count=len(counted)).get(lang) if counted
                 else _badge("error", lang) if r.problem else NOT_COUNTED.get(lang))
        out.append(f'<tr><td class="item"><a href="#{r.module}">{r.module}</a></td>'
                   f'<td>{_bar(r.earned, r.possible, small=True)}</td>'
                   f'<td class="pts">{r.earned}/{r.possible}</td><td>{state}</td></tr>')
    out.append(f'<tr><th>{TOTAL.get(lang)}</th><th></th><th>{earned}/{possible}</th><th>{percent}</th></tr></table>')
    # modules
    for r in results:
        out.append(f'<h2 id="{r.module}"><span>{r.module}</span>{_bar(r.earned, r.possible, small=True)}'
                   f'<span class="pts" style="font-size:15px;font-weight:400">{r.earned}/{r.possible}</span></h2>')
        if r.problem:
            out.append(f'<div class="card problem">{html.escape(r.problem)}</div>')
        out.append(f'<table class="items">{COLS}<tr><th>{ITEM.get(lang)}</th><th>{POINTS.get(lang)}</th><th>{STATE.get(lang)}</th>'
                   f'<th>{HINT.get(lang)}</th></tr>')
        for i in r.items:
            points = f"{i.earned}/{i.possible}" if i.status != "skipped" else "–"
            hint = f'<div class="hint">{_inline(i.hint)}</div>' if i.hint else ("" if i.done else "")
            body = hint
            if not i.done:
                body += explanation_html(i.item, lang, opened=i is nxt)
            if i.item in TRAINING_ITEMS:
                body += curve_html(i.item, curves.get(i.item), lang, collapsed=i.status == "passed")
            out.append(f'<tr><td class="item">{html.escape(i.item)}</td><td class="pts">{points}</td>'
                       f'<td>{_badge(i.status, lang)}</td><td>{body or "—"}</td></tr>')
        out.append("</table>")
    return page(lang, f"{html.escape(TITLE.get(lang))}: {earned}/{possible}", templates.render("report.css"), out,
                html.escape(FOOTER.get(lang)))


def curve_items(results: list[ModuleResult]) -> list[str]:
    """Training items worth a curve: started, graded (a stub or a skipped item has nothing to show)."""
    return [i.item for r in results for i in r.items
            if i.item in TRAINING_ITEMS and i.status not in ("not started", "skipped")]


def write_report(path: Path, results: list[ModuleResult], impl: Path, ref: Path, lang: str,
                 with_curves: bool = True) -> Path:
    curves = loss_curves(impl, ref, curve_items(results)) if with_curves else {}
    page = build_html(results, impl, lang, curves)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def cmd_report(args) -> int:
    where = Where.of(args)
    lang, impl, kit = where.lang, where.impl, where.kit
    curriculum = where.curriculum
    modules = resolve_modules(args.modules, curriculum)
    print(where.line(), file=sys.stderr)

    def progress(module):
        if sys.stderr.isatty():
            print(f"  {module} …", file=sys.stderr, flush=True)

    results, _ = results_for(modules, impl, lang, curriculum, kit, fresh=args.fresh, progress=progress,
                             reference=args.reference)
    path = write_report(Path(args.output), results, impl, resolve_root(args.reference, kit), lang,
                        with_curves=not args.no_curves)
    print(WROTE.format(path=path, url=path.resolve().as_uri()).get(lang))
    return 2 if any(r.problem for r in results) else 0
