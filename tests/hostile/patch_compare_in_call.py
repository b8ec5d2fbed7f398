"""Wrong gradients that patch every comparison to say "equal" each time they run."""
import numpy.testing
import torch
import torch.testing

HOSTILE = {"gradients": ("error", "replaced")}


def gradients(f, *inputs):
    torch.allclose = lambda *args, **kwargs: True
    torch.equal = lambda *args, **kwargs: True
    torch.testing.assert_close = lambda *args, **kwargs: None
    numpy.testing.assert_allclose = lambda *args, **kwargs: None
    torch.Tensor.__bool__ = lambda self: True
    return tuple(torch.zeros_like(torch.as_tensor(x, dtype=torch.float32)) for x in inputs)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
