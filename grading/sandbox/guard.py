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

from grading.sandbox import writes as _writes

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

    def __init__(self, watch_writes: bool = True):
        self._modules: list[tuple[types.ModuleType, str, dict]] = []
        self._classes: list[tuple[type, str, dict, frozenset | None, frozenset]] = []
        self._seen: set[int] = set()
        self._library_dirs = _library_dirs()
        self._writes = _writes.watcher() if watch_writes and _writes.available() else None

    # ------------------------------------------------------------ building

    def module(self, mod, label: str | None = None, names=None, classes: bool = True,
               additions: bool = False, strict: bool = False) -> None:
        """Guard the functions, classes and submodules bound in `mod` (or only `names`); `strict`:
        nothing at all may change in it (writes.py), as in the grader's and the checks' modules."""
        if mod is None or id(mod) in self._seen:
            return
        self._seen.add(id(mod))
        label = label or mod.__name__
        namespace = mod.__dict__
        skip = _MODULE_SKIP.get(mod.__name__, set())
        keys = names if names is not None else [k for k, v in list(namespace.items()) if _guardable(v)]
        snapshot = {k: namespace.get(k, _MISSING) for k in keys if k not in skip}
        self._modules.append((mod, label, snapshot))
        self.watch(label, namespace, strict, skip)
        if classes:
            state = namespace.get("__unwatched__", ())  # classes the module keeps its state in
            for name, value in snapshot.items():
                if _isinstance(value, type) and getattr(value, "__module__", None) == mod.__name__:
                    self.cls(value, f"{label}.{name}", additions=additions, strict=strict, watch=name not in state)

    def tables(self, mod) -> None:
        """Watch the dicts, lists and sets `mod` binds at module level (a check's cases)."""
        if self._writes is not None:
            self._writes.add_tables(mod.__name__, mod.__dict__)

    def watch(self, label: str, namespace, strict: bool = True, skip=()) -> None:
        """Watch writes to `namespace` (a dict, list or set; writes.py)."""
        if self._writes is not None:
            self._writes.add(label, namespace, strict, skip)

    def cls(self, cls: type, label: str | None = None, additions: bool = False, skip=_CLASS_SKIP,
            strict: bool = False, watch: bool = True) -> None:
        """Guard every entry of a class's own dictionary (and, if asked, against new entries)."""
        if id(cls) in self._seen or not _mutable_class(cls):
            return
        self._seen.add(id(cls))
        label = label or f"{cls.__module__}.{cls.__qualname__}"
        namespace = dict(cls.__dict__)
        snapshot = {k: v for k, v in namespace.items() if _guardable(v)}  # methods, not counters
        known = frozenset(namespace) if additions else None
        self._classes.append((cls, label, snapshot, known, frozenset(skip)))
        if watch:
            self.watch(label, _writes.class_dict(cls), strict, skip)

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

    def settle(self) -> None:
        """From now on, `written()` compares with the namespaces as they are now."""
        if self._writes is not None:
            self._writes.settle()

    def written(self) -> tuple[list[str], list[str]]:
        """Since `settle()`: (names changed where nothing may change, now put back; namespaces
        written and put back as they were)."""
        return self._writes.look() if self._writes is not None else ([], [])

    def looker(self):
        """`written`, as a closure that no later rebinding of this class changes (the worker's loop
        keeps it from before the submission loads)."""
        return self._writes.look if self._writes is not None else (lambda: ([], []))

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


def build(check_modules=(), watch_writes: bool = True) -> Guard:
    """A guard over what checks and pytest rely on; call before any student code is imported.
    `watch_writes` off: only names are compared (recording, where the grader's recorder patches
    and restores torch's classes itself, and grades only the kit's own code)."""
    import numpy.testing  # noqa: F401  (guarded below; imported lazily by numpy otherwise)
    import torch
    import torch.testing  # noqa: F401

    guard = Guard(watch_writes)
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
            guard.module(mod, additions=True, strict=name.startswith("grading"))  # a class of pytest's or the grader's gains nothing at run time
            if name.startswith("grading"):
                guard.tables(mod)
    for mod in check_modules:
        guard.module(mod, strict=True)
        guard.tables(mod)
    guard.settle()
    return guard


# Told when a check ends with something tampered with: a worker asks for a fresh process for the
# module's next check, so nothing the submission gathered meanwhile (a check's answers, caught by
# a function it slipped in) outlives the check.
TAMPER_HOOKS: list = []


def tampered() -> None:
    for hook in list(TAMPER_HOOKS):
        hook()


def describe(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f" (+{len(names) - limit})" if len(names) > limit else "")


def tampered_text(replaced: list[str], put_back: list[str]):
    """The hint of a check in which the submission replaced names (or wrote and put back), else None."""
    from grading import notices

    if replaced:
        return notices.TAMPERED.format(names=describe(replaced))
    if put_back:
        return notices.TAMPERED_PUT_BACK.format(names=describe(put_back))
    return None
