"""What a whole class got right and wrong, from the students' results files.

`summarize` turns {student id: results payload} (the file `pytest checks --score-json` writes)
into plain JSON-ready numbers: the score histogram, pass rate per module and per item, the
failure hints counted by how many students got each, and one row per student. `tocha grade`
writes it to DIR/class.json and `tocha class-report` draws it, so both show the same numbers.

Every student runs the same checks with the same seeds, so the same mistake gets the same hint,
numbers included ("It matches 0 steps instead of 1" and "2 steps instead of 1" are different
mistakes). What differs between students is blanked for grouping: their folder, the line of
their file, object addresses. Each student counts once per item, with the first hint the item
shows them (the one `tocha status` puts first).
"""
from __future__ import annotations

import re
import statistics
from collections import Counter

from grading.curriculum import discover, parse_results

SCHEMA = "tocha/class-stats/v1"
MISTAKE_STATUSES = ("failed", "error", "timed out", "cheated")  # "not started" is missing work, not a mistake
HISTOGRAM_BINS = 10

_SEED = re.compile(r"\s*\((?:seed|semente) -?\d+\)\s*$")
_PATH = re.compile(r"(?:[A-Za-z]:)?[\w.~-]*(?:[/\\][\w~-][\w.~-]*)+")
_LINE = re.compile(r"\b(line|linha) \d+")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


def payload_lang(payload: dict) -> str:
    """The language the payload was written in (its summary line says)."""
    return "pt-BR" if str(payload.get("output", "")).startswith("nota do tocha") else "en"


def _file_name(match: re.Match) -> str:
    path = match.group(0)
    tail = path.rstrip(".")
    name = re.split(r"[/\\]", tail)[-1]
    if name.endswith(".py"):
        return name + path[len(tail):]
    if re.match(r"[/\\~]|[A-Za-z]:", path):  # a folder of the grading machine
        return "[…]" + path[len(tail):]
    return path  # not a file: a TensorBoard tag such as Loss/train


def wording(hint: str) -> str:
    """The hint as a teacher reads it for the class: no seed, no student's folder."""
    return " ".join(_PATH.sub(_file_name, _SEED.sub("", hint)).split())


def hint_key(hint: str) -> str:
    """The hint with what differs between students for the same mistake blanked."""
    return _ADDRESS.sub("0x…", _LINE.sub(r"\1 #", wording(hint)))


def _percent(earned: int, possible: int) -> float:
    return round(100.0 * earned / possible, 1) if possible else 0.0


def _rate(count: int, out_of: int) -> float:
    return round(count / out_of, 4) if out_of else 0.0


def histogram(percents: list[float], bins: int = HISTOGRAM_BINS) -> dict:
    """Counts of scores in equal percent bins; the last bin includes 100 %."""
    width = 100 / bins
    counts = [0] * bins
    for p in percents:
        counts[min(int(p // width), bins - 1)] += 1
    return {"unit": "percent", "edges": [round(k * width, 4) for k in range(bins + 1)], "counts": counts}


def _graded(payload: dict | None) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("tests"), list) and bool(payload["tests"])


def summarize(results: dict[str, dict], statuses: dict[str, str] | None = None,
              curriculum: dict[str, dict[str, int]] | None = None, lang: str | None = None) -> dict:
    """Class statistics from {student: results payload}.

    `statuses` (student -> "ok" or what was wrong with the entry, as in grades.csv) labels the
    rows; a student is graded when their payload has tests (a student with a module missing is
    graded, with that status). Rates and the histogram are over graded students; every student
    has a row. Hints are in `lang` where the results carry it (`tocha grade` keeps both
    languages), else in the language each student was graded in.
    """
    statuses = dict(statuses or {})
    curriculum = curriculum if curriculum is not None else discover()
    students = sorted(set(results) | set(statuses))
    parsed: dict[str, dict] = {}
    for student in students:
        payload = results.get(student)
        if _graded(payload):
            parsed[student] = parse_results(payload, lang or payload_lang(payload), curriculum)
    modules = _graded_items(parsed, curriculum)
    item_rows, mistakes = _item_rows(parsed, modules)
    rows, percents, module_totals = _student_rows(students, parsed, statuses, list(modules))
    return {
        "schema": SCHEMA,
        "students": len(students),
        "graded": len(parsed),
        "not_graded": [r["student"] for r in rows if r["student"] not in parsed],
        "max_score": max((r["max_score"] for r in rows), default=0),
        "score": {
            "mean_percent": round(statistics.fmean(percents), 1) if percents else 0.0,
            "median_percent": round(statistics.median(percents), 1) if percents else 0.0,
            "min_percent": min(percents, default=0.0),
            "max_percent": max(percents, default=0.0),
            "full_marks": sum(1 for r in rows if r["student"] in parsed and r["max_score"]
                              and r["total"] == r["max_score"]),
            "histogram": histogram(percents),
        },
        "modules": _module_rows(module_totals, item_rows),
        "items": item_rows,
        "mistakes": mistakes,
        "rows": rows,
    }


def _graded_items(parsed: dict[str, dict], curriculum: dict) -> dict[str, dict[str, int]]:
    """{module: {item: points}} of what anybody was graded on: the curriculum's order, then
    anything else in the order first seen."""
    modules: dict[str, dict[str, int]] = {}
    for by_module in parsed.values():
        for module, result in by_module.items():
            items = modules.setdefault(module, {})
            for i in result.items:
                if i.status != "skipped":
                    items[i.item] = max(items.get(i.item, 0), i.possible)
    order = [m for m in curriculum if m in modules] + sorted(m for m in modules if m not in curriculum)
    return {m: modules[m] for m in order}


def _item_rows(parsed: dict[str, dict], modules: dict[str, dict[str, int]]) -> tuple[list, list]:
    """One row per item (pass rate, mean score, its mistakes) and the class's mistakes, most common first."""
    index = {s: {(m, i.item): i for m, r in by_module.items() for i in r.items} for s, by_module in parsed.items()}
    item_rows, mistakes = [], []
    for module, items in modules.items():
        for item, possible in items.items():
            passed = not_started = graded = 0
            earned_sum = 0
            groups: dict[tuple[str, str], dict] = {}
            for student in parsed:
                found = index[student].get((module, item))
                if found is None or found.status == "skipped":
                    continue
                graded += 1
                earned_sum += found.earned
                passed += found.status == "passed"
                not_started += found.status == "not started"
                first = next((c for c in found.checks if c["status"] != "passed" and c["hint"]), None)
                if first is None or first["status"] not in MISTAKE_STATUSES:
                    continue
                key = (first["status"], hint_key(first["hint"]))
                group = groups.setdefault(key, {"students": set(), "wordings": Counter(), "checks": set()})
                group["students"].add(student)
                group["wordings"][wording(first["hint"])] += 1
                group["checks"].add(first["check"])
            hints = sorted(({
                "module": module, "item": item, "status": status, "key": key,
                "hint": group["wordings"].most_common(1)[0][0],
                "students": len(group["students"]), "checks": sorted(group["checks"]),
            } for (status, key), group in groups.items()), key=lambda h: (-h["students"], h["hint"]))
            mistakes += hints
            item_rows.append({
                "module": module, "item": item, "max_score": possible, "students": graded,
                "passed": passed, "pass_rate": _rate(passed, graded), "not_started": not_started,
                "mean_score": round(earned_sum / graded, 2) if graded else 0.0,
                "hints": [{k: h[k] for k in ("status", "hint", "students", "checks")} for h in hints],
            })
    mistakes.sort(key=lambda h: (-h["students"], h["module"], h["item"], h["hint"]))
    return item_rows, mistakes


def _student_rows(students: list[str], parsed: dict[str, dict], statuses: dict[str, str],
                  order: list[str]) -> tuple[list, list, dict]:
    """Every student's row, the graded students' percents, and each module's (earned, possible) pairs."""
    rows, percents = [], []
    module_totals: dict[str, list[tuple[int, int]]] = {m: [] for m in order}
    for student in students:
        by_module = parsed.get(student)
        status = statuses.get(student, "ok")
        if by_module is None:
            rows.append({"student": student, "graded": False, "status": status if status != "ok" else "no results",
                         "modules": {}, "total": 0, "max_score": 0, "percent": 0.0,
                         "items_passed": 0, "items": 0, "to_fix": [], "not_started": []})
            continue
        points, total, possible, items_passed, items, to_fix, not_started = {}, 0, 0, 0, 0, [], []
        for module in order:
            result = by_module.get(module)
            if result is None:
                continue
            points[module] = result.earned
            module_totals[module].append((result.earned, result.possible))
            total += result.earned
            possible += result.possible
            for i in result.items:
                if i.status == "skipped":
                    continue
                items += 1
                items_passed += i.status == "passed"
                if i.status == "not started":
                    not_started.append(f"{module} › {i.item}")
                elif i.status != "passed":
                    to_fix.append(f"{module} › {i.item}")
        percents.append(_percent(total, possible))
        rows.append({"student": student, "graded": True, "status": status, "modules": points, "total": total,
                     "max_score": possible, "percent": _percent(total, possible),
                     "items_passed": items_passed, "items": items, "to_fix": to_fix,
                     "not_started": not_started})
    return rows, percents, module_totals


def _module_rows(module_totals: dict[str, list[tuple[int, int]]], item_rows: list[dict]) -> list[dict]:
    """One row per module: how many students got full marks, the mean score."""
    module_rows = []
    for module, scores in module_totals.items():
        full = sum(1 for earned, possible in scores if possible and earned == possible)
        module_rows.append({
            "module": module, "max_score": max((p for _, p in scores), default=0), "students": len(scores),
            "full_marks": full, "pass_rate": _rate(full, len(scores)),
            "mean_score": round(statistics.fmean(e for e, _ in scores), 2) if scores else 0.0,
            "items": sum(1 for i in item_rows if i["module"] == module),
        })
    return module_rows

