"""Use the grader's own machinery: an ImplementationRoot of the kit's solutions (gradients), and a
SnapshotRoot replaying the recorded answers (gradient_descent)."""
from pathlib import Path

import grading
from grading.engine import roots
from grading.snapshots import calls as snapshot

HOSTILE = {"gradients": ("cheated", "grader's files"), "gradient_descent": ("cheated", "")}
KIT = Path(grading.__file__).resolve().parents[1]


def gradients(f, *inputs):
    return roots.ImplementationRoot(KIT / "solutions").get("ex01_autograd", "gradients")(f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    snapshot.begin_check("ex01_autograd::test_gradient_descent_contract_example",
                         KIT / "checks" / "test_ex01_autograd.py")
    return snapshot.SnapshotRoot().get("ex01_autograd", "gradient_descent")(f, x0, lr, n_steps)
