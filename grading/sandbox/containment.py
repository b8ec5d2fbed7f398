"""Containment inside the grading worker, where the submission's code runs in the same process
as the checks and the reference: what that process may do while the student's code runs, and
how a submission that reaches for the reference is caught.

This is detection and refusal, not separation (the submission still shares the process):

* resource limits (`limit_memory`): the worker's private data may grow by at most
  --memory-limit GiB (RLIMIT_DATA above what the worker already holds), so a submission that
  allocates without bound gets a MemoryError, not the machine's memory;
* an audit hook (`install_audit_hook`), installed in the worker only, refuses, while a frame of
  the submission is on the stack: starting processes (fork, exec, spawn, system, subprocess,
  multiprocessing), signalling another process, opening, linking, renaming or deleting a file
  of the reference or of the checks' recorded answers (checks/snapshots/), searching the
  garbage collector (gc.get_objects / get_referrers / get_referents), getting hold of a
  call-stack frame (sys._getframe, sys._current_frames, tb_frame, gi_frame ..., asked by the
  submission itself or handed to it by inspect or traceback's walk_stack / walk_tb; turning them
  into text, as traceback.format_exc() does, stays allowed), setting a trace or profile function
  (sys.settrace, sys.setprofile: it would be given every frame; an error, not cheating, since a
  leftover breakpoint() does it), getting hold of the reference's code objects (__code__, and
  making a function or exec'ing one), and native calls, ctypes or cffi (which could undo all of
  this). A signal handler the submission installs is given no frame;
* the reference's functions are compiled with a prologue (`__tocha_enter__(name)` at the top of
  every function, `ReferenceFinder`), and the snapshot replay calls the same guard: a reference
  answer computed while the student's code is running, outside a check's own swap, is a
  "cheated" verdict. Whose call it is: any frame of the submission on the stack (above the pytest
  session's own frame: a notebook's cell that starts the checks is not a caller) makes it the
  submission's (a check's helper it calls, or code it compiled under a check's file name, is no
  excuse), unless the call is the reference's own code calling itself (its code objects,
  compiled here, not merely its file name) or an item the check swapped in (its
  `with_reference` marker, or a `monkeypatch.setattr` made by the check's own code with no frame
  of the submission under it). A call from a thread the submission started, or from any
  non-main Python thread, is cheating too;
* what the submission's module hands a check (`refuse_borrowed`, from the roots' `get`) must not
  be the reference's own function or class, nor a partial, method, subclass or instance of one:
  an alias runs no code of the submission, so the guard above would see only the check calling.

Every refusal that is cheating is reported to the grading process at once (`note`), so a
submission that catches the exception or tampers afterwards cannot undo the verdict.

The audit hook sees what Python opens, not what native code opens (`torch.from_file`,
`torch._C.PyTorchFileReader`, any op that takes a path). Where the machine allows it, the kernel
closes that gap: the worker imports the reference's modules it needs and reads its recorded answers
ahead (`hide_secrets`), then namespaces.py hides the reference's folder and checks/snapshots/ from
it; where the machine does not allow that, those readers still reach them.

pytest keeps its session, and with it every check's fixtures (the reference, the replay's
answers), in a few module-level objects; a worker severs those before the submission runs
(`pytest_private.sever_global_routes`; a search of everything reachable from sys.modules, 40
references deep, finds neither session nor answers after it). The answers read ahead of hiding are
kept there too (pytest's stash), never in a module.

Containment's own settings (`state()`, this module's globals) are the submission's to write, as
everything in the process is: grading/sandbox/writes.py watches them, and a check in which they
were written is an error, its worker replaced. A function's code or defaults may be replaced by
the submission only in its own functions (`_rewrite_event`), and a process's raw memory
(/proc/self/mem) is refused as ctypes is.

What this does not stop, as long as the submission shares a process with the checks: writing the
process's memory by other native means (an array whose strides reach past its own buffer can write
any object, the dicts' version tags included), a frame some other library hands over, and, short of
that, changes to pytest's and torch's own classes that leave every name as it was (judged by the
guard only where they are seen). Those need the submission in a process of its own.
"""
from __future__ import annotations

import ast
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import threading
import types
from pathlib import Path
from typing import Callable

from grading.text import Text

# Taken before any submission code can replace them.
_getframe, _realpath, _fspath = sys._getframe, os.path.realpath, os.fspath
_get_ident, _main_thread = threading.get_ident, threading.main_thread

DEFAULT_MEMORY_GIB = 4.0
PROLOGUE = "__tocha_enter__"
KINDS = ("reference", "borrowed", "files", "memory", "frames", "rewrite")  # the kinds that are cheating

CHEATED = {
    "reference": Text(
        "your code called the reference's `{what}` while it was being graded: a submission must compute "
        "its answers itself. No points for this check.",
        "seu código chamou `{what}` da referência durante a avaliação: uma entrega deve calcular suas "
        "respostas por conta própria. Nenhum ponto nesta verificação."),
    "borrowed": Text(
        "your module hands the checks the reference's own `{what}` (an alias, a module __getattr__, a "
        "subclass or a partial of it) instead of code of its own. No points for this check.",
        "seu módulo entrega às verificações o próprio `{what}` da referência (um apelido, um __getattr__ "
        "de módulo, uma subclasse ou um partial dele) em vez de código próprio. Nenhum ponto nesta verificação."),
    "files": Text(
        "your code tried to read the grader's files ({what}) while it was being graded: the reference and "
        "its recorded answers are off limits. No points for this check.",
        "seu código tentou ler arquivos do avaliador ({what}) durante a avaliação: a referência e suas "
        "respostas gravadas são proibidas. Nenhum ponto nesta verificação."),
    "memory": Text(
        "your code searched the grading process's memory ({what}) while it was being graded: a submission "
        "must not look for the grader's objects. No points for this check.",
        "seu código vasculhou a memória do processo de avaliação ({what}) durante a avaliação: uma entrega "
        "não deve procurar os objetos do avaliador. Nenhum ponto nesta verificação."),
    "rewrite": Text(
        "your code rewrote code it did not write ({what}) while it was being graded: a submission must not "
        "change the grader's, the checks' or a library's functions. No points for this check.",
        "seu código reescreveu código que não é seu ({what}) durante a avaliação: uma entrega não deve alterar "
        "as funções do avaliador, das verificações ou de uma biblioteca. Nenhum ponto nesta verificação."),
    "frames": Text(
        "your code read the grader's call stack ({what}) while it was being graded: a submission must not "
        "look into the checks' variables. No points for this check.",
        "seu código leu a pilha de chamadas do avaliador ({what}) durante a avaliação: uma entrega não deve "
        "olhar as variáveis das verificações. Nenhum ponto nesta verificação."),
}
NATIVE = Text(
    "your code made native calls ({what}) while it was being graded: ctypes and cffi are not allowed in a submission.",
    "seu código fez chamadas nativas ({what}) durante a avaliação: ctypes e cffi não são permitidos numa entrega.")
PROCESS = Text(
    "your code tried to start a process or to signal another process ({what}): a submission "
    "must compute inside the function it is given (use DataLoader with num_workers=0).",
    "seu código tentou iniciar um processo ou sinalizar outro processo ({what}): uma "
    "entrega deve calcular dentro da função que recebe (use DataLoader com num_workers=0).")
TRACING = Text(
    "your code set a trace or profile function ({what}; a debugger such as breakpoint() or pdb does) while it "
    "was being graded: that is not allowed in a submission. Remove the debugger call.",
    "seu código instalou uma função de rastreamento ou de perfil ({what}; um depurador como breakpoint() ou pdb faz "
    "isso) durante a avaliação: isso não é permitido numa entrega. Remova a chamada ao depurador.")
MEMORY = Text(
    "your code ran out of memory ({what}): the grader allows {limit}; look for a tensor or a list that "
    "grows without bound, or a far too large allocation.",
    "seu código ficou sem memória ({what}): o avaliador permite {limit}; procure um tensor ou uma lista que "
    "cresce sem limite, ou uma alocação grande demais.")
MACHINE_MEMORY = Text("the machine's memory", "a memória da máquina")


class Refused(PermissionError):
    """What the submission gets when it does something the worker does not allow."""

    def __init__(self, kind: str, what: str):
        super().__init__(f"tocha: refused while grading ({kind}: {what})")
        self.kind, self.what = kind, what

    def text(self) -> Text:
        template = {"native": NATIVE, "tracing": TRACING}.get(self.kind) or CHEATED.get(self.kind, PROCESS)
        return template.format(what=self.what)

    @property
    def cheating(self) -> bool:
        return self.kind in KINDS


class _Context:
    impl_root: Path | None = None
    ref_root: Path | None = None
    impl_alias: str = "\0"
    ref_alias: str = "\0"
    check_dirs: tuple[Path, ...] = ()
    forbidden: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    sanctioned: set = set()
    pending: list = []
    report: Callable[[str, str], None] | None = None
    memory_limit: str = ""
    student_threads: set = set()
    session_code = None  # the pytest session's frame (pytest_private.session_code)


_C = _Context()


# ---------------------------------------------------------------- configuration

def configure(impl_root: Path, impl_alias: str, ref_root: Path | None, ref_alias: str | None,
              check_dirs, kit: Path | None = None) -> None:
    """Say which files are the submission's, the reference's, the checks' and the grader's."""
    from grading.pytest_private import session_code

    _C.impl_root = Path(impl_root).resolve()
    _C.ref_root = Path(ref_root).resolve() if ref_root is not None else None
    _C.impl_alias = impl_alias + "."
    _C.ref_alias = (ref_alias + ".") if ref_alias else "\0"
    _C.check_dirs = tuple(sorted({Path(d).resolve() for d in check_dirs}))
    # The checks' and the grader's source files ship with every release (the student has them):
    # reading them borrows nothing, and warnings and tracebacks read them through linecache. What
    # is secret is the reference and its recorded answers.
    forbidden = {d / "snapshots" for d in _C.check_dirs}
    if _C.ref_root is not None:
        forbidden.add(_C.ref_root)
    if kit is not None:
        for name in ("solutions", "checks/snapshots"):
            if (kit / name).is_dir():
                forbidden.add((kit / name).resolve())
    _C.forbidden = tuple(str(p) + os.sep for p in forbidden)
    _C.allowed = (str(_C.impl_root) + os.sep,)
    _kind_of_file.cache_clear()
    _C.session_code = session_code()
    _C.sanctioned = set()


# ---------------------------------------------------------------- the secret folders, hidden

def hide_secrets(answers, close_fds=()) -> tuple[bool, str | None, dict]:
    """In a worker, once the reference's modules its checks use are imported (roots.import_ahead):
    read the recorded `answers` files it will replay, then hide the secret folders from this
    process by the kernel where the machine allows it (namespaces.py). Returns what `hide` says,
    and the answers read ({real path: bytes}), for the caller to keep out of the submission's
    reach (pytest's stash). Grading the reference itself hides nothing of it."""
    from grading.sandbox import namespaces

    inside = str(_C.impl_root) + os.sep
    folders = [p for p in _C.forbidden if not inside.startswith(p) and not p.startswith(inside)]
    read = {}
    for file in answers:
        try:
            read[_realpath(file)] = Path(file).read_bytes()
        except OSError:
            pass
    return (*namespaces.hide([p.rstrip(os.sep) for p in folders], close_fds), read)


def secret_bytes(path, kept: dict | None = None) -> bytes:
    """A file of the secret folders, from `kept` (what was read ahead of hiding, handed over once),
    else from disk; the submission is refused as if it opened the file."""
    _file_event("open", (path,))
    data = kept.pop(_realpath(_fspath(path)), None) if kept else None
    return data if data is not None else Path(path).read_bytes()


def secret_is_file(path, kept: dict | None = None) -> bool:
    """Whether a file exists, counting the recorded answers read ahead; refused to the submission."""
    _file_event("open", (path,))
    return (bool(kept) and _realpath(_fspath(path)) in kept) or Path(path).is_file()


def set_reporter(report: Callable[[str, str], None] | None) -> None:
    _C.report = report


def state() -> dict:
    """Containment's own settings, which the guard watches (grading/sandbox/writes.py): a
    submission that rebinds them (no root: no guard) is tampering."""
    return vars(_C)


def begin_check(sanctioned=()) -> None:
    """A new check: nothing is noted yet; these (module, name) pairs are the check's own swaps."""
    _C.pending.clear()
    _C.sanctioned.clear()
    _C.sanctioned.update(sanctioned)


def sanctioned_beyond(legit) -> list[str]:
    """Swaps this check has sanctioned that are neither in `legit` (its marker's, and the reference
    functions its monkeypatch put in place) nor explained: a submission added them."""
    return sorted(f"{m}.{n}" for m, n in _C.sanctioned if (m, n) not in legit)


def take() -> tuple[str, str] | None:
    """The first cheat noted during this check, if any (a guard taken out of the reference counts)."""
    if not _C.pending:
        for module, enter in _GUARDED:
            if module.__dict__.get(PROLOGUE) is not enter:
                note("reference", f"{module.__name__.split('.')[-1]} ({PROLOGUE})")
                break
    return _C.pending[0] if _C.pending else None


def note(kind: str, what: str) -> None:
    what = str(what)[:200]
    if not _C.pending:
        _C.pending.append((kind, what))
        if _C.report is not None:
            try:
                _C.report(kind, what)
            except Exception:
                pass


def _caught(kind: str, what: str) -> Refused:
    """Noted as cheating now (the grading process hears at once), and the error to raise."""
    note(kind, what)
    return Refused(kind, what)


def cheated_text(kind: str, what: str) -> Text:
    return CHEATED.get(kind, CHEATED["reference"]).format(what=what)


# ---------------------------------------------------------------- whose frame is it

@functools.lru_cache(maxsize=8192)  # its entries live in C, where a submission cannot write any
def _kind_of_file(filename: str) -> str | None:
    kind = ""
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError, RuntimeError):
        path = None
    if path is not None:
        if _C.impl_root is not None and _C.impl_root != _C.ref_root and path.is_relative_to(_C.impl_root):
            kind = "student"
        elif _C.ref_root is not None and _C.impl_root != _C.ref_root and path.is_relative_to(_C.ref_root):
            kind = "ref"
        elif any(path.is_relative_to(d) for d in _C.check_dirs):
            kind = "check"
    return kind or None


def _kind_of(frame) -> str | None:
    """By file first (a submission may rename its module's __name__), then by package alias
    (the only way to tell them apart when the submission is the reference's own folder)."""
    by_file = _kind_of_file(frame.f_code.co_filename)
    if by_file == "student":
        return by_file
    name = frame.f_globals.get("__name__")
    if isinstance(name, str):
        if name.startswith(_C.impl_alias):
            return "student"
        if name.startswith(_C.ref_alias) and (by_file == "ref" or _C.impl_root == _C.ref_root):
            return "ref"
    return by_file


def _up(frame):
    """The frame's caller, up to the pytest session's own frame: below it is whoever started pytest
    (in a notebook, the cell that runs the checks, written by the teacher in the student's file)."""
    frame = frame.f_back
    return None if frame is None or frame.f_code is _C.session_code else frame


def student_on_stack(frame) -> bool:
    while frame is not None:
        if _kind_of(frame) == "student":
            return True
        frame = _up(frame)
    return False


def _nearest_frame(frame):
    while frame is not None and _kind_of(frame) is None:
        frame = _up(frame)
    return frame


def nearest(frame) -> str | None:
    """The first frame, walking up, that is the submission's, the reference's or a check's."""
    frame = _nearest_frame(frame)
    return _kind_of(frame) if frame is not None else None


def _within_reference(frame) -> bool:
    """The nearest known frame is the reference's own code (one of its functions calling another),
    not code merely compiled under the reference's file name."""
    frame = _nearest_frame(frame)
    return frame is not None and _kind_of(frame) == "ref" and id(frame.f_code) in _REFERENCE_CODE


def _foreign_thread() -> bool:
    ident = _get_ident()
    if ident in _C.student_threads:
        return True
    current = threading._active.get(ident)
    return current is not None and ident != _main_thread().ident and not isinstance(current, threading._DummyThread)


# ---------------------------------------------------------------- the reference's guard

def guard_reference(module: str, name: str, frame) -> None:
    """Called at the entry of a reference function (or a replayed answer) with its caller's frame."""
    if _C.report is None and _C.impl_root is None:
        return
    if _foreign_thread():
        raise _caught("reference", name)
    if (module, name) in _C.sanctioned or _within_reference(frame):
        return
    if student_on_stack(frame):  # anywhere below: a check's helper the submission calls is no excuse
        raise _caught("reference", name)


def borrowed(value) -> tuple[str, str] | None:
    """(module, name) of the reference's own function or class that `value` is (or is a partial, a
    method, a subclass or an instance of), else None. Checked on everything the
    submission's module hands a check: an alias runs no code of the submission, so the guard at the
    reference's entry would see only the check calling it."""
    for _ in range(16):  # partial(partial(...)), a bound method of a partial ...
        inner = value.func if isinstance(value, functools.partial) else getattr(value, "__func__", None)
        if inner is None or inner is value:
            break
        value = inner
    if type(value).__name__ in _SNAPSHOT_WRAPPERS:
        module, _, name = str(getattr(value, "_name", "?")).rpartition(".")
        return module, name
    if isinstance(value, types.FunctionType):
        if is_reference_module(value.__module__) or _kind_of_file(value.__code__.co_filename) == "ref":
            return str(value.__module__).split(".")[-1], value.__name__
        return None
    classes = value.__mro__ if isinstance(value, type) else type(value).__mro__ if callable(value) else ()
    return next(((str(cls.__module__).split(".")[-1], cls.__qualname__) for cls in classes
                 if is_reference_module(getattr(cls, "__module__", None))), None)


def is_reference_module(name) -> bool:
    """A module name of the reference: its package alias, or the replay's stand-in classes."""
    return isinstance(name, str) and (name.startswith(_C.ref_alias) or name == REPLAYED_CLASSES)


def refuse_borrowed(value):
    """`value`, unless it is the reference's own and the check did not swap it in itself (then
    "cheated", noted at once)."""
    found = borrowed(value)  # a replayed class knows its name, not its module: the name decides
    if found is not None and found[1] not in {name for _, name in _C.sanctioned}:
        raise _caught("borrowed", found[1])
    return value


def _make_enter(module: str) -> Callable[[str], None]:
    def __tocha_enter__(name: str) -> None:
        guard_reference(module, name, _getframe(2))
    return __tocha_enter__


class _Prologue(ast.NodeTransformer):
    """`__tocha_enter__("<top-level name>")` as the first statement of every function, the
    methods of top-level classes included (named by their class)."""

    def __init__(self):
        self.top: str | None = None

    def visit_Module(self, node):
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.top = stmt.name
                self.visit(stmt)
        self.top = None
        return node

    def _function(self, node):
        self.generic_visit(node)
        call = ast.Expr(ast.Call(ast.Name(PROLOGUE, ast.Load()), [ast.Constant(self.top or node.name)], []))
        first = 1 if (node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(getattr(node.body[0], "value", None), ast.Constant)
                      and isinstance(node.body[0].value.value, str)) else 0
        anchor = node.body[min(first, len(node.body) - 1)]
        node.body.insert(first, ast.copy_location(call, anchor))
        ast.fix_missing_locations(call)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function


# Written whenever the reference is imported, which may be while checks run; the reference's own
# modules are watched where that matters (grading/engine/isolation.py), and a code object named
# after a reference file cannot come from the submission (`_compile_event`).
__unwatched__ = ("_GUARDED", "_REFERENCE_CODE")
_GUARDED: list = []  # (reference module, its guard): replacing the guard is noted at the check's end
_REFERENCE_CODE: dict = {}  # id -> every code object compiled from the reference's files here


def _remember(code: types.CodeType) -> types.CodeType:
    _REFERENCE_CODE[id(code)] = code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _remember(const)
    return code


class _PrologueLoader(importlib.machinery.SourceFileLoader):
    """The reference's module with the guard at the top of each of its functions and of its
    classes' methods: a submission that builds the reference's model inside its own, or runs the
    reference's forward on its own layers, is calling the reference. A check that hands the
    submission the reference's class swaps it in (sanctioned by the class's name)."""

    def get_code(self, fullname):
        source = self.get_data(self.path)  # refused when the submission is the one importing
        tree = ast.parse(source, self.path)
        tree = _Prologue().visit(tree)
        return _remember(compile(tree, self.path, "exec", dont_inherit=True))

    def exec_module(self, module):
        short = module.__name__.split(".")[-1]
        enter = module.__dict__[PROLOGUE] = _make_enter(short)
        _GUARDED.append((module, enter))
        super().exec_module(module)


class ReferenceFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of one reference root (its alias package) with `_PrologueLoader`."""

    def __init__(self, alias: str, path: Path):
        self.alias, self.path = alias, Path(path)

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.alias + ".") or fullname.count(".") != 1:
            return None
        file = self.path / (fullname.split(".", 1)[1] + ".py")
        if not file.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, str(file), loader=_PrologueLoader(fullname, str(file)))


def install_reference_finder(alias: str, path: Path) -> None:
    if not any(isinstance(f, ReferenceFinder) and f.alias == alias for f in sys.meta_path):
        sys.meta_path.insert(0, ReferenceFinder(alias, path))


# What `ref.get` returns for a reference function while snapshots are replayed or recorded, and the
# module of the classes a replay stands in for the reference's (grading/snapshots/classes.py).
_SNAPSHOT_WRAPPERS = ("_ReplayedFunction", "_RecordedFunction")
REPLAYED_CLASSES = "tocha_snapshot"


def sanction(value) -> None:
    """A check's monkeypatch put `value` in place: if it is a reference function, the
    submission's code may call it during this check. Only a check's own frame sanctions, with no
    frame of the submission under it (that could be a check's helper the submission called)."""
    try:
        caller = _getframe(2)
        if nearest(caller) != "check" or student_on_stack(caller):
            return
        pair = reference_pair(value)
        if pair is not None:
            _C.sanctioned.add(pair)
    except Exception:
        pass


def reference_pair(value) -> tuple[str, str] | None:
    """(module, name) when `value` is a reference function or its replayed answers, else None."""
    try:
        module = getattr(value, "__module__", None) or ""
        name = getattr(value, "__name__", None)
        replayed = getattr(value, "_name", None)
        if isinstance(replayed, str) and "." in replayed and type(value).__name__ in _SNAPSHOT_WRAPPERS:
            return tuple(replayed.split(".", 1))
        if isinstance(name, str) and module.startswith(_C.ref_alias):
            return module.split(".")[-1], name
    except Exception:
        pass
    return None


def wrap_monkeypatch() -> None:
    """Make every `monkeypatch.setattr` of a check sanction the reference functions it swaps in."""
    import pytest

    from grading.pytest_private import MONKEYPATCH_NOTSET as notset

    MonkeyPatch = pytest.MonkeyPatch

    if getattr(MonkeyPatch.setattr, "_tocha", False):
        return
    original = MonkeyPatch.setattr

    def setattr(self, target, name=notset, value=notset, raising=True):
        sanction(name if value is notset else value)
        return original(self, target, name, value, raising)

    setattr._tocha = True
    setattr.__doc__ = original.__doc__
    MonkeyPatch.setattr = setattr


# ---------------------------------------------------------------- the audit hook

def _forbidden(path) -> str | None:
    if isinstance(path, int) or path is None:
        return None
    try:
        text = _fspath(path)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        real = _realpath(text)
    except (TypeError, ValueError, OSError):
        return None
    if real.startswith(_C.allowed):
        return None
    for prefix in _C.forbidden:
        if real.startswith(prefix) or real + os.sep == prefix:
            return real
    return None


def _shown(real: str) -> str:
    for prefix in _C.forbidden:
        if real.startswith(prefix):
            return str(Path(prefix).name) + "/" + real[len(prefix):]
    return Path(real).name


_OWN_MEMORY = ("mem", "pagemap", "map_files")  # /proc/<pid>/...: the process's memory, raw


def _raw_memory(path) -> str | None:
    try:
        text = _fspath(path)
        parts = (os.fsdecode(text) if isinstance(text, bytes) else text).split("/")
    except (TypeError, ValueError):
        return None
    return "/".join(parts[-2:]) if len(parts) >= 4 and parts[1] == "proc" and parts[3] in _OWN_MEMORY else None


def _file_event(event, args):
    raw = _raw_memory(args[0]) if args and not isinstance(args[0], int) and args[0] is not None else None
    if raw is not None and student_on_stack(_getframe(2)):  # a way to write any object, as ctypes is
        raise _caught("memory", raw)
    real = _forbidden(args[0]) if args else None
    if real is None and event in ("os.link", "os.rename") and len(args) > 1:
        real = _forbidden(args[1])
    # Whose read it is: the nearest frame of the submission, the reference or a check. The
    # reference's own code, called through a check's swap, may read its file (a warning it raises
    # shows its source line through linecache).
    if real is not None and nearest(_getframe(2)) == "student":
        raise _caught("files", _shown(real))


def _process_event(event, args):
    if student_on_stack(_getframe(2)):
        raise Refused("process", event)


def _kill_event(event, args):
    pid = args[0] if args else 0
    if isinstance(pid, int) and pid not in (0, os.getpid()) and student_on_stack(_getframe(2)):
        raise Refused("process", f"{event}({pid})")


def _gc_event(event, args):
    if student_on_stack(_getframe(2)):
        raise _caught("memory", event)


# A frame object reached through a traceback or a generator. Python 3.11 raises no audit event for
# f_back, so any frame the submission holds is the way up to the checks' frames and their
# variables. What counts is who receives the frame: inspect's functions hand frames to their
# caller (stack, trace, currentframe, getinnerframes), and so do traceback's generators
# (walk_stack, walk_tb) to whoever iterates them; traceback's other functions only turn frames into
# text (format_exc, print_exc, extract_stack), which a correct submission may call.
_FRAME_ATTRS = frozenset(("tb_frame", "gi_frame", "cr_frame", "ag_frame"))
_CODE_ATTRS = frozenset(("__code__", "gi_code", "cr_code", "ag_code"))
_WATCHED_ATTRS = _FRAME_ATTRS | _CODE_ATTRS  # the object.__getattr__ events the hook looks at
_CO_GENERATOR = 0x20


def _hands_frames_over(frame) -> bool:
    name = frame.f_code.co_filename
    return name.endswith(os.sep + "inspect.py") or (
        name.endswith(os.sep + "traceback.py") and bool(frame.f_code.co_flags & _CO_GENERATOR))


def _asked_by_student(frame) -> bool:
    """The frame (or the frames inspect and traceback's walkers hand over) goes to the submission."""
    while frame is not None and _hands_frames_over(frame):
        frame = frame.f_back
    return frame is not None and _kind_of(frame) == "student"


def _frame_event(event, args):
    what = args[1] if event == "object.__getattr__" else event
    if what in _CODE_ATTRS:
        _code_event(event, args)
    elif _asked_by_student(_getframe(2)):
        raise _caught("frames", what)


def _code_event(event, args):
    """The reference's code objects stay out of the submission's hands: a function made from one,
    with globals of its own, would run the reference without the guard at its top."""
    if event == "object.__getattr__":
        try:
            code = object.__getattribute__(args[0], args[1])
        except Exception:
            return
    else:  # function.__new__ and exec take the code object first
        code = args[0] if args else None
    if id(code) in _REFERENCE_CODE and student_on_stack(_getframe(2)):
        what = getattr(code, "co_name", "?")
        raise _caught("reference", what)


_REWRITABLE = frozenset({"__code__", "__defaults__", "__kwdefaults__"})


def _rewrite_event(event, args):
    """A function's code or defaults replaced by the submission's own code: it may do that to its
    own functions only (the guard compares names, not what a function object runs)."""
    if not _asked_by_student(_getframe(2)):  # the one that assigns (libraries set a lambda's defaults while importing)
        return
    try:
        code = object.__getattribute__(args[0], "__code__")
        mine = _kind_of_file(code.co_filename) == "student"
    except Exception:
        mine = False
    if not mine:
        what = f"{getattr(args[0], '__qualname__', '?')}.{args[1]}"
        raise _caught("rewrite", what)


def _compile_event(event, args):
    """Code the submission makes may not carry the name of a reference or check file (the guard
    tells whose a frame is by its file), nor come from marshal's bytes, where the name is unseen."""
    if event == "marshal.loads":
        if _asked_by_student(_getframe(2)):
            raise _caught("rewrite", "marshal.loads")
        return
    filename = args[1] if len(args) > 1 else None
    if isinstance(filename, bytes):
        filename = os.fsdecode(filename)
    if not isinstance(filename, str) or _kind_of_file(filename) not in ("ref", "check"):
        return
    if student_on_stack(_getframe(2)):
        what = f"code named after {Path(filename).name}"
        raise _caught("rewrite", what)


def _trace_event(event, args):
    """A trace or profile function receives every frame (the checks' too, and what the reference
    returns): not while the submission runs."""
    if student_on_stack(_getframe(2)):
        raise Refused("tracing", event)


def _ctypes_event(event, args):
    frame = _getframe(2)
    while frame is not None and os.sep + "ctypes" + os.sep in frame.f_code.co_filename:
        frame = frame.f_back
    if frame is not None and _kind_of(frame) == "student":
        raise Refused("native", event)


# Modules that call C functions by name, as ctypes does, but raise no audit event of their own.
_NATIVE_MODULES = frozenset({"cffi", "_cffi_backend"})


def _import_event(event, args):
    name = args[0] if args and isinstance(args[0], str) else ""
    if name.split(".", 1)[0] in _NATIVE_MODULES and student_on_stack(_getframe(2)):
        raise Refused("native", f"import {name}")


_EVENTS = {
    "open": _file_event, "os.link": _file_event, "os.rename": _file_event, "os.remove": _file_event,
    "os.rmdir": _file_event, "os.truncate": _file_event, "shutil.rmtree": _file_event, "os.chmod": _file_event,
    "os.fork": _process_event, "os.forkpty": _process_event, "os.system": _process_event,
    "os.exec": _process_event, "os.posix_spawn": _process_event, "os.spawn": _process_event,
    "subprocess.Popen": _process_event, "pty.spawn": _process_event, "os.startfile": _process_event,
    "_posixsubprocess.fork_exec": _process_event, "_thread.start_new_thread": _process_event,
    "os.kill": _kill_event, "os.killpg": _kill_event, "signal.pthread_kill": _kill_event,
    "gc.get_objects": _gc_event, "gc.get_referrers": _gc_event, "gc.get_referents": _gc_event,
    "sys._getframe": _frame_event, "sys._current_frames": _frame_event, "object.__getattr__": _frame_event,
    "object.__setattr__": _rewrite_event, "compile": _compile_event, "code.__new__": _compile_event,
    "marshal.loads": _compile_event,
    "function.__new__": _code_event, "exec": _code_event, "sys.settrace": _trace_event,
    "sys.setprofile": _trace_event, "sys.monitoring.register_callback": _trace_event,
    "ctypes.dlopen": _ctypes_event, "ctypes.dlsym": _ctypes_event, "ctypes.call_function": _ctypes_event,
    "ctypes.cdata": _ctypes_event, "ctypes.string_at": _ctypes_event, "ctypes.wstring_at": _ctypes_event,
    "ctypes.addressof": _ctypes_event, "ctypes.set_errno": _ctypes_event, "import": _import_event,
}


_BUSY: set = set()  # threads inside the hook (its own sys._getframe raises events too)


def _audit(event, args):
    handler = _EVENTS.get(event)
    if handler is None or _C.impl_root is None:
        return
    if event == "object.__getattr__" and (len(args) < 2 or args[1] not in _WATCHED_ATTRS):
        return
    if event == "object.__setattr__" and (len(args) < 2 or args[1] not in _REWRITABLE):
        return
    ident = _get_ident()
    if ident in _BUSY:
        return
    _BUSY.add(ident)
    try:
        handler(event, args)
    finally:
        _BUSY.discard(ident)


def install_audit_hook() -> None:
    """In a worker only (an audit hook cannot be removed)."""
    sys.addaudithook(_audit)
    _wrap_thread_start()
    _wrap_fork_exec()
    _wrap_signal_handlers()


def _wrap_fork_exec() -> None:
    """multiprocessing's "spawn" and "forkserver" start processes through
    _posixsubprocess.fork_exec, which raises no audit event in Python 3.11."""
    try:
        import _posixsubprocess
    except ImportError:
        return
    original = _posixsubprocess.fork_exec
    if getattr(original, "_tocha", False):
        return

    def fork_exec(*args, **kwargs):
        if student_on_stack(_getframe(1)):
            raise Refused("process", "_posixsubprocess.fork_exec")
        return original(*args, **kwargs)

    fork_exec._tocha = True
    _posixsubprocess.fork_exec = fork_exec


def _wrap_signal_handlers() -> None:
    """A Python signal handler is given the frame the signal interrupted, which may be a check's
    (a timer the submission starts fires after it has returned): a handler the submission installs
    gets None in its place. Python 3.11 raises no audit event for signal.signal."""
    import signal

    original = signal.signal
    if getattr(original, "_tocha", False):
        return

    def install(signalnum, handler):
        if callable(handler) and student_on_stack(_getframe(1)):
            def without_frame(signum, frame, _handler=handler):
                return _handler(signum, None)
            return original(signalnum, without_frame)
        return original(signalnum, handler)

    install._tocha = True
    install.__doc__ = original.__doc__
    signal.signal = install


def _wrap_thread_start() -> None:
    """Threads started while the submission runs are the submission's: a reference call from
    one of them is cheating (Python 3.11 has no audit event for starting a thread)."""
    import _thread

    for owner in (_thread, threading):
        attr = "start_new_thread" if owner is _thread else "_start_new_thread"
        original = getattr(owner, attr, None)
        if original is None or getattr(original, "_tocha", False):
            continue

        def start(function, args=(), kwargs=None, *rest, _original=original):
            if student_on_stack(_getframe(1)):
                def run(*a, **k):
                    _C.student_threads.add(_get_ident())
                    return function(*a, **k)
                return _original(run, args, kwargs or {}, *rest)
            return _original(function, args, kwargs or {}, *rest)

        start._tocha = True
        setattr(owner, attr, start)


# ---------------------------------------------------------------- memory

def _vm_data() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def limit_memory(gib: float | None) -> None:
    """Let the worker's private data grow by at most `gib` GiB (RLIMIT_DATA: address space that
    is only reserved, as torch and CUDA do by the terabyte, is not counted; 0 or None: no limit)."""
    if not gib or gib <= 0:
        return
    try:
        import resource
    except ImportError:
        return
    used = _vm_data()
    if used is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = used + int(gib * 2**30)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
        _C.memory_limit = f"{gib:g} GiB"
    except (ValueError, OSError):
        pass


_OOM_WORDS = ("can't allocate memory", "Cannot allocate memory", "out of memory", "not enough memory")


def memory_verdict(exc: BaseException) -> Text | None:
    """The hint for an exception that says memory ran out (None when it is something else)."""
    if isinstance(exc, MemoryError):
        what = f"MemoryError {exc}".strip()
    elif isinstance(exc, RuntimeError):
        try:
            text = str(exc)
        except Exception:
            return None
        if not any(w in text for w in _OOM_WORDS):
            return None
        what = text.splitlines()[0][:160] if text else "RuntimeError"
    else:
        return None
    return MEMORY.format(what=what, limit=_C.memory_limit or MACHINE_MEMORY)
