"""gradients ends the process with os._exit(0)."""
import os

import torch

HOSTILE = {"gradients": ("error", "exited with status 0")}


def gradients(f, *inputs):
    os._exit(0)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
