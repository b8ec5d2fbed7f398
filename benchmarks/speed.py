"""How long the checks take on this machine, against the kit's budgets.

    python benchmarks/speed.py [--repeat N] [--json out.json]

Measures, each as the wall time of a fresh process (the best of --repeat runs):
  * the floor: `python -c "import torch"`, and the floor of any training script: the same plus
    building one optimizer (which imports torch._dynamo, 1.5-3 s on its own: every check file
    whose code builds an optimizer pays it, as the student's own script does);
  * every `checks/test_<module>.py` found now, run with `--impl solutions`, and its overhead
    over the floor (and, in a second untimed run, whether it imports torchvision);
  * the whole `pytest checks --impl solutions`;
  * the reference `train_mnist(seed=0)` alone (import excluded);
  * a hung submission: ex01 graded with default timeouts where `gradients` and
    `gradient_descent` both loop forever (every check must still get its own "timed out"
    verdict; grading/engine/hung.py). Measured once whatever --repeat says: it waits on timers.
  * ex01 with the grader's folders hidden from its worker and with hiding switched off, in turns
    (what grading/sandbox/namespaces.py costs).

Budgets: each of ex01–ex06 and ex08 within floor + 2 s, ex07 (it trains XOR, sums and MNIST)
within floor + 5 s, ex09 (it imports lightning) within floor + 6 s, the whole suite within
60 s, the MNIST training within 20 s, the hung submission within 60 s; the checks of ex01–ex06
must not import torchvision. Exit status 1 when a budget is missed. Environment variables pass through (for example OMP_NUM_THREADS, OMP_WAIT_POLICY).
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
PY = sys.executable
MODULE_BUDGET_OVER_FLOOR_S = 2.0
# Seconds over the floor each check file may take; a module not named here has no budget.
BUDGETS_OVER_FLOOR_S = {**{f"ex0{i}": MODULE_BUDGET_OVER_FLOOR_S for i in range(1, 7)},
                        "ex07": 5.0, "ex08": MODULE_BUDGET_OVER_FLOOR_S, "ex09": 6.0}
BUDGETED_MODULES = set(BUDGETS_OVER_FLOOR_S)
SUITE_BUDGET_S = 60.0
MNIST_BUDGET_S = 20.0
HUNG_BUDGET_S = 60.0
TORCHVISION_FORBIDDEN = {f"ex0{i}" for i in range(1, 7)}  # their checks never need it

HUNG_EX01 = '''"""gradients and gradient_descent both loop forever (benchmarks/speed.py)."""


def gradients(f, *inputs):
    while True:
        pass


def gradient_descent(f, x0, lr, n_steps):
    while True:
        pass
'''


def imports_torchvision(check_file: str) -> bool:
    """Whether running the check file imports torchvision anywhere: `-X importtime` reports every
    import of the process and of the workers the engine forks for the checks (`-s` lets their
    stderr through)."""
    _, proc = timed([PY, "-X", "importtime", "-m", "pytest", "-s", *pytest_args(check_file)])
    return any(line.rstrip().endswith("| torchvision") for line in proc.stderr.splitlines())

OPTIM_FLOOR = "import torch; torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)"

TRAIN_MNIST = """
import time
from pathlib import Path
from grading.engine.roots import ImplementationRoot
root = ImplementationRoot(Path(%r) / "solutions", "bench")
train_mnist = root.get("ex07_projects", "train_mnist")
start = time.perf_counter()
model, info = train_mnist(seed=0, device="cpu")
print("SECONDS=%%.3f ACCURACY=%%.4f EPOCHS=%%d" %% (time.perf_counter() - start, info["test_accuracy"], len(info["train_losses"])))
""" % str(KIT)


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    env = {**os.environ, "TOCHA_LANG": "en"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=KIT, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, proc


def best(cmd: list[str], repeat: int) -> tuple[float, subprocess.CompletedProcess]:
    runs = [timed(cmd) for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def pytest_args(target: str) -> list[str]:
    return [target, "--impl", "solutions", "-q", "-p", "no:cacheprovider"]


def score_of(proc: subprocess.CompletedProcess) -> str:
    for line in proc.stdout.splitlines():
        if line.startswith("TOTAL"):
            return line.split()[-1]
    return "?"


def hiding_cost(pairs: int) -> tuple[float, float]:
    """ex01 with the grader's folders hidden from its worker (grading/sandbox/namespaces.py) and
    with hiding switched off by a plugin, run in turns: (best hidden, best not hidden)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "tocha_no_hiding.py").write_text(
            "from grading.sandbox import namespaces\nnamespaces.available = lambda: 'off for the benchmark'\n")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")]))}
        cmd = [PY, "-m", "pytest", *pytest_args("checks/test_ex01_autograd.py")]
        hidden, plain = [], []
        for _ in range(pairs):
            for runs, extra in ((hidden, []), (plain, ["-p", "tocha_no_hiding"])):
                start = time.perf_counter()
                subprocess.run(cmd + extra, cwd=KIT, capture_output=True, env={**env, "TOCHA_LANG": "en"})
                runs.append(time.perf_counter() - start)
    return min(hidden), min(plain)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the best counts (default 1)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                "load_before": [round(x, 2) for x in os.getloadavg()],
                                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                                "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY")}}
    misses = []

    floor, _ = best([PY, "-c", "import torch"], max(3, repeat))
    optim_floor, _ = best([PY, "-c", OPTIM_FLOOR], max(3, repeat))
    report["floor_s"] = round(floor, 2)
    report["optimizer_floor_s"] = round(optim_floor, 2)
    print(f"machine: {os.cpu_count()} CPUs, load average {report['machine']['load_before']}")
    print(f"floor  python -c 'import torch'            {floor:6.2f} s")
    print(f"floor with one optimizer (torch._dynamo)   {optim_floor:6.2f} s")
    print()
    print(f"{'check file':34} {'wall s':>7} {'over floor':>10} {'over optim':>10} {'budget':>8}  {'score':>7}  torchvision")

    report["modules"] = {}
    for path in sorted((KIT / "checks").glob("test_*.py")):
        module = path.stem.removeprefix("test_")
        short = module.split("_")[0]
        wall, proc = best([PY, "-m", "pytest", *pytest_args(f"checks/{path.name}")], repeat)
        over = wall - floor
        loaded = imports_torchvision(f"checks/{path.name}")
        allowed = BUDGETS_OVER_FLOOR_S.get(short)
        budget = floor + allowed if allowed is not None else None
        ok = budget is None or wall <= budget
        tv_ok = not (loaded and short in TORCHVISION_FORBIDDEN)
        if not ok:
            misses.append(f"{path.name}: {wall:.2f} s > floor + {allowed:.0f} s = {budget:.2f} s")
        if not tv_ok:
            misses.append(f"{path.name} imports torchvision")
        report["modules"][module] = {"wall_s": round(wall, 2), "over_floor_s": round(over, 2),
                                     "over_optimizer_floor_s": round(wall - optim_floor, 2),
                                     "budget_s": None if budget is None else round(budget, 2),
                                     "score": score_of(proc), "torchvision": loaded, "exit": proc.returncode}
        budget_text = f"{budget:8.2f}" if budget is not None else f"{'-':>8}"
        mark = "" if ok and tv_ok else "  <-- over budget" if not ok else "  <-- torchvision"
        print(f"{path.name:34} {wall:7.2f} {over:10.2f} {wall - optim_floor:10.2f} {budget_text}  {score_of(proc):>7}  {'yes' if loaded else 'no'}{mark}")

    wall, proc = best([PY, "-m", "pytest", *pytest_args("checks")], repeat)
    report["suite"] = {"wall_s": round(wall, 2), "budget_s": SUITE_BUDGET_S, "score": score_of(proc), "exit": proc.returncode}
    if wall > SUITE_BUDGET_S:
        misses.append(f"whole suite: {wall:.2f} s > {SUITE_BUDGET_S:.0f} s")
    print()
    print(f"{'pytest checks --impl solutions':34} {wall:7.2f} {'':10} {'':10} {SUITE_BUDGET_S:8.2f}  {score_of(proc):>7}")

    if (KIT / "solutions" / "ex07_projects.py").is_file():
        _, proc = best([PY, "-c", TRAIN_MNIST], repeat)
        fields = dict(part.split("=") for part in proc.stdout.split() if "=" in part)
        if "SECONDS" in fields:
            seconds = float(fields["SECONDS"])
            report["train_mnist"] = {"seconds": seconds, "budget_s": MNIST_BUDGET_S,
                                     "test_accuracy": float(fields["ACCURACY"]), "epochs": int(fields["EPOCHS"])}
            if seconds > MNIST_BUDGET_S:
                misses.append(f"train_mnist: {seconds:.2f} s > {MNIST_BUDGET_S:.0f} s")
            print(f"{'solutions train_mnist(seed=0)':34} {seconds:7.2f} {'':10} {'':10} {MNIST_BUDGET_S:8.2f}  "
                  f"accuracy {fields['ACCURACY']} after {fields['EPOCHS']} epochs")
        else:
            misses.append("train_mnist did not run: " + (proc.stderr.strip().splitlines() or ["?"])[-1])

    if (KIT / "solutions" / "ex01_autograd.py").is_file() and (KIT / "checks" / "test_ex01_autograd.py").is_file():
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "hung"
            shutil.copytree(KIT / "solutions", root, ignore=shutil.ignore_patterns("__pycache__"))
            (root / "ex01_autograd.py").write_text(HUNG_EX01, encoding="utf-8")
            out = Path(tmp) / "results.json"
            wall, proc = timed([PY, "-m", "pytest", "checks/test_ex01_autograd.py", "--impl", str(root), "-q",
                                "-p", "no:cacheprovider", "--score-json", str(out)])
            rows = json.loads(out.read_text(encoding="utf-8"))["tests"] if out.is_file() else []
        timed_out = sum(1 for r in rows if r.get("tags", [None] * 3)[2] == "timed out")
        report["hung_submission"] = {"wall_s": round(wall, 2), "budget_s": HUNG_BUDGET_S, "score": score_of(proc),
                                     "rows": len(rows), "rows_timed_out": timed_out}
        if wall > HUNG_BUDGET_S:
            misses.append(f"hung submission (ex01): {wall:.2f} s > {HUNG_BUDGET_S:.0f} s")
        if not rows or timed_out != len(rows):
            misses.append(f"hung submission (ex01): {timed_out} of {len(rows)} rows timed out")
        print(f"{'ex01, gradients and GD hung':34} {wall:7.2f} {'':10} {'':10} {HUNG_BUDGET_S:8.2f}  {score_of(proc):>7}  "
              f"{timed_out}/{len(rows)} rows timed out")

    hidden, plain = hiding_cost(max(3, repeat))
    report["hiding"] = {"ex01_hidden_s": round(hidden, 2), "ex01_not_hidden_s": round(plain, 2)}
    print(f"{'ex01, grader files hidden / not':34} {hidden:7.2f} {plain:10.2f}  (best of interleaved runs: "
          f"the kernel's hiding costs {hidden - plain:+.2f} s)")

    report["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report["misses"] = misses
    print()
    print(f"load average after: {report['machine']['load_after']}")
    print("all within budget" if not misses else "over budget:\n  " + "\n  ".join(misses))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
