"""Every student- and teacher-facing `Text` has its Portuguese: read from the source (no import of
torch or of the checks), so a message added in English only fails here, whatever runs it."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import KIT

# Words a Brazilian reader uses as they are: a Text made only of these (and of placeholders,
# `code` and punctuation) may read the same in both languages.
SAME_WORDS = {"total", "item", "ok", "loss", "micro", "batch", "tocha", "release", "pt"}


def _literal(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else left + right
    return None


def _texts(path: Path):
    """(line, en, pt) of every Text("...", "...") call written with literal strings."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        func = getattr(node, "func", None)
        if not isinstance(node, ast.Call) or getattr(func, "id", getattr(func, "attr", None)) != "Text":
            continue
        args = list(node.args) + [k.value for k in node.keywords if k.arg in ("en", "pt")]
        if len(args) == 2:
            en, pt = _literal(args[0]), _literal(args[1])
            if en is not None and pt is not None:
                yield node.lineno, en, pt


def _words(text: str) -> set[str]:
    text = re.sub(r"\{[^}]*\}|`[^`]*`", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ]+", text)}


def _sources() -> list[Path]:
    return sorted((KIT / "grading").glob("*.py")) + sorted((KIT / "checks").glob("*.py"))


def test_every_text_has_its_portuguese():
    seen, missing = 0, []
    for path in _sources():
        for line, en, pt in _texts(path):
            seen += 1
            where = f"{path.relative_to(KIT)}:{line}"
            if en.strip() and not pt.strip():
                missing.append(f"{where}: no Portuguese for {en[:60]!r}")
            elif en == pt and not _words(en) <= SAME_WORDS:
                missing.append(f"{where}: the same in both languages: {en[:60]!r}")
    assert seen > 300, seen
    assert not missing, "\n".join(missing)


def test_status_words_and_tags_are_translated():
    from grading.text import STATUS, tag

    for status, text in STATUS.items():
        assert text.pt != text.en or status == "skipped", status
    assert tag("failed", "pt-BR") == "[falhou]" and tag("not started", "en") == "[not started]"
