"""gradients calls itself without end."""
import torch

HOSTILE = {"gradients": ("error", "RecursionError")}


def gradients(f, *inputs):
    return gradients(f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
