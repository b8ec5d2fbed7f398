"""Wrong answers. Each call binds the check module's `close` to a function that answers "equal"
once and binds the original back, so when the check ends every name is what it was: comparing
names finds nothing (6/14 for ex01, live, before namespaces' writes were watched)."""
import sys

import torch

HOSTILE = {"gradients": ("error", "put it back"), "gradient_descent": ("error", "put it back")}


def _slip_in(f):
    """The check module is the one that defined the function (or the spy) the check passed in."""
    mod = sys.modules.get(type(f).__module__)
    if mod is None or not hasattr(mod, "close"):
        mod = sys.modules.get(getattr(f, "__module__", None) or "")
    if mod is None or getattr(mod.close, "one_shot", False):
        return
    original = mod.close

    def once(*args, **kwargs):
        mod.close = original
        return True

    once.one_shot = True
    mod.close = once


def gradients(f, *inputs):
    _slip_in(f)
    return tuple(torch.zeros_like(torch.as_tensor(x, dtype=torch.float32)) for x in inputs)


def gradient_descent(f, x0, lr, n_steps):
    _slip_in(f)
    return torch.as_tensor(x0, dtype=torch.float32).clone()
