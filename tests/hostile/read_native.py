"""Read the reference's source and the recorded answers with torch's native file readers, which
raise no audit event: directly, and through /proc/<pid>/root of every process it can see. Where the
kernel hides the grader's folders (grading/sandbox/namespaces.py), every route finds nothing."""
import os
import sys
from pathlib import Path

import torch

import grading

HOSTILE = {"gradients": ("error", "no route to the reference"), "gradient_descent": ("error", "no route to the reference")}
NEEDS_NAMESPACES = True
KIT = Path(grading.__file__).resolve().parents[1]


def _places(relative: str) -> list[str]:
    """The reference folder named on the command line (as the grader was started), else the kit's."""
    argv = sys.argv
    roots = [argv[k + 1] for k, arg in enumerate(argv[:-1]) if arg == "--reference"] or [str(KIT / "solutions")]
    direct = [str(Path(r).resolve() / relative) for r in roots] + [str(KIT / "checks" / "snapshots" / "ex01_autograd.pt")]
    pids = ["self"] + sorted(p for p in os.listdir("/proc") if p.isdigit()) if os.path.isdir("/proc") else []
    return direct + [f"/proc/{pid}/root{path}" for pid in pids for path in direct]


def _read(path: str) -> bytes:
    size = os.stat(path).st_size
    return bytes(torch.from_file(path, shared=False, size=size, dtype=torch.uint8).tolist())


def _reference() -> dict:
    for path in _places("ex01_autograd.py"):
        if not path.endswith(".py"):
            try:
                torch._C.PyTorchFileReader(path)  # the recorded answers: opened natively is enough
            except Exception:
                continue
            raise LookupError(f"the recorded answers were opened at {path}")
        try:
            source = _read(path).decode()
        except Exception:
            continue
        namespace = {"__name__": "copied"}
        exec(compile(source, "<copied>", "exec"), namespace)
        return namespace
    raise LookupError("no route to the reference's files")


def gradients(f, *inputs):
    return _reference()["gradients"](f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    return _reference()["gradient_descent"](f, x0, lr, n_steps)
