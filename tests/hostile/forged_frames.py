"""Reach the reference without the garbage collector or sys._getframe, then call it from code that
claims to be a check file's. `gradients`: the reference's module is in sys.modules (live).
`gradient_descent`: traceback.walk_stack hands over the stack's frames, the check's among them.
Either way the call is made by a function compiled under the check file's name, so a guard that
asks only "whose is the nearest frame" sees a check (such code is now refused when it is compiled)."""
import sys
import traceback
from pathlib import Path

HOSTILE = {"gradients": ("cheated", "code named after"), "gradient_descent": ("cheated", "call stack")}


def _check_file() -> str:
    module = next(m for name, m in list(sys.modules.items()) if name.endswith("test_ex01_autograd") and m)
    return str(Path(module.__file__).resolve())


def _as_a_check(fn, *args):
    namespace = {}
    exec(compile("def call(fn, *args):\n    return fn(*args)\n", _check_file(), "exec"), namespace)
    return namespace["call"](fn, *args)


def _reference(name):
    for key, module in list(sys.modules.items()):  # the reference's modules, imported ahead (live)
        if key.startswith("_tocha_ref_") and key.endswith(".ex01_autograd"):
            return getattr(module, name)
    raise LookupError(name)


def _stack():
    return (lambda: list(traceback.walk_stack(None)))()  # it leaves out its caller's two frames


def gradients(f, *inputs):
    return _as_a_check(_reference("gradients"), f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    for frame, _ in _stack():
        getter = frame.f_locals.get("reference")
        if callable(getter) and frame.f_code.co_filename.endswith("test_ex01_autograd.py"):
            return _as_a_check(getter(), f, x0, lr, n_steps)
    raise LookupError("reference")
