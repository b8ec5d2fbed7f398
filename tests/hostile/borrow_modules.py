"""No garbage collector, no frames: the reference's module is in sys.modules under its alias.
Only the guard at the entry of the reference's functions sees this one."""
import sys

HOSTILE = {"gradients": ("cheated", "reference's `gradients`"),
           "gradient_descent": ("cheated", "reference's `gradient_descent`")}


def _borrowed(name):
    for key, module in list(sys.modules.items()):
        if key.startswith("_tocha_ref_") and key.endswith(".ex01_autograd"):
            return getattr(module, name)
    raise LookupError(name)


def gradients(f, *inputs):
    return _borrowed("gradients")(f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    return _borrowed("gradient_descent")(f, x0, lr, n_steps)
