"""gradients calls pytest.skip(); gradient_descent raises the grader's own CheckFailed as "passed"."""
import pytest
import torch

from grading.text import Text
from grading.verdict import CheckFailed

HOSTILE = {"gradients": ("error", "pytest.skip()"), "gradient_descent": ("error", "CheckFailed")}


def gradients(f, *inputs):
    pytest.skip("not needed")


def gradient_descent(f, x0, lr, n_steps):
    raise CheckFailed(Text("fine", "ok"), "passed")
