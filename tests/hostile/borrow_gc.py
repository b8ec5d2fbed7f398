"""The issue's attack: find the reference's functions through the garbage collector (any function
of the same name defined in another module) and return their answers."""
import gc
import types

HOSTILE = {"gradients": ("cheated", "memory"), "gradient_descent": ("cheated", "memory")}


def _borrowed(name):
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType) and obj.__name__ == name and obj.__module__ != __name__:
            return obj
    raise LookupError(name)


def gradients(f, *inputs):
    return _borrowed("gradients")(f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    return _borrowed("gradient_descent")(f, x0, lr, n_steps)
