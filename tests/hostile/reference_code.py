"""Run the reference's own code under the submission's name: its module is in sys.modules (live);
a new function made from a reference function's __code__, with globals whose guard does nothing,
skips the guard at its top."""
import sys
import types

HOSTILE = {"gradients": ("cheated", "reference"), "gradient_descent": ("cheated", "reference")}


def _reference(name):
    for key, module in list(sys.modules.items()):  # the reference's modules, imported ahead (live)
        if key.startswith("_tocha_ref_") and key.endswith(".ex01_autograd"):
            fn = getattr(module, name)
            unguarded = dict(fn.__globals__, __tocha_enter__=lambda name: None)
            return types.FunctionType(fn.__code__, unguarded, name, fn.__defaults__)
    raise LookupError(name)


def gradients(f, *inputs):
    return _reference("gradients")(f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    return _reference("gradient_descent")(f, x0, lr, n_steps)
