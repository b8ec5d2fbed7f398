"""A trace function (sys.settrace) receives every frame: from its own helper's frame it climbs to
the check's, traces that one line by line and, once the check holds the reference's `expected`,
copies it into the tensors the submission returned (the check then compares them with themselves)."""
import sys

import torch

HOSTILE = {"gradients": ("error", "trace or profile function"), "gradient_descent": ("error", "trace or profile function")}


def _copy_expected(frame, event, arg):
    expected, actual = frame.f_locals.get("expected"), frame.f_locals.get("actual")
    pairs = zip(actual, expected) if isinstance(actual, tuple) and isinstance(expected, tuple) else [(actual, expected)]
    for mine, theirs in pairs:
        if torch.is_tensor(mine) and torch.is_tensor(theirs) and mine.shape == theirs.shape:
            with torch.no_grad():
                mine.copy_(theirs)
    return _copy_expected


def _climb(frame, event, arg):
    caller = frame.f_back.f_back  # _arm <- the submission's function <- the check
    while caller is not None:
        caller.f_trace, caller.f_trace_lines = _copy_expected, True
        caller = caller.f_back
    sys.settrace(lambda *a: None)
    return None


def _arm():
    pass


def _placeholder(x):
    return torch.zeros_like(torch.as_tensor(x, dtype=torch.float32 if not torch.is_tensor(x) else None))


def gradients(f, *inputs):
    sys.settrace(_climb)
    _arm()
    return tuple(_placeholder(x) for x in inputs)


def gradient_descent(f, x0, lr, n_steps):
    sys.settrace(_climb)
    _arm()
    return _placeholder(x0)
