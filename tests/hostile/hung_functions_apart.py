"""gradients and gradient_descent both loop forever, each on its own: after the first timeout
the module's later checks get less time, so the second hang costs a fraction of the first."""

HOSTILE = {"gradients": ("timed out", "still running `gradients`"),
           "gradient_descent": ("timed out", "still running `gradient_descent`")}
# Short timeouts: 3.6 s a check, 12 s a module.
PYTEST_ARGS = ["--timeout-scale", "0.12", "--module-timeout", "100"]


def gradients(f, *inputs):
    steps = 0
    while True:
        steps += 1


def gradient_descent(f, x0, lr, n_steps):
    steps = 0
    while True:
        steps += 1
