"""Updates x outside no_grad: x becomes a non-leaf carrying the history of every step."""
import torch

EXPECTED = {"gradient_descent": "no_grad"}

def gradients(f, *inputs):
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x.detach().clone() for x in inputs]
    leaves = [leaf.requires_grad_(True) for leaf in leaves]
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return tuple(torch.zeros_like(l) if g is None else g.detach() for l, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        x.retain_grad()
        f(x).backward(retain_graph=True)
        x = x - lr * x.grad
    return x.detach()
