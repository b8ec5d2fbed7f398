"""Mistake: the classic slip, x -= lr * x.grad on a leaf that requires grad, outside torch.no_grad()."""
import torch

EXPECTED = {'gradient_descent': 'torch.no_grad()'}


def gradients(f, *inputs):
    """Gradient of the scalar f(*inputs) with respect to each input, by autograd.

    Inputs are numbers or floating tensors; each gradient has its input's shape and dtype
    (a number gives a 0-dim float32 tensor). The caller's tensors are left untouched.
    """
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x.detach().clone()
              for x in inputs]
    leaves = [leaf.requires_grad_(True) for leaf in leaves]
    out = f(*leaves)
    grads = torch.autograd.grad(out, leaves, allow_unused=True)
    return tuple(torch.zeros_like(leaf) if g is None else g.detach() for leaf, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    """Minimise scalar f from x0 with x <- x - lr * grad f(x), n_steps times.

    Returns the final x, detached, shaped like x0 (float32 for a number). x0 is not modified.
    """
    x = torch.as_tensor(x0, dtype=torch.float32) if not torch.is_tensor(x0) else x0.detach().clone()
    x.requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        x -= lr * x.grad
        x.grad = None
    return x.detach()
