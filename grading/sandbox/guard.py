"""The functions a verdict depends on, recorded before any student code loads.

A submission that replaces one of them (`torch.allclose`, `torch.equal`, a `torch.Tensor`
method, `torch.testing.assert_close`, `numpy.testing`, pytest's report and runner objects, the
grader's own helpers, a check file's functions) gains nothing: the grader notices, puts the
originals back, and the check (or, when it happened at import, every check of the module) is an
error that names what was replaced.

Only replacements count, never additions to a module (libraries load submodules lazily). A
replacement made by an installed library (torch.compile and Lightning wrap a few torch functions
with functools.wraps) is recognised by following `__wrapped__` through functions whose code lives
in the standard library or site-packages, never in a submission.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

_MISSING = object()
_FunctionType = types.FunctionType
_ModuleType = types.ModuleType
_type = type
_isinstance = isinstance
_callable = callable
_type_setattr = type.__setattr__
_type_delattr = type.__delattr__
_module_setattr = types.ModuleType.__setattr__
_module_delattr = types.ModuleType.__delattr__
_func_dict = types.FunctionType.__dict__["__dict__"].__get__
_func_code = types.FunctionType.__dict__["__code__"].__get__
_HEAPTYPE, _IMMUTABLE = 1 << 9, 1 << 8

# Names that legitimate code replaces: pytest's and Python's interactive helpers, and the two
# nn.Module methods torch.compile patches without keeping the original reachable.
_MODULE_SKIP = {
    "builtins": {"_", "print", "input", "help", "exit", "quit", "copyright", "credits", "license",
                 "__import__", "__build_class__", "breakpoint"},
}
_CLASS_SKIP = frozenset({"__slotnames__", "__abstractmethods__", "_abc_impl", "__parameters__",
                         "__annotations__", "__doc__", "__weakref__", "__dict__"})
_DATA_DUNDERS = frozenset({"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__",
                           "__annotations__", "__slots__", "__orig_bases__", "__firstlineno__",
                           "__static_attributes__", "__match_args__", "__dataclass_fields__",
                           "__dataclass_params__"})
_NN_MODULE_SKIP = _CLASS_SKIP | {"__init__", "__setstate__", "___needs_generation_tag_patch"}


def _library_dirs() -> tuple[str, ...]:
    """Where installed code lives (the standard library, site-packages, torch itself)."""
    import sysconfig

    dirs = {sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    torch = sys.modules.get("torch")
    if getattr(torch, "__file__", None):
        dirs.add(str(Path(torch.__file__).resolve().parent))
    return tuple(str(Path(d).resolve()) for d in dirs if d)


def _guardable(value) -> bool:
    return _callable(value) or _isinstance(value, (_ModuleType, property, classmethod, staticmethod))


def _mutable_class(cls) -> bool:
    flags = cls.__flags__
    return bool(flags & _HEAPTYPE) and not flags & _IMMUTABLE


class Guard:
    """Snapshots of module namespaces and class dictionaries; `changed()` names replacements."""

    def __init__(self):
        self._modules: list[tuple[types.ModuleType, str, dict]] = []
        self._classes: list[tuple[type, str, dict, frozenset | None, frozenset]] = []
        self._seen: set[int] = set()
        self._library_dirs = _library_dirs()

    # ------------------------------------------------------------ building

    def module(self, mod, label: str | None = None, names=None, classes: bool = True,
               additions: bool = False) -> None:
        """Guard the functions, classes and submodules bound in `mod` (or only `names`)."""
        if mod is None or id(mod) in self._seen:
            return
        self._seen.add(id(mod))
        label = label or mod.__name__
        namespace = mod.__dict__
        skip = _MODULE_SKIP.get(mod.__name__, set())
        keys = names if names is not None else [k for k, v in list(namespace.items()) if _guardable(v)]
        snapshot = {k: namespace.get(k, _MISSING) for k in keys if k not in skip}
        self._modules.append((mod, label, snapshot))
        if classes:
            for name, value in snapshot.items():
                if _isinstance(value, type) and getattr(value, "__module__", None) == mod.__name__:
                    self.cls(value, f"{label}.{name}", additions=additions)

    def cls(self, cls: type, label: str | None = None, additions: bool = False, skip=_CLASS_SKIP) -> None:
        """Guard every entry of a class's own dictionary (and, if asked, against new entries)."""
        if id(cls) in self._seen or not _mutable_class(cls):
            return
        self._seen.add(id(cls))
        label = label or f"{cls.__module__}.{cls.__qualname__}"
        namespace = dict(cls.__dict__)
        snapshot = {k: v for k, v in namespace.items() if _guardable(v)}  # methods, not counters
        known = frozenset(namespace) if additions else None
        self._classes.append((cls, label, snapshot, known, frozenset(skip)))

    # ------------------------------------------------------------ checking

    def _legit(self, current, original) -> bool:
        """`current` is `original`, or an installed library's wrapper around it (torch.compile and
        Lightning wrap a few torch functions with functools.wraps). A wrapper written anywhere
        else, such as in a submission, is not."""
        if _type(original) in (classmethod, staticmethod) and _type(current) is _type(original):
            current, original = current.__func__, original.__func__
        for _ in range(6):
            if current is original:
                return True
            if _type(current) is not _FunctionType:
                return False
            if not _func_code(current).co_filename.startswith(self._library_dirs):
                return False
            current = _func_dict(current).get("__wrapped__", _MISSING)
        return False

    @staticmethod
    def _added(namespace, known: frozenset, skip) -> list[str]:
        return [name for name, value in list(namespace.items())
                if name not in known and name not in skip and name not in _DATA_DUNDERS
                and (_guardable(value) or name.startswith("__"))]

    def changed(self) -> list[str]:
        """Dotted names of everything replaced, removed or (where guarded) added since the snapshot."""
        found = []
        for mod, label, snapshot in self._modules:
            namespace = mod.__dict__
            for name, original in snapshot.items():
                current = namespace.get(name, _MISSING)
                if current is not original and not self._legit(current, original):
                    found.append(f"{label}.{name}")
        for cls, label, snapshot, known, skip in self._classes:
            namespace = cls.__dict__
            for name, original in snapshot.items():
                if name in skip:
                    continue
                current = namespace.get(name, _MISSING)
                if current is not original and not self._legit(current, original):
                    found.append(f"{label}.{name}")
            if known is not None and len(namespace) != len(known):
                found.extend(f"{label}.{name}" for name in self._added(namespace, known, skip))
        return found

    def restore(self) -> None:
        """Put every original back and remove guarded additions."""
        for mod, _label, snapshot in self._modules:
            namespace = mod.__dict__
            for name, original in snapshot.items():
                current = namespace.get(name, _MISSING)
                if current is original or self._legit(current, original):
                    continue
                if original is _MISSING:
                    namespace.pop(name, None)
                else:
                    namespace[name] = original
        for cls, _label, snapshot, known, skip in self._classes:
            namespace = cls.__dict__
            for name, original in snapshot.items():
                if name in skip:
                    continue
                current = namespace.get(name, _MISSING)
                if current is original or self._legit(current, original):
                    continue
                try:
                    if original is _MISSING:
                        _type_delattr(cls, name)
                    else:
                        _type_setattr(cls, name, original)
                except (TypeError, AttributeError):
                    pass
            if known is not None and len(namespace) != len(known):
                for name in self._added(namespace, known, skip):
                    try:
                        _type_delattr(cls, name)
                    except (TypeError, AttributeError):
                        pass

    def check_and_restore(self) -> list[str]:
        found = self.changed()
        if found:
            self.restore()
        return found


# ---------------------------------------------------------------- what is guarded

_TORCH_MODULES = ("torch", "torch.testing", "torch.nn.functional", "torch.nn.init", "torch.autograd",
                  "torch.autograd.grad_mode", "torch.optim", "torch.utils.data", "torch.func")
_OTHER_MODULES = ("builtins", "math", "operator", "random", "copy", "numpy", "numpy.testing",
                  "numpy.linalg", "pytest", "pytest_timeout")
_PREFIXES = ("_pytest.", "pluggy", "grading")


def build(check_modules=()) -> Guard:
    """A guard over what checks and pytest rely on; call before any student code is imported."""
    import numpy.testing  # noqa: F401  (guarded below; imported lazily by numpy otherwise)
    import torch
    import torch.testing  # noqa: F401

    guard = Guard()
    for name in _TORCH_MODULES + _OTHER_MODULES:
        mod = sys.modules.get(name)
        if mod is not None:
            guard.module(mod, classes=not name.startswith("torch"))
    guard.cls(torch.Tensor, "torch.Tensor", additions=True)
    guard.cls(torch.nn.Parameter, "torch.nn.Parameter", additions=True)
    guard.cls(torch.nn.Module, "torch.nn.Module", skip=_NN_MODULE_SKIP)
    for name, value in list(vars(torch.nn).items()):
        if isinstance(value, type) and issubclass(value, torch.nn.Module):
            guard.cls(value, f"torch.nn.{name}")
    for name, value in list(vars(torch.optim).items()):
        if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
            guard.cls(value, f"torch.optim.{name}")
    data = sys.modules.get("torch.utils.data")
    if data is not None:
        for name in ("DataLoader", "Dataset", "TensorDataset", "Subset", "random_split"):
            value = getattr(data, name, None)
            if isinstance(value, type):
                guard.cls(value, f"torch.utils.data.{name}")
    for name, mod in sorted(sys.modules.items()):
        if mod is not None and name.startswith(_PREFIXES):
            guard.module(mod, additions=True)  # a class of pytest's or the grader's gains nothing at run time
    for mod in check_modules:
        guard.module(mod)
    return guard


_ACTIVE: list[Guard] = []


def activate(guard: Guard | None) -> None:
    _ACTIVE[:] = [guard] if guard is not None else []


def active() -> Guard | None:
    return _ACTIVE[0] if _ACTIVE else None


def describe(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f" (+{len(names) - limit})" if len(names) > limit else "")
