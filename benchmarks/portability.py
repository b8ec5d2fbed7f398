"""Do verdicts from the recorded snapshots hold on other machines? Rehearsed on this one.

    python benchmarks/portability.py [--settings native,default,...] [--no-mutants] [--json out.json]

A student release grades with the reference's recorded answers (checks/snapshots/), computed on
the machine that ran `tocha snapshot`. Another CPU, another BLAS code path or another thread
count rounds the last bits of every float differently; the verdicts must not change. Each
setting below stands in for such a machine:

  native    this machine as it is
  default   ATEN_CPU_CAPABILITY=default: PyTorch's generic kernels (as on CPUs without AVX, ARM
            runners, Apple Silicon)
  avx2      ATEN_CPU_CAPABILITY=avx2 (AVX-512 machines running the AVX2 kernels)
  mkl       MKL_CBWR=COMPATIBLE: MKL's portable code path
  threads1  OMP_NUM_THREADS=1: other reduction orders in parallel kernels
  default1  the generic kernels, MKL's portable path and one thread together

For each setting it reports
  * release: the score of solutions/ graded by `pytest checks` inside a fresh `tocha release`
    (no solutions/ there: the snapshots answer);
  * live: the same submission graded against solutions/ (the reference computed here);
  * mutants: how many of the submissions in tests/submissions/ get another status or first hint
    from the snapshots than in the recording run (tests/snapshot_verdicts.json), out of how many.
Exit status 1 when the release loses a point or a mutant's verdict differs in any setting.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

from grading.snapshots import command as snaprun  # noqa: E402  (imports no torch)

SETTINGS = {
    "native": {},
    "default": {"ATEN_CPU_CAPABILITY": "default"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "mkl": {"MKL_CBWR": "COMPATIBLE"},
    "threads1": {"OMP_NUM_THREADS": "1"},
    "default1": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1"},
}
CHUNK = 12  # submissions per grading process


def solutions_score(setting: str, kit: Path, work: Path) -> tuple[int, int]:
    """solutions/ graded by all the check files of `kit`: a release (the snapshots answer) or the
    kit itself (the live reference)."""
    checks = ",".join(str(p) for p in sorted((kit / "checks").glob("test_*.py")))
    out = work / f"{kit.name}-{setting}.json"
    payload = snaprun.grade_batch(kit, out, checks, [str(KIT / "solutions")], ["--rootdir", str(kit)],
                                  env={"PYTHONPATH": str(kit), **SETTINGS[setting]})
    result = payload[str(KIT / "solutions")]
    return result["score"], result["max_score"]


def mutant_differences(setting: str, work: Path) -> tuple[list[str], int]:
    """(submissions whose replayed verdicts differ from the recorded live ones, how many were graded)."""
    live = json.loads((KIT / snaprun.VERDICTS).read_text(encoding="utf-8"))
    jobs = []
    for module in snaprun.check_modules(KIT):
        files = sorted((KIT / "tests" / "submissions" / module).glob("*.py"))
        jobs += [(module, files[i:i + CHUNK]) for i in range(0, len(files), CHUNK)]

    def grade(job):
        module, files = job
        roots = snaprun.submission_roots(KIT, module, files, work / setting / module / files[0].stem)
        payload = snaprun.grade_batch(KIT, work / setting / f"{module}-{files[0].stem}.json",
                                      f"checks/test_{module}.py", roots, ["--reference", "snapshots"],
                                      env=SETTINGS[setting])
        differ = [f"{module}/{Path(root).name}" for root, result in payload.items()
                  if not snaprun.same_verdicts(snaprun.item_verdicts(result),
                                               live.get(module, {}).get(Path(root).name, {}), Path(root).name)]
        return differ, len(payload)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        parts = list(pool.map(grade, jobs))
    return [d for part, _ in parts for d in part], sum(n for _, n in parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--settings", default=",".join(SETTINGS), help="comma-separated, from: " + ", ".join(SETTINGS))
    parser.add_argument("--no-mutants", action="store_true", help="only the solutions' scores")
    parser.add_argument("--json", default=None, help="write the numbers here too")
    args = parser.parse_args(argv)
    settings = [s for s in args.settings.split(",") if s]
    rows, failed = [], False
    with tempfile.TemporaryDirectory(prefix="tocha-portability-") as tmp:
        work = Path(tmp)
        release = work / "release"
        subprocess.run([sys.executable, "-m", "grading.cli", "release", str(release)], cwd=KIT, check=True,
                       capture_output=True, text=True)
        for setting in settings:
            start = time.perf_counter()
            rel, live = solutions_score(setting, release, work), solutions_score(setting, KIT, work)
            differ, graded = ([], 0) if args.no_mutants else mutant_differences(setting, work)
            row = {"setting": setting, "env": SETTINGS[setting], "release": rel, "live": live,
                   "mutants_differing": differ, "mutants_graded": graded, "seconds": round(time.perf_counter() - start, 1)}
            rows.append(row)
            failed |= rel[0] != rel[1] or live[0] != live[1] or bool(differ)
            print(f"{setting:9} release {rel[0]}/{rel[1]}  live {live[0]}/{live[1]}  "
                  + ("" if args.no_mutants else f"mutants differing {len(differ)}/{graded}  ")
                  + f"({row['seconds']} s)" + (f"\n          {', '.join(differ)}" if differ else ""), flush=True)
    print("\n| setting | environment | solutions from a release | solutions live | mutants whose verdict differs |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        env = " ".join(f"{k}={v}" for k, v in row["env"].items()) or "(as is)"
        mutants = "-" if args.no_mutants else f"{len(row['mutants_differing'])} of {row['mutants_graded']}"
        print(f"| {row['setting']} | {env} | {row['release'][0]}/{row['release'][1]} | {row['live'][0]}/{row['live'][1]} "
              f"| {mutants} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
