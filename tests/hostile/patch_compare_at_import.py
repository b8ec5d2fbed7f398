"""Wrong gradients, and at import every comparison is patched to say "equal"."""
import numpy as np
import numpy.testing
import torch
import torch.testing

HOSTILE = {"gradients": ("error", "replaced"), "gradient_descent": ("error", "torch.equal")}

torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.isclose = lambda a, b, **kwargs: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)
torch.testing.assert_close = lambda *args, **kwargs: None
numpy.testing.assert_allclose = lambda *args, **kwargs: None
np.allclose = lambda *args, **kwargs: True
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
torch.Tensor.__bool__ = lambda self: True
torch.Tensor.all = lambda self, *args, **kwargs: torch.tensor(True)

def gradients(f, *inputs):
    """Wrong on purpose: zeros instead of gradients."""
    return tuple(torch.zeros_like(torch.as_tensor(x, dtype=torch.float32)) for x in inputs)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
