"""Correct code that uses what ordinary code uses to report problems: traceback.format_exc() in an
except block, logging.exception, warnings.warn with a stacklevel, inspect.signature of the
function it is given, and reading a file of its own. None of it borrows anything: full marks."""
import inspect
import logging
import traceback
import warnings
from pathlib import Path

import torch

HOSTILE = {}

log = logging.getLogger("student")
OWN_SOURCE = Path(__file__).read_text(encoding="utf-8")


def _leaf(x):
    if torch.is_tensor(x):
        return x.detach().clone().requires_grad_(True)
    return torch.as_tensor(x, dtype=torch.float32).requires_grad_(True)


def gradients(f, *inputs):
    try:
        inspect.signature(f)
    except (TypeError, ValueError):
        pass
    try:
        float("not a number")
    except ValueError:
        assert "ValueError" in traceback.format_exc()
        log.exception("expected while checking inputs")
    leaves = [_leaf(x) for x in inputs]
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return tuple(torch.zeros_like(leaf) if g is None else g.detach() for leaf, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    if lr < 0:
        warnings.warn("a negative learning rate climbs", stacklevel=2)
    assert "def gradient_descent" in OWN_SOURCE
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
