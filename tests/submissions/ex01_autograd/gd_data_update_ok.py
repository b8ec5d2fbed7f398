"""Correct variant: updates through x.data and zeroes the gradient in place."""
import torch

EXPECTED = {}

def gradients(f, *inputs):
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x.detach().clone() for x in inputs]
    leaves = [leaf.requires_grad_(True) for leaf in leaves]
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return tuple(torch.zeros_like(l) if g is None else g.detach() for l, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    x = torch.tensor(x0, dtype=torch.float32) if not torch.is_tensor(x0) else x0.clone().detach()
    x.requires_grad = True
    for _ in range(n_steps):
        loss = f(x)
        loss.backward()
        x.data -= lr * x.grad.data
        x.grad.zero_()
    return x.detach()
