"""Implementation roots: folders of curriculum modules, loaded as packages under an alias.

Two roots (a submission and the reference) live side by side in one process because each gets
its own package name; modules inside import siblings relatively.
"""
from __future__ import annotations

import hashlib
import importlib
import sys
import types
from pathlib import Path

from .text import IMPORT_FAILED, MISSING_MODULE, MISSING_NAME
from .verdict import CheckFailed


def alias_for(path: Path, role: str) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"_tocha_{role}_{digest}"


class ImplementationRoot:
    """One folder of exercise modules. Import failures are remembered and reported per module."""

    def __init__(self, path: Path, role: str = "impl"):
        self.path = Path(path).resolve()
        self.alias = alias_for(self.path, role)
        self._failures: dict[str, CheckFailed] = {}

    def _package(self) -> types.ModuleType:
        package = sys.modules.get(self.alias)
        if package is None:
            package = types.ModuleType(self.alias)
            package.__path__ = [str(self.path)]
            package.__package__ = self.alias
            sys.modules[self.alias] = package
        return package

    def module(self, name: str) -> types.ModuleType:
        """Import `name` from this root, or raise CheckFailed saying why it cannot be graded."""
        if name in self._failures:
            raise self._failures[name]
        qualified = f"{self.alias}.{name}"
        if qualified in sys.modules:
            return sys.modules[qualified]
        if not (self.path / f"{name}.py").is_file():
            failure = CheckFailed(MISSING_MODULE.format(module=name, root=self.path), "error")
        else:
            self._package()
            try:
                return importlib.import_module(qualified)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # SyntaxError, SystemExit, anything the module raises
                sys.modules.pop(qualified, None)
                error = f"{type(exc).__name__}: {exc}".strip()
                if isinstance(exc, SyntaxError):
                    error = f"SyntaxError: {exc.msg} (line {exc.lineno})"
                failure = CheckFailed(IMPORT_FAILED.format(module=name, error=error[:300]), "error")
        self._failures[name] = failure
        raise failure

    def get(self, module: str, name: str):
        """The object `name` defined in `module`, or a CheckFailed that says it is missing."""
        mod = self.module(module)
        if not hasattr(mod, name):
            raise CheckFailed(MISSING_NAME.format(name=name, module=module), "error")
        return getattr(mod, name)
