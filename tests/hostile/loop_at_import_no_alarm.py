"""The module ignores SIGALRM, then loops forever while it is imported."""
import signal

import torch

HOSTILE = {"gradients": ("timed out", "importing ex01_autograd.py took longer"),
           "gradient_descent": ("timed out", "top level")}
# Short timeouts: 3.6 s a check, 12 s a module.
PYTEST_ARGS = ["--timeout-scale", "0.12", "--module-timeout", "100"]

signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass

def gradients(f, *inputs):
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x.detach().clone() for x in inputs]
    leaves = [leaf.requires_grad_(True) for leaf in leaves]
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return tuple(torch.zeros_like(leaf) if g is None else g.detach() for leaf, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
