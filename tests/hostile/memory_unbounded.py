"""Allocates without bound (torch.empty reserves without touching: without a limit this
costs the machine nothing and the check just fails)."""
import torch

HOSTILE = {"gradients": ("error", "memory")}
PYTEST_ARGS = ["--memory-limit", "1"]


def gradients(f, *inputs):
    hoard = []
    for _ in range(64):
        hoard.append(torch.empty(2**28, dtype=torch.float32))  # 1 GiB each
    return tuple(torch.zeros(()) for _ in inputs)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
