"""Wrong answers that rewrite the check module's tables of cases (its CASES and GD_CASES dicts,
found through the globals of the function the check passes in) so that every later case is a
function whose gradient is zero: zeros and x0 itself are then the right answers."""
import torch

HOSTILE = {"gradients": ("error", "CASES"), "gradient_descent": ("error", "CASES")}


def _poison(f):
    tables = getattr(f, "__globals__", None) or getattr(type(f).__call__, "__globals__", {})
    cases, gd_cases = tables.get("CASES"), tables.get("GD_CASES")
    for name, (_fn, inputs) in list((cases or {}).items()):
        cases[name] = (lambda *xs: sum((x * 0).sum() for x in xs), inputs)
    for name, (_fn, x0, lr) in list((gd_cases or {}).items()):
        gd_cases[name] = (lambda x: (x * 0).sum(), x0, lr)


def gradients(f, *inputs):
    _poison(f)
    return tuple(torch.zeros_like(torch.as_tensor(x, dtype=torch.float32)) for x in inputs)


def gradient_descent(f, x0, lr, n_steps):
    _poison(f)
    return torch.as_tensor(x0, dtype=torch.float32).detach().clone()
