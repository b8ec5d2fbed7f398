"""How much faster `tocha grade` grades a class than one `pytest checks` per student.

    python benchmarks/class_grade.py [--students 32] [--jobs 2] [--json out.json]

Builds a class from the mutants in tests/submissions/ (ex01–ex06 and ex08): each student is a
copy of the solutions with one module replaced by a mutant, taken round-robin over the modules
(sorted, so the class is the same on every machine). Then, on the same machine in the same run:

  * `tocha grade CLASS --out DIR --jobs N --modules ex01,…,ex08 --force`, one process, timed;
  * one `python -m pytest <the same check files> --impl STUDENT --score-json F` per student,
    one after another, timed in all;
  * the same `tocha grade` again: its wall is the mean of the two, so that a load that comes
    and goes on a shared machine weighs on both sides alike.

Prints both walls, the ratio (goal: at least 5x with --jobs 2 on 2 cores) and the overhead per
student beyond the checks' own time (the sum of the checks' durations, from the grade run's
ledger): inside a grade job (fork, imports, reports), over the whole grade run (job start and
intake included, counted in job-seconds: wall x jobs), and for a pytest process (start, import
torch, collection). Both sides must give every student the same score; a difference is
reported and makes the exit status 1, as does a ratio under the goal.

Both sides get OMP_WAIT_POLICY=PASSIVE (so that spinning OpenMP threads on a shared machine do
not slow the pytest side unfairly); the grade jobs also get OMP_NUM_THREADS = cores / jobs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
MODULES = ["ex01_autograd", "ex02_forward", "ex03_training", "ex04_gradients", "ex05_inference",
           "ex06_inplace", "ex08_regression"]
GOAL = 5.0


def build_class(folder: Path, count: int) -> list[str]:
    """`count` students, round-robin over the modules' mutants."""
    mutants = {m: sorted((KIT / "tests" / "submissions" / m).glob("*.py")) for m in MODULES}
    students, k = [], 0
    while len(students) < count and any(mutants.values()):
        module = MODULES[k % len(MODULES)]
        k += 1
        if not mutants[module]:
            continue
        mutant = mutants[module].pop(0)
        name = f"{module.split('_')[0]}-{mutant.stem}"
        root = folder / name
        shutil.copytree(KIT / "solutions", root, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(mutant, root / f"{module}.py")
        students.append(name)
    return students


def env() -> dict:
    return {**os.environ, "TOCHA_LANG": "en", "OMP_WAIT_POLICY": "PASSIVE", "PYTHONDONTWRITEBYTECODE": "1"}


def grade_class(folder: Path, out: Path, jobs: int) -> tuple[float, subprocess.CompletedProcess]:
    cmd = [sys.executable, "-m", "grading.cli", "grade", str(folder), "--out", str(out), "--jobs", str(jobs),
           "--modules", ",".join(MODULES), "--force"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, env=env())
    return time.perf_counter() - start, proc


def pytest_each(folder: Path, students: list[str], scratch: Path) -> tuple[float, dict, dict]:
    checks = [f"checks/test_{m}.py" for m in MODULES]
    walls, scores = {}, {}
    for student in students:
        out = scratch / f"{student}.json"
        cmd = [sys.executable, "-m", "pytest", *checks, "--impl", str(folder / student), "--score-json", str(out),
               "-q", "-p", "no:cacheprovider"]
        start = time.perf_counter()
        subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, env=env())
        walls[student] = time.perf_counter() - start
        payload = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        scores[student] = (payload.get("score"), payload.get("max_score"))
    return sum(walls.values()), walls, scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=32, help="class size (default 32)")
    parser.add_argument("--jobs", type=int, default=2, help="tocha grade --jobs (default 2)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                "load_before": [round(x, 2) for x in os.getloadavg()]}}
    with tempfile.TemporaryDirectory(prefix="tocha-bench-") as tmp:
        tmp = Path(tmp)
        students = build_class(tmp / "class", args.students)
        n = len(students)
        print(f"class: {n} students (mutants of {', '.join(m.split('_')[0] for m in MODULES)}) · "
              f"{os.cpu_count()} CPUs · load {report['machine']['load_before']}")

        grade_walls = []
        rows: dict = {}

        def grade_once() -> bool:
            wall, proc = grade_class(tmp / "class", tmp / "out", args.jobs)
            ledger = tmp / "out" / "grade.json"
            rows.update(json.loads(ledger.read_text(encoding="utf-8"))["students"] if ledger.exists() else {})
            if proc.returncode != 0 or len(rows) != n:
                print(proc.stdout[-3000:], proc.stderr[-3000:])
                print(f"tocha grade failed (exit status {proc.returncode}, {len(rows)} of {n} students)")
                return False
            grade_walls.append(wall)
            print(f"tocha grade --jobs {args.jobs}: {wall:7.1f} s (load {[round(x, 2) for x in os.getloadavg()]})")
            return True

        if not grade_once():
            return 1
        (tmp / "scratch").mkdir()
        pytest_wall, walls, scores = pytest_each(tmp / "class", students, tmp / "scratch")
        print(f"pytest per student: {pytest_wall:7.1f} s ({pytest_wall / n:.2f} s a student; "
              f"load {[round(x, 2) for x in os.getloadavg()]})")
        if not grade_once():
            return 1
        grade_wall = sum(grade_walls) / len(grade_walls)

    checks_s = {s: rows[s]["checks_s"] for s in students}
    in_job = sum(rows[s]["elapsed_s"] - checks_s[s] for s in students) / n
    whole = (grade_wall * args.jobs - sum(checks_s.values())) / n
    per_pytest = sum(walls[s] - checks_s[s] for s in students) / n
    ratio = pytest_wall / grade_wall
    differ = [f"{s}: grade {rows[s]['total']}/{rows[s]['max_score']}, pytest {scores[s][0]}/{scores[s][1]}"
              for s in students if (rows[s]["total"], rows[s]["max_score"]) != scores[s]]
    print(f"ratio: {ratio:.1f}x (goal {GOAL:.0f}x): pytest {pytest_wall:.1f} s / tocha grade {grade_wall:.1f} s "
          f"(mean of {', '.join(f'{w:.1f}' for w in grade_walls)})")
    print(f"checks' own time: {sum(checks_s.values()) / n:.2f} s a student on average")
    print(f"overhead a student beyond the checks: in a grade job {in_job:.2f} s · whole grade run "
          f"{whole:.2f} job-s · pytest process {per_pytest:.2f} s")
    print("same scores on both sides" if not differ else "scores differ:\n  " + "\n  ".join(differ))
    report.update({"students": n, "jobs": args.jobs, "grade_wall_s": round(grade_wall, 2),
                   "grade_walls_s": [round(w, 2) for w in grade_walls],
                   "pytest_wall_s": round(pytest_wall, 2), "ratio": round(ratio, 2),
                   "checks_s_per_student": round(sum(checks_s.values()) / n, 3),
                   "overhead_s_per_student": {"grade_job": round(in_job, 3), "grade_run_job_s": round(whole, 3),
                                              "pytest": round(per_pytest, 3)},
                   "score_differences": differ})
    report["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0 if ratio >= GOAL and not differ else 1


if __name__ == "__main__":
    sys.exit(main())
