"""Calls backward on the caller's own tensors: their requires_grad and .grad change and repeated calls accumulate."""
import torch

EXPECTED = {"gradients": "caller"}


def gradients(f, *inputs):
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x for x in inputs]
    for leaf in leaves:
        leaf.requires_grad_(True)
    f(*leaves).backward()
    return tuple(torch.zeros_like(l) if l.grad is None else l.grad.detach().clone() for l in leaves)

def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()

