"""The optional ex09_lessons checks without the lessons extra: every check is skipped with the
install line, nothing is counted, and nothing of lightning or tensorboard is imported."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import KIT

# Hide lightning and tensorboard as if they were not installed (find_spec gives None for them).
_WITHOUT_EXTRA = """
import sys
for name in ("lightning", "pytorch_lightning", "tensorboard"):
    sys.modules[name] = None
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_lessons_checks_skip_without_the_extra(tmp_path):
    out = tmp_path / "results.json"
    cmd = [sys.executable, "-c", _WITHOUT_EXTRA, "checks/test_ex09_lessons.py", "--impl", "solutions",
           "--score-json", str(out), "-rs", "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TOCHA_LANG": "en"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["tests"] == [] and results["max_score"] == 0, results
    assert "pip install -e '.[lessons]'" in proc.stdout
    assert "instale o extra lessons" in proc.stdout
    assert " passed" not in proc.stdout.splitlines()[-1], proc.stdout.splitlines()[-1]
