"""Correct code that uses what ordinary code uses to report problems: traceback.format_exc() and
print_exc() in an except block, traceback.extract_stack(), logging.exception, warnings.warn with a
stacklevel, inspect.signature of the function it is given, a Ctrl-C handler of its own, a decorator
made with functools.wraps, the __code__ of its own function, and reading a file of its own. None of
it borrows anything: full marks."""
import functools
import inspect
import io
import logging
import signal
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


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def _on_interrupt(signum, frame):
    raise KeyboardInterrupt


@_logged
def gradients(f, *inputs):
    previous = signal.signal(signal.SIGINT, _on_interrupt)
    signal.signal(signal.SIGINT, previous)
    assert gradients.__wrapped__.__code__.co_name == "gradients"
    try:
        inspect.signature(f)
    except (TypeError, ValueError):
        pass
    try:
        float("not a number")
    except ValueError:
        assert "ValueError" in traceback.format_exc()
        traceback.print_exc(file=io.StringIO())
        log.exception("expected while checking inputs")
    assert traceback.extract_stack()[-1].name == "gradients"
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
