"""Grade several implementation roots in one process (torch is imported once).

Used by the kit's own test suites:

    python -m grading.engine.batch OUT.json CHECK_FILE[,CHECK_FILE...] ROOT... [-- PYTEST_ARG...]

writes {root: results.json payload, with the run's "exit_status" added}. Roots share nothing
but the checks and the reference: every check module runs in a worker process of its own, so no
submission's code ever runs in this process.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

# OpenMP's wait policy (threads sleep, not spin, on shared cores) is set by the tocha plugin,
# which pytest loads before any check imports torch.


def grade(check_file: str | list[str], root: str, extra: tuple[str, ...] = ()) -> dict:
    check_files = [check_file] if isinstance(check_file, str) else list(check_file)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        args = [*check_files, "--impl", root, "--score-json", str(out), "-p", "no:terminal", *extra]
        status = pytest.main(args)
        payload = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"error": "no results"}
    payload["exit_status"] = int(status)
    return payload


def main(argv: list[str]) -> int:
    extra: tuple[str, ...] = ()
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], tuple(argv[cut + 1:])
    out, checks, *roots = argv
    check_files = [c for c in checks.split(",") if c]
    payload = {root: grade(check_files, root, extra) for root in roots}
    Path(out).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
