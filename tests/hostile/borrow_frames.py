"""The issue's other attack: walk the call stack up to the check and call its `reference` fixture."""
import sys

HOSTILE = {"gradients": ("cheated", "call stack"), "gradient_descent": ("cheated", "call stack")}


def _reference(name):
    frame = sys._getframe(1)
    while frame is not None:
        getter = frame.f_locals.get("reference")
        if callable(getter):
            return getter(name)
        frame = frame.f_back
    raise LookupError(name)


def gradients(f, *inputs):
    return _reference("gradients")(f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    try:
        raise RuntimeError
    except RuntimeError as exc:  # the same walk, started from a traceback
        frame = exc.__traceback__.tb_frame
    while frame is not None:
        getter = frame.f_locals.get("reference")
        if callable(getter):
            return getter("gradient_descent")(f, x0, lr, n_steps)
        frame = frame.f_back
    raise LookupError("gradient_descent")
