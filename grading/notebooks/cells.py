"""What a notebook's autograder test cell calls: the kit's own checks for one item, run in the
notebook's kernel against the notebook's definitions.

    from grading.notebooks.cells import check_item
    check_item("ex01_autograd", "gradients", globals(), lang="en")

The notebook's namespace becomes an implementation root: the module object whose dictionary is
that namespace (the kernel's `__main__`) is registered as the root's `<module>`, so the checks
see exactly what the notebook defines, and a check that swaps one of the module's functions for
the reference's (to judge another function on its own) swaps it where the notebook's code looks
it up. Then `pytest` runs in this process (`--no-isolation`) on `checks/test_<module>.py`, only
the checks marked with this item, with the same seeds, timeouts and verdicts as a `pytest
checks` run. The cell prints the item's status and the same first hint the score table shows,
and its value is the points earned: nbgrader's partial credit. Nothing is written to stderr
(nbgrader gives 0 to a test cell with any stderr output).

`begin(module)` (the notebook's first, read-only cell) records PyTorch's global settings before
any of the notebook's code runs; `sibling(module, *names)` stands for a relative import of
another curriculum module (`from .ex02_forward import SumNet`) and gives the reference's objects.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import types
from pathlib import Path

from grading.data import KIT_ROOT
from grading.text import STATUS, Text

_PRISTINE: dict = {}          # PyTorch's settings before the notebook's own code ran
_SIBLINGS: dict[str, types.ModuleType] = {}   # curriculum modules the notebook imported by sibling()

HEAD = Text("{item} ({module}): {earned}/{possible} points · {status}",
            "{item} ({module}): {earned}/{possible} pontos · {status}")
CHECK_LINE = Text("  {mark} {check} ({points} pt) · {status}", "  {mark} {check} ({points} pt) · {status}")
NO_CHECKS = Text("no check in checks/test_{module}.py is marked for `{item}`.",
                 "nenhuma verificação em checks/test_{module}.py está marcada para `{item}`.")
SKIPPED_NOTE = Text("  (skipped, not counted: {reason})", "  (pulada, não conta: {reason})")
STATE_CHANGED = Text(
    "the notebook changed PyTorch's global settings outside a function: {what}. Change them inside "
    "the function that needs them, and restore them.",
    "o notebook mudou configurações globais do PyTorch fora de uma função: {what}. Mude-as dentro "
    "da função que precisa delas, e restaure-as.",
)
INTERNAL = Text("the checks could not run (pytest exit code {code}):\n{output}",
                "as verificações não puderam rodar (código de saída do pytest {code}):\n{output}")


def kit_paths(kit_root: Path | None = None) -> tuple[Path, Path]:
    """(checks folder, solutions folder) of the kit."""
    root = Path(kit_root) if kit_root else KIT_ROOT
    return root / "checks", root / "solutions"


# ---------------------------------------------------------------- the notebook's first cell

def begin(module: str | None = None) -> None:
    """Remember PyTorch's settings before the notebook's own code runs (once per kernel)."""
    from grading.sandbox import state

    if not _PRISTINE:
        _PRISTINE.update(state.capture())


def sibling(module: str, *names: str):
    """The reference's `module` (no names), its object (one name) or a tuple of objects: what a
    relative import of another curriculum module gives in a notebook."""
    from grading.engine.roots import ImplementationRoot

    mod = _SIBLINGS.get(module)
    if mod is None:
        _, solutions = kit_paths()
        mod = ImplementationRoot(solutions, "nbsibling").module(module)
        _SIBLINGS[module] = mod
    if not names:
        return mod
    values = tuple(getattr(mod, name) for name in names)
    return values[0] if len(values) == 1 else values


# ---------------------------------------------------------------- the namespace as a root

def _namespace_module(namespace: dict, module: str) -> types.ModuleType:
    """The module whose dictionary is `namespace` (the kernel's __main__), else a copy of it."""
    for mod in list(sys.modules.values()):
        if getattr(mod, "__dict__", None) is namespace:
            return mod
    mod = types.ModuleType(module)
    mod.__dict__.update(namespace)
    return mod


def _code_files(namespace: dict) -> list[str]:
    """Source files of the functions and methods defined in the notebook itself."""
    files = []
    for value in list(namespace.values()):
        functions = []
        if isinstance(value, types.FunctionType):
            functions = [value]
        elif isinstance(value, type):
            functions = [v for v in vars(value).values() if isinstance(v, types.FunctionType)]
        for fn in functions:
            if fn.__module__ == namespace.get("__name__"):
                files.append(fn.__code__.co_filename)
    return files


def _root_dir(namespace: dict) -> Path:
    """A folder that holds the notebook's cell files (so a traceback's frames in them count as
    the submission's), else a private temporary folder."""
    folders = [Path(f).parent for f in _code_files(namespace) if os.path.isabs(f)]
    if folders:
        return max(set(folders), key=folders.count).resolve()
    path = Path(tempfile.gettempdir()) / f"tocha-notebook-{os.getpid()}"
    path.mkdir(exist_ok=True)
    return path.resolve()


@contextlib.contextmanager
def _registered(root: Path, module: str, ns_module: types.ModuleType):
    """Make `root` an implementation root whose `module` is the notebook (siblings: reference)."""
    from grading.engine.roots import alias_for

    alias = alias_for(root.resolve(), "impl")
    entries = {alias: types.ModuleType(alias), f"{alias}.{module}": ns_module}
    entries[alias].__path__ = [str(root)]
    entries[alias].__package__ = alias
    for name, mod in _SIBLINGS.items():
        if name != module:
            entries[f"{alias}.{name}"] = mod
    saved = {key: sys.modules.get(key) for key in entries}
    stale = [key for key in sys.modules if key.startswith(alias + ".") and key not in entries]
    for key in stale:
        sys.modules.pop(key, None)
    sys.modules.update(entries)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value


def _forget_check_module(check_file: Path) -> None:
    """pytest would reuse an imported check module (and its caches) in a second run in the
    same process; each run imports it afresh, as a `pytest checks` run does."""
    target = check_file.resolve()
    for key, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        if path and key.rsplit(".", 1)[-1] == check_file.stem:
            try:
                if Path(path).resolve() == target:
                    del sys.modules[key]
            except (OSError, ValueError):
                pass


# ---------------------------------------------------------------- running the checks

class _Select:
    """pytest plugin: keep only the checks of one item; hand back the verdict records."""

    def __init__(self, item: str):
        self.item = item
        self.records = []
        self.selected = 0
        self.skipped: dict[str, str] = {}  # nodeid -> reason

    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for node in items:
            marker = node.get_closest_marker("item")
            (keep if marker is not None and marker.args and marker.args[0] == self.item else drop).append(node)
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep
        self.selected = len(keep)

    def pytest_runtest_logreport(self, report):
        if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
            self.skipped[report.nodeid] = str(report.longrepr[2]).removeprefix("Skipped: ")

    def pytest_sessionfinish(self, session):
        from grading.engine.session import records_of

        self.records = list(records_of(session.config))


@contextlib.contextmanager
def _quiet():
    """Everything written during the run (Python's streams and file descriptors 1 and 2) goes
    to one buffer: a test cell must print nothing on stderr."""
    buffer = io.StringIO()
    saved, sink = {}, tempfile.TemporaryFile(mode="w+b")
    for fd in (1, 2):
        try:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            saved[fd] = os.dup(fd)
            os.dup2(sink.fileno(), fd)
        except OSError:
            pass
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield buffer
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        sink.seek(0)
        raw = sink.read(1 << 20).decode("utf-8", "replace")
        sink.close()
        if raw:
            buffer.write(raw)


def _cell_names(text: str) -> str:
    """`ipykernel_123/4567.py` (a cell's file) → `In[5]`, as IPython names cells."""
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return text
    mapping = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    for filename, number in mapping.items():
        path = Path(filename)
        text = text.replace(f"{path.parent.name}/{path.name}", f"In[{number}]").replace(str(path), f"In[{number}]")
    return text


def run_item(module: str, item: str, namespace: dict, *, lang: str = "en", timeout_scale: float = 1.0,
             kit_root: Path | None = None):
    """Run the item's checks on the notebook's namespace. Returns (records, exit code, output)."""
    import pytest

    from grading.sandbox import state

    checks, solutions = kit_paths(kit_root)
    check_file = checks / f"test_{module}.py"
    ns_module = _namespace_module(namespace, module)
    root = _root_dir(namespace)
    select = _Select(item)
    args = [str(check_file), "--impl", str(root), "--reference", str(solutions), "--no-isolation",
            "--lang", lang, "--timeout-scale", str(timeout_scale), "-q", "-p", "no:cacheprovider",
            "--rootdir", str(checks.parent)]
    before, rng = state.capture(), state.rng_state()
    if _PRISTINE:
        state.apply(_PRISTINE)
    _forget_check_module(check_file)
    try:
        with _registered(root, module, ns_module), _quiet() as output:
            code = pytest.main(args, plugins=[select])
    finally:
        state.apply(before)
        state.set_rng_state(rng)
    return select, int(code), output.getvalue()


def check_item(module: str, item: str, namespace: dict, *, lang: str | None = None,
               timeout_scale: float = 1.0, kit_root: Path | None = None) -> int:
    """Grade one item of the notebook: print its status and first hint, return the points."""
    from grading import results as res
    from grading.sandbox import state
    from grading.text import default_lang

    lang = lang or default_lang()
    if _PRISTINE:
        harmful = state.harmful_changes(_PRISTINE, state.capture())
        if harmful:
            print(STATE_CHANGED.format(what=Text("; ", "; ").join(harmful)).get(lang))
            return 0
    select, code, output = run_item(module, item, namespace, lang=lang, timeout_scale=timeout_scale,
                                    kit_root=kit_root)
    if code == 2:  # pytest.ExitCode.INTERRUPTED: the cell was interrupted (nbgrader's cell timeout)
        raise KeyboardInterrupt
    if not select.selected and code in (0, 5):
        print(NO_CHECKS.format(module=module, item=item).get(lang))
        return 0
    if code not in (0, 1) or not select.records:
        raise RuntimeError(INTERNAL.format(code=code, output=output[-3000:]).get(lang))
    scores = [s for s in res.by_item(select.records) if s.item == item]
    score = scores[0] if scores else res.ItemScore(module, item)
    status = STATUS[score.status].get(lang) if score.checks else "-"
    print(HEAD.format(item=item, module=module, earned=score.earned, possible=score.possible,
                      status=status).get(lang))
    hint = score.first_hint(lang)
    if hint and score.status != "skipped":
        print("→ " + _cell_names(hint))
    for check in score.checks:
        mark = {"passed": "✓", "skipped": "·"}.get(check.status, "✗")
        print(CHECK_LINE.format(mark=mark, check=check.check, points=check.points,
                                status=STATUS[check.status].get(lang)).get(lang))
        if check.status == "skipped":
            reason = " ".join(select.skipped.get(check.nodeid, "").split())
            if reason:
                print(SKIPPED_NOTE.format(reason=reason).get(lang))
    return int(score.earned)
