"""Wrong gradients; writes a full-marks results file now, at exit, and from a process left behind."""
import atexit
import json
import os
import sys
import time

import torch

HOSTILE = {"gradients": ("failed", "")}
COMMAND_LINE = True  # graded by a real `pytest` command (its argv, exit status and output matter)

FAKE = {"score": 999, "max_score": 999, "execution_time": 0, "output": "forged", "tests": []}


def _results_path():
    for i, arg in enumerate(sys.argv):
        if arg == "--score-json" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--score-json="):
            return arg.split("=", 1)[1]
    return None


def _forge():
    path = _results_path()
    if path:
        with open(path, "w") as out:
            json.dump(FAKE, out)


_forge()
atexit.register(_forge)
try:
    child = os.fork()
except PermissionError:  # the worker refuses to start processes (grading/sandbox/containment.py)
    child = None
if child == 0:  # a process left behind that keeps forging for a while
    for _ in range(40):
        time.sleep(0.1)
        _forge()
    os._exit(0)

def gradients(f, *inputs):
    """Wrong on purpose: zeros instead of gradients."""
    return tuple(torch.zeros_like(torch.as_tensor(x, dtype=torch.float32)) for x in inputs)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
