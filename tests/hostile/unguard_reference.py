"""Take the guard out of the reference's module (found in sys.modules), then borrow its answers."""
import sys

HOSTILE = {"gradients": ("cheated", "reference's"), "gradient_descent": ("cheated", "reference's")}


def _borrowed(name):
    for key, module in list(sys.modules.items()):
        if key.startswith("_tocha_ref_") and key.endswith(".ex01_autograd"):
            module.__tocha_enter__ = lambda *args: None
            return getattr(module, name)
    raise LookupError(name)


def gradients(f, *inputs):
    return _borrowed("gradients")(f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    return _borrowed("gradient_descent")(f, x0, lr, n_steps)
