"""Wrong gradients returned as a tensor subclass that answers "equal" to every comparison."""
import torch

HOSTILE = {"gradients": ("failed", "")}


class Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("equal", "allclose"):
            return True
        if name in ("isclose", "eq", "__eq__"):
            return torch.ones_like(torch.Tensor(args[0]), dtype=torch.bool)
        return super().__torch_function__(func, types, args, kwargs or {})


def gradients(f, *inputs):
    out = []
    for x in inputs:
        x = torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x
        out.append(torch.zeros_like(x).detach().as_subclass(Agreeable))
    return tuple(out)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
