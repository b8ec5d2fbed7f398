"""The curriculum the check files define, and the results of a run read back per item.

The modules and their items (with points) are read from the check files' `item` markers, without
importing them; a run's results file (Gradescope's form, written by the pytest plugin) becomes one
ModuleResult per module, its items in curriculum order, each with the worst status of its checks.
"""
from __future__ import annotations

import ast
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grading.data import KIT_ROOT, find_kit
from grading.text import LANGS, STATUS, Text, default_lang

CHECKS_DIR = KIT_ROOT / "checks"
# Worst status first: the worst among an item's checks names the item (as in the score table).
PRECEDENCE = ["cheated", "not started", "error", "timed out", "failed", "skipped", "passed"]
UNKNOWN_MODULE = Text("no module matches `{name}`; modules: {modules}.",
                      "nenhum módulo corresponde a `{name}`; módulos: {modules}.")


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


def strip_status(output: str, status: str, lang: str) -> str:
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
    return {lang: strip_status(str(test.get("output", "")), status, lang)}


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


