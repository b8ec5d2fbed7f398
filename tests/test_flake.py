"""Verdicts do not depend on the seed: every check file on the solutions, and the mutants of a few
modules, graded under several seed offsets (`--seed-offset`) get the same status for every check.

The same submissions replayed from the recorded snapshots under two machines' kernels get the
same verdicts too. A check whose verdict changes with the seed (or the machine) is flaky: it
would fail a correct submission, or pass a wrong one, by chance. The modules whose mutants are graded are TOCHA_FLAKE_MODULES
(comma-separated; default ex01_autograd and ex02_forward) to keep the run short.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import KIT
from grading.snapshots import command as snaprun

pytestmark = pytest.mark.slow  # minutes: `pytest tests --slow` (CI) runs it

OFFSETS = (0, 1, 7919)
SUBMISSIONS = Path(__file__).parent / "submissions"
_CHOSEN = os.environ.get("TOCHA_FLAKE_MODULES", "ex01_autograd,ex02_forward")
MODULES = [m for m in _CHOSEN.split(",") if m and (KIT / "checks" / f"test_{m}.py").exists()]
CHECK_FILES = sorted((KIT / "checks").glob("test_*.py"))


def _batch(out: Path, check_files: list[Path], roots: list, offset: int) -> dict:
    return snaprun.grade_batch(KIT, out, ",".join(map(str, check_files)), [str(r) for r in roots],
                               ["--seed-offset", str(offset), "-p", "no:cacheprovider"])


def _roots(module: str, work: Path) -> list[str]:
    """The solutions, then a copy of them per submission of `module` (tests/submissions/)."""
    files = sorted((SUBMISSIONS / module).glob("*.py"))
    return [str(KIT / "solutions")] + snaprun.submission_roots(KIT, module, files, work)


@pytest.fixture(scope="session")
def verdicts(tmp_path_factory) -> dict:
    """{(what, root name): [{check name: status} for each offset]}."""
    work = tmp_path_factory.mktemp("flake")
    jobs = []
    for module in MODULES:
        roots = _roots(module, work)
        jobs += [(module, [KIT / "checks" / f"test_{module}.py"], roots, offset) for offset in OFFSETS]
    jobs += [("all checks", CHECK_FILES, [KIT / "solutions"], offset) for offset in OFFSETS]

    def run(job):
        what, check_files, roots, offset = job
        out = work / f"{what.replace(' ', '_')}-{offset}.json"
        return what, _batch(out, check_files, roots, offset)

    found: dict = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for what, payload in pool.map(run, jobs):
            for root, result in payload.items():
                statuses = {t["name"]: t["tags"][2] for t in result.get("tests", [])}
                found.setdefault((what, Path(root).name), []).append(statuses)
    return found


def test_every_verdict_is_the_same_under_every_seed(verdicts):
    assert verdicts
    flaky = []
    for (what, root), runs in sorted(verdicts.items()):
        assert len(runs) == len(OFFSETS) and runs[0], (what, root, runs)
        for name in sorted(set().union(*runs)):
            seen = [run.get(name, "missing") for run in runs]
            if len(set(seen)) > 1:
                flaky.append(f"{what} / {root} / {name}: {dict(zip(OFFSETS, seen))}")
    assert not flaky, "verdicts that change with the seed:\n" + "\n".join(flaky)


# The snapshot path replays at seed offset 0 only; what varies there is the machine. The same
# submissions graded from the recorded answers under this machine's kernels and under the generic
# ones with one thread must get the same verdicts.
MACHINES = ({}, {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1"})


def test_replayed_verdicts_do_not_depend_on_the_machine(tmp_path):
    runs = []
    for i, machine in enumerate(MACHINES):
        found = {}
        for module in MODULES:
            roots = _roots(module, tmp_path / str(i))
            payload = snaprun.grade_batch(KIT, tmp_path / f"{module}-{i}.json", f"checks/test_{module}.py", roots,
                                          ["--reference", "snapshots", "-p", "no:cacheprovider"], env=machine)
            for root, result in payload.items():
                found[(module, Path(root).name)] = {t["name"]: t["tags"][2] for t in result.get("tests", [])}
        runs.append(found)
    assert runs[0] and runs[0] == runs[1], [k for k in runs[0] if runs[0][k] != runs[1].get(k)]


def test_solutions_pass_under_every_seed(verdicts):
    for (what, root), runs in verdicts.items():
        if root == "solutions":
            failing = {name: status for run in runs for name, status in run.items() if status != "passed"}
            assert not failing, f"{what}: {failing}"
