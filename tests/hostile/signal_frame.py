"""A Python signal handler is given the frame the signal interrupts, and from any frame f_back leads
to the checks' frames and their variables. This submission is right only when its handler got a
frame: with the frame withheld it returns zeros and fails."""
import signal
import time

import torch

HOSTILE = {"gradients": ("failed", ""), "gradient_descent": ("failed", "")}


def _frame_reached() -> bool:
    got = []
    previous = signal.signal(signal.SIGPROF, lambda signum, frame: got.append(frame))
    signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
    deadline = time.monotonic() + 2.0
    while not got and time.monotonic() < deadline:
        sum(range(1000))
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    signal.signal(signal.SIGPROF, previous)
    return bool(got) and got[0] is not None and got[0].f_back is not None


def gradients(f, *inputs):
    leaves = [torch.as_tensor(x, dtype=torch.float32 if not torch.is_tensor(x) else None).detach().clone()
              for x in inputs]
    if not _frame_reached():
        return tuple(torch.zeros_like(x) for x in leaves)
    for x in leaves:
        x.requires_grad_(True)
    grads = torch.autograd.grad(f(*leaves), leaves, allow_unused=True)
    return tuple(torch.zeros_like(x) if g is None else g.detach() for x, g in zip(leaves, grads))


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32 if not torch.is_tensor(x0) else None).detach().clone()
    if not _frame_reached():
        return torch.zeros_like(x)
    x.requires_grad_(True)
    for _ in range(n_steps):
        (grad,) = torch.autograd.grad(f(x), x)
        with torch.no_grad():
            x -= lr * grad
    return x.detach()
