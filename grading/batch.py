"""Grade several implementation roots in one process (torch is imported once).

Used by the kit's own mutant suite: `python -m grading.batch OUT.json CHECK_FILE ROOT...` writes
{root: results.json payload}. Roots share nothing but the checks and the reference.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest


def grade(check_file: str, root: str, extra: tuple[str, ...] = ()) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        args = [check_file, "--impl", root, "--score-json", str(out), "-p", "no:terminal", *extra]
        pytest.main(args)
        return json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"error": "no results"}


def main(argv: list[str]) -> int:
    out, check_file, *roots = argv
    payload = {root: grade(check_file, root) for root in roots}
    Path(out).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
