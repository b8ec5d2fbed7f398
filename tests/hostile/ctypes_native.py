"""Native code through ctypes (it could read any memory, or remove the grader's audit hook): refused."""
import ctypes

import torch

HOSTILE = {"gradients": ("error", "ctypes")}


def gradients(f, *inputs):
    return ctypes.string_at(0)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
