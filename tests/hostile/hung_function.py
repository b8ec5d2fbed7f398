"""gradients loops forever and gradient_descent calls it: after the first check's full timeout,
every later call of gradients gets a short time (grading/engine/hung.py), each check its own verdict."""
import torch

HOSTILE = {"gradients": ("timed out", "still running `gradients`"),
           "gradient_descent": ("timed out", "already hung in test_gradients_of_numbers")}
# Short timeouts: 3.6 s a check, 12 s a module.
PYTEST_ARGS = ["--timeout-scale", "0.12", "--module-timeout", "100"]


def gradients(f, *inputs):
    steps = 0
    while True:
        steps += 1


def gradient_descent(f, x0, lr, n_steps):
    x = torch.as_tensor(x0, dtype=torch.float32).detach().clone()
    for _ in range(n_steps):
        (g,) = gradients(f, x)
        x = x - lr * g
    return x.detach()
