"""gradients crashes the interpreter with a segmentation fault (ctypes, the other way, is refused)."""
import faulthandler

import torch

HOSTILE = {"gradients": ("error", "segmentation fault")}


def gradients(f, *inputs):
    faulthandler._sigsegv()


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
