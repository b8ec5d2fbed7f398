"""Read the recorded answers (checks/snapshots/*.pt) and the reference's source (solutions/*.py)."""
from pathlib import Path

import torch

import grading

HOSTILE = {"gradients": ("cheated", "grader's files"), "gradient_descent": ("cheated", "grader's files")}
KIT = Path(grading.__file__).resolve().parents[1]


def gradients(f, *inputs):
    torch.load(KIT / "checks" / "snapshots" / "ex01_autograd.pt", weights_only=False)
    raise LookupError("the snapshot was read: now look the answer up")


def gradient_descent(f, x0, lr, n_steps):
    namespace = {}
    exec((KIT / "solutions" / "ex01_autograd.py").read_text(encoding="utf-8"), namespace)
    return namespace["gradient_descent"](f, x0, lr, n_steps)
