"""gradients blocks SIGALRM and loops forever: the module runs out of time."""
import signal

import torch

HOSTILE = {"gradients": ("timed out", "took longer than"),
           "gradient_descent": ("timed out", "used up their total time")}
# Short timeouts: 3.6 s a check, 12 s a module.
PYTEST_ARGS = ["--timeout-scale", "0.12", "--module-timeout", "100"]


def gradients(f, *inputs):
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
    while True:
        pass


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
