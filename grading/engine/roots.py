"""Implementation roots: folders of curriculum modules, loaded as packages under an alias.

Two roots (a submission and the reference) live side by side in one process because each gets
its own package name; modules inside import siblings relatively.

Importing a submission's module is guarded: PyTorch's global settings and the random generators
are put back afterwards (a setting that changes results makes the module an error), functions
the grader relies on that the import replaced are put back (and the module is an error), and a
module that does not finish importing in time is "timed out".
"""
from __future__ import annotations

import hashlib
import importlib
import re
import sys
import types
from pathlib import Path
from typing import Callable

from grading.sandbox import guard as _guard
from grading.text import IMPORT_FAILED, MISSING_MODULE, MISSING_NAME, Text
from grading.verdict import CheckFailed, CheckTimeout


# Each is called as hook("begin" | "end", module) around every import of a submission's module
# (an isolated worker tells the grading process, so a crash during an import is named as such).
IMPORT_HOOKS: list[Callable[[str, str], None]] = []


# Why a module of a root could not be imported, by alias: the same answer for every ImplementationRoot
# of that folder in this process (the reference imported ahead of hiding, then by the checks).
_FAILURES: dict[str, dict] = {}
# Written while checks run (a module that fails to import is remembered); nothing a submission
# writes there earns it anything, so writes.py does not watch it.
__unwatched__ = ("_FAILURES",)


def alias_for(path: Path, role: str) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"_tocha_{role}_{digest}"


class ImplementationRoot:
    """One folder of exercise modules. Import failures are remembered and reported per module."""

    def __init__(self, path: Path, role: str = "impl"):
        self.path = Path(path).resolve()
        self.role = role
        self.alias = alias_for(self.path, role)
        self._failures: dict[str, CheckFailed] = _FAILURES.setdefault(self.alias, {})
        self.guard = None  # the session's guard, given to the root being graded by its fixture

    def _package(self) -> types.ModuleType:
        package = sys.modules.get(self.alias)
        if package is None:
            package = types.ModuleType(self.alias)
            package.__path__ = [str(self.path)]
            package.__package__ = self.alias
            sys.modules[self.alias] = package
            if self.role == "ref":  # every function of the reference checks who calls it
                from grading.sandbox.containment import install_reference_finder

                install_reference_finder(self.alias, self.path)
        return package

    def _has(self, file: str) -> bool:
        """Whether the root has `file`; the submission asking about a secret folder's file (the
        reference's) is refused, as an open would be (grading/sandbox/containment.py)."""
        from grading.sandbox.containment import secret_is_file

        return secret_is_file(self.path / file)

    def module(self, name: str) -> types.ModuleType:
        """Import `name` from this root, or raise CheckFailed saying why it cannot be graded."""
        if name in self._failures:  # a fresh exception each time: a re-raised one grows its traceback
            known = self._failures[name]
            raise CheckFailed(known.message, known.status) from None
        qualified = f"{self.alias}.{name}"
        if qualified in sys.modules:
            return sys.modules[qualified]
        if not self._has(f"{name}.py"):
            failure = CheckFailed(MISSING_MODULE.format(module=name, root=self.path), "error")
        else:
            self._package()
            if self.role != "impl":
                failure = self._import(name, qualified)
            else:
                failure = self._guarded_import(name, qualified)
            if failure is None:
                return sys.modules[qualified]
        self._failures[name] = failure
        raise CheckFailed(failure.message, failure.status) from None

    def _import(self, name: str, qualified: str) -> CheckFailed | None:
        try:
            importlib.import_module(qualified)
            return None
        except KeyboardInterrupt:
            raise
        except CheckTimeout as exc:
            from grading.notices import IMPORT_TIMED_OUT

            sys.modules.pop(qualified, None)
            return CheckFailed(IMPORT_TIMED_OUT.format(module=name, seconds=exc.seconds), "timed out")
        except BaseException as exc:  # SyntaxError, SystemExit, anything the module raises
            sys.modules.pop(qualified, None)
            try:
                error = f"{type(exc).__name__}: {exc}".strip()
            except Exception:
                error = type(exc).__name__
            if isinstance(exc, SyntaxError):
                error = f"SyntaxError: {exc.msg} (line {exc.lineno})"
            return CheckFailed(IMPORT_FAILED.format(module=name, error=error[:300]), "error")

    def _guarded_import(self, name: str, qualified: str) -> CheckFailed | None:
        from grading import notices
        from grading.sandbox import state

        hooks = list(IMPORT_HOOKS)
        before, rng = state.capture(), state.rng_state()
        for hook in hooks:
            hook("begin", name)
        try:
            failure = self._import(name, qualified)
        finally:
            after = state.capture()
            state.apply(before)
            state.set_rng_state(rng)
            active = self.guard
            replaced = active.check_and_restore() if active is not None else []
            if active is not None:
                replaced += active.written()[0]  # where nothing may change; writes put back are not judged here
            for hook in hooks:
                hook("end", name)
        if failure is not None:
            return failure
        if replaced:
            return CheckFailed(notices.TAMPERED_AT_IMPORT.format(module=name, names=_guard.describe(replaced)), "error")
        harmful = state.harmful_changes(before, after)
        if harmful:
            what = Text("; ", "; ").join(harmful)
            return CheckFailed(notices.STATE_AT_IMPORT.format(module=name, what=what), "error")
        return None

    def get(self, module: str, name: str):
        """The object `name` defined in `module`, or a CheckFailed that says it is missing."""
        mod = self.module(module)
        if not hasattr(mod, name):
            raise CheckFailed(MISSING_NAME.format(name=name, module=module), "error")
        value = getattr(mod, name)
        if self.role == "impl":
            from grading.sandbox import containment

            containment.refuse_borrowed(value)
        return value


def import_ahead(reference: Path, check_files) -> None:
    """Import now the reference's modules these check files use (their own, and any other the
    check file names), before the worker hides the reference's folder (grading/sandbox/namespaces.py):
    the checks then find them imported, and no copy of their source stays in memory."""
    root = ImplementationRoot(reference, "ref")
    names = set()
    for file in map(Path, check_files):
        names.add(file.stem.removeprefix("test_"))
        try:
            names.update(re.findall(r"\bex\d\d_[a-z]+\b", file.read_text(encoding="utf-8")))
        except OSError:
            pass
    for name in sorted(names):
        if (root.path / f"{name}.py").is_file():
            try:
                root.module(name)
            except CheckFailed:
                pass  # remembered: the checks that ask get the same answer
