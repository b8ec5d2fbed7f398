"""Descends on the caller's x0 itself (and leaves it requiring grad)."""
import torch

EXPECTED = {"gradient_descent": "x0"}

def gradients(f, *inputs):
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x.detach().clone() for x in inputs]
    leaves = [leaf.requires_grad_(True) for leaf in leaves]
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return tuple(torch.zeros_like(l) if g is None else g.detach() for l, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    x = x0 if torch.is_tensor(x0) else torch.tensor(float(x0))
    x.requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach().clone()
