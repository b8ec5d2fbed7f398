"""Shared helpers for the kit's own tests: run the checks in a subprocess and read the results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent


def run_checks(*args: str, cwd: Path = KIT, timeout: int = 900, env_extra: dict | None = None):
    """`python -m pytest checks ...` with a results file; returns (completed process, results dict)."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"tocha-results-{os.getpid()}-{abs(hash(args))}.json"
    env = {**os.environ, "TOCHA_LANG": "en", **(env_extra or {})}
    cmd = [sys.executable, "-m", "pytest", *args, "--score-json", str(out), "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    out.unlink(missing_ok=True)
    return proc, results


@pytest.fixture(scope="session")
def kit() -> Path:
    return KIT
