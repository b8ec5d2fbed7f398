"""Loss curves of training items, the student's against the reference's, for the HTML report.

The parent side (`loss_curves`) never imports student code: it starts `python -m grading.student.curves`
as a worker, which trains each item's function on a fixed small problem from the same starting
weights, once with the reference and once with the submission, and prints one JSON line per
event. A worker that hangs on an item is killed after `per_item_s`; that item is marked
'timed out' and a fresh worker goes on with the rest.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from grading.data import KIT_ROOT
from grading.processes import stop

# item -> (module, x-axis label key). Items whose function returns a list of losses, or that
# the worker can turn into one with a few calls.
TRAINING_ITEMS = {
    "train_step": ("ex03_training", "step"),
    "train_epoch": ("ex03_training", "epoch"),
    "fit": ("ex03_training", "epoch"),
    "train_bgd": ("ex03_training", "epoch"),
    "linear_regression_gd": ("ex03_training", "epoch"),
    "train_step_clipped": ("ex04_gradients", "step"),
    "train_accumulated": ("ex04_gradients", "micro-batch"),
    "fit_linear": ("ex08_regression", "epoch"),
    "train_with_tensorboard": ("ex09_lessons", "epoch"),
}
PER_ITEM_S = 30.0


# ---------------------------------------------------------------- worker side (imports torch)

def _problems():
    import torch
    from torch import nn

    def data(n=64, seed=0, scale=1.0):
        g = torch.Generator().manual_seed(seed)
        X = torch.rand(n, 2, generator=g) * 2 - 1
        y = (X[:, :1] * 3.0 - X[:, 1:] * 2.0 + 0.5 + 0.1 * torch.randn(n, 1, generator=g)) * scale
        return X, y

    def mlp():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))

    def batches(X, y, size):
        return [(X[i:i + size], y[i:i + size]) for i in range(0, len(X), size)]

    def loader(X, y, size=16):
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=size, shuffle=False)

    def train_step(fn):
        X, y = data()
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        parts = batches(X, y, 16)
        return [fn(model, nn.MSELoss(), opt, *parts[k % len(parts)]) for k in range(40)]

    def train_step_clipped(fn):
        X, y = data(scale=4.0)  # large targets: the first gradients get clipped
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        parts = batches(X, y, 16)
        return [fn(model, nn.MSELoss(), opt, *parts[k % len(parts)], 5.0) for k in range(40)]

    def train_epoch(fn):
        X, y = data(n=60)
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        data_loader = loader(X, y)
        return [fn(model, data_loader, nn.MSELoss(), opt) for _ in range(20)]

    def fit(fn):
        X, y = data(n=60)
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        return fn(model, loader(X, y), nn.MSELoss(), opt, 20)

    def train_bgd(fn):
        X, y = data()
        torch.manual_seed(0)
        model = nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return fn(model, opt, nn.MSELoss(), X, y, 40)

    def linear_regression_gd(fn):
        X, y = data()
        return fn(X, y, 0.1, 40)[2]

    def train_accumulated(fn):
        X, y = data(n=96)
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return fn(model, nn.MSELoss(), opt, batches(X, y, 8) * 4, 3)

    def fit_linear(fn):
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True, scaled=False)
        X = torch.tensor(X, dtype=torch.float32)[:300]
        y = torch.tensor(y, dtype=torch.float32).reshape(-1, 1)[:300]
        X = (X - X.mean(0)) / X.std(0, correction=0)
        return fn(X, y, lr=0.1, n_epochs=200, seed=0)[1]

    def train_with_tensorboard(fn):
        class Writer:  # takes what a SummaryWriter would take, writes nowhere
            def add_scalar(self, *args, **kwargs):
                pass

            def flush(self):
                pass

            def close(self):
                pass

        X, y = data(n=60)
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        return fn(model, loader(X, y), nn.MSELoss(), opt, 20, Writer())

    return {name: f for name, f in locals().items() if name in TRAINING_ITEMS}


def _as_floats(values) -> list[float]:
    out = []
    for v in list(values):
        out.append(float(v.detach().reshape(-1)[0]) if hasattr(v, "detach") else float(v))
    return out


def _run_one(problem, get):
    import torch

    torch.manual_seed(0)
    torch.set_grad_enabled(True)
    try:
        fn = get()
        return "ok", _as_floats(problem(fn)), ""
    except NotImplementedError:
        return "not started", None, ""
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # anything student code raises, SystemExit included
        text = f"{type(exc).__name__}: {exc}".strip().splitlines()
        return "error", None, (text[0] if text else type(exc).__name__)[:300]


def worker(impl: Path, ref: Path, items: list[str]) -> int:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # whatever the code prints goes to stderr, never into the protocol
    sys.stdout = sys.stderr
    import torch

    from grading.engine.roots import ImplementationRoot

    torch.set_num_threads(1)
    problems = _problems()
    roots = {"reference": ImplementationRoot(ref, "ref"), "student": ImplementationRoot(impl, "impl")}
    for item in items:
        proto.write(json.dumps({"start": item}) + "\n")
        module = TRAINING_ITEMS[item][0]
        event = {"item": item}
        for who, root in roots.items():
            status, values, error = _run_one(problems[item], lambda: root.get(module, item))
            event[who] = {"status": status, "values": values, "error": error}
        proto.write(json.dumps(event) + "\n")
    return 0


# ---------------------------------------------------------------- parent side (no torch)

def loss_curves(impl: Path, ref: Path, items: list[str], per_item_s: float = PER_ITEM_S) -> dict[str, dict]:
    """{item: {"reference": {...}, "student": {...}}} where each side has status, values, error."""
    todo = [i for i in items if i in TRAINING_ITEMS]
    curves: dict[str, dict] = {}
    while todo:
        cmd = [sys.executable, "-m", "grading.student.curves", "--impl", str(impl), "--ref", str(ref), "--items", ",".join(todo)]
        proc = subprocess.Popen(cmd, cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, text=True, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"})
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout] + [lines.put(None)], daemon=True).start()
        current, deadline = None, time.monotonic() + per_item_s + 15  # the first item pays for `import torch`
        try:
            while True:
                try:
                    line = lines.get(timeout=max(0.05, deadline - time.monotonic()))
                except queue.Empty:
                    line = "<timeout>"
                if line is None:
                    if current is not None:  # the worker died inside this item
                        curves[current] = {"crashed": True}
                    break
                if line == "<timeout>":
                    if current is not None:
                        curves[current] = {"timed_out": True}
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if "start" in event:
                    current, deadline = event["start"], time.monotonic() + per_item_s
                elif "item" in event:
                    curves[event["item"]] = event
                    current = None
        finally:
            stop(proc)
        if current is None and all(i in curves for i in todo):
            break
        stuck = current if current is not None else next((i for i in todo if i not in curves), None)
        if stuck is not None and stuck not in curves:
            curves[stuck] = {"timed_out": True}
        todo = [i for i in todo if i not in curves]
    return curves


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.student.curves")
    parser.add_argument("--impl", required=True)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--items", required=True)
    args = parser.parse_args(argv)
    items = [i for i in args.items.split(",") if i in TRAINING_ITEMS]
    return worker(Path(args.impl), Path(args.ref), items)


if __name__ == "__main__":
    sys.exit(main())
