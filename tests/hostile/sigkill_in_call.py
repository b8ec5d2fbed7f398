"""gradients kills its own process with SIGKILL."""
import os
import signal

import torch

HOSTILE = {"gradients": ("error", "killed by SIGKILL")}


def gradients(f, *inputs):
    os.kill(os.getpid(), signal.SIGKILL)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
