"""gradients prints without end."""
import torch

HOSTILE = {"gradients": ("error", "printed")}
COMMAND_LINE = True  # graded by a real `pytest` command (its argv, exit status and output matter)


def gradients(f, *inputs):
    line = "spam " * 40
    while True:
        print(line)


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone().requires_grad_(True)
    for _ in range(n_steps):
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
