"""gradient_descent never returns for the curriculum's 100-step example."""
import torch

HOSTILE = {"gradient_descent": ("timed out", "took longer than")}
# Short timeouts: 3.6 s a check, 12 s a module.
PYTEST_ARGS = ["--timeout-scale", "0.12", "--module-timeout", "100"]


def gradients(f, *inputs):
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x.detach().clone() for x in inputs]
    leaves = [leaf.requires_grad_(True) for leaf in leaves]
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return tuple(torch.zeros_like(leaf) if g is None else g.detach() for leaf, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    while n_steps == 100:
        pass
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
