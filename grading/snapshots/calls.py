"""Snapshots: the reference's answers, recorded, so that the checks run without solutions/.

Public API
----------
* Record: `tocha snapshot` (grading/snapshots/command.py) runs every check file against the solutions and,
  unless told `--no-mutants`, against every submission in tests/submissions/ (their wrong turns
  make the checks ask the reference more questions: the diagnostics behind the hints), with the
  pytest option `--record-snapshots DIR`; the fragments are merged into one file per check
  module, `checks/snapshots/<module>.pt`, committed with the checks (and the recording runs'
  live verdicts into tests/snapshot_verdicts.json, kit only). `tocha snapshot --check` (or
  `grading.snapshots.command.stale(kit)`) names a file that is missing or was recorded from another
  version of its check file or of the solutions it used. Recording is for `--seed-offset 0` on
  the CPU.
* Replay: the plugin's `--reference` (default "solutions") names the reference. "solutions"
  means the kit's solutions/ folder when it exists, else the snapshots; "snapshots" forces them;
  any other value is a folder of reference modules. Replay runs on the CPU at seed offset 0 and
  says so (a usage error) when asked for anything else.
* In a check nothing changes: the `ref` fixture is a SnapshotRoot (or, while recording, a
  RecordingRoot) with the ImplementationRoot methods the checks use (`get`, `module`, `path`),
  and `reference(name)` goes through it.

How a call is replayed
----------------------
A reference function's call is recorded under its check (module::test name) and a fingerprint
of its arguments, bound to the signature (values, gradients, modules' weights and modes,
optimizers' state, loaders' data). The record holds the result, what the call changed in its
arguments (tensors, modules, optimizers, generators), in the random generators, the environment
and torch's settings, what it did to arguments that watch it (method calls on opaque objects such
as a SummaryWriter's add_scalar, calls of a loss that records its values, calls of a module that
carries a check's hook), and, for a result that is differentiable in the arguments, its Jacobian
(replay returns a tensor whose backward is the exact vector-Jacobian product). The random state
is an input only when the call's result depends on it (found by re-running the call from another
random state on copies). Reference classes are blueprints (grading/snapshots/classes.py): replay builds
and runs real modules.

A call whose fingerprint was never recorded cannot be answered. If the files are stale that is
the kit's error (status "error", "run tocha snapshot"). A reference function that a check
swapped into the submission (so that an item is graded on its own) and that the submission's
own code calls with arguments never recorded falls back to the submission's function of that
name. Otherwise the submission made the reference see something a correct solution never shows
it: status "failed", with the argument that differs named. Student code cannot hide that
verdict: it is noted outside the exception.

A check's diagnostic calls (the reference asked again, with other arguments, only to name the
mistake in the hint of a check that already failed) run under `hint_only()` (or `for_hint`, grading/hints.py):
there a call never recorded raises HintUnavailable, which the check answers with its generic
hint; the verdict stays the check's own. Live and while recording they simply run (recording the
submissions in tests/submissions/ records the diagnostics their mistakes ask for).

Recording also runs the submissions in tests/submissions/, so the reference's answers behind
their hints are there too; the kit's tests/test_snapshots.py shows each of them gets the live
status and hint, word for word, from the snapshots.

The pieces: grading/snapshots/codec.py (values as plain data, fingerprints), grading/snapshots/effects.py
(what a call does besides returning), grading/snapshots/classes.py (model classes), grading/snapshots/command.py
(`tocha snapshot`).

What the snapshot reveals: the reference's outputs for the checks' fixed inputs, and the forward
computation of the reference models as torch operations (as the hints do). No solution source.
"""
from __future__ import annotations

import hashlib
import io
import math
import os
import random
import sys
import types
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn

from grading import hints
from grading.sandbox import containment
from grading.snapshots import classes as snapclass
from grading.snapshots import codec
from grading.snapshots import effects as snapeffects
from grading.text import Text
from grading.verdict import CheckFailed

FORMAT = 2  # 2: calls carry their arguments' structure and numbers (replay within tolerance)
FOLDER = "snapshots"
JACOBIAN_LIMIT = 2_000_000   # output elements x input elements kept for one result

MISMATCH = Text(
    "this check compares your code with the reference's recorded answers, and it needed the answer for a call "
    "that a correct solution never makes: {call}, {diff}. Look at what your code passes to {name}, or changes "
    "before it is called.",
    "esta verificação compara seu código com as respostas gravadas da referência, e precisou da resposta para "
    "uma chamada que uma solução correta nunca faz: {call}, {diff}. Veja o que seu código passa para {name}, "
    "ou o que ele muda antes dessa chamada.",
)
DIFF_ARG = Text("argument `{arg}` is {now} where the recorded run had {was}",
                "o argumento `{arg}` é {now} onde a execução gravada tinha {was}")
DIFF_VALUES = Text("argument `{arg}` ({now}) holds other values than in the recorded run",
                   "o argumento `{arg}` ({now}) tem outros valores que na execução gravada")
DIFF_RNG = Text("the random number generator was in another state (a correct solution draws other random numbers "
                "before this call)",
                "o gerador de números aleatórios estava em outro estado (uma solução correta sorteia outros números "
                "antes dessa chamada)")
# Arguments this close to a recorded call (in units of the tolerance) but not within it may come
# from a correct submission on a machine that rounds otherwise: the kit cannot tell, so it says so
# ("error", no points) rather than blame the student.
NEAR_MISS = 100.0
CANNOT_ANSWER = Text(
    "the recorded reference answers cannot judge this check on this machine: {call} was called with arguments "
    "close to, but not within the tolerance of, the recorded ones. This is the kit's limit, not necessarily your "
    "mistake: ask your teacher to grade it with the live reference (pytest checks --reference PATH).",
    "as respostas gravadas da referência não conseguem julgar esta verificação nesta máquina: {call} foi chamada "
    "com argumentos próximos dos gravados, mas fora da tolerância. É um limite do kit, não necessariamente um erro "
    "seu: peça ao seu professor que avalie com a referência ao vivo (pytest checks --reference PASTA).",
)
DIFF_NONE = Text("never made with these arguments in the recorded run", "nunca feita com esses argumentos na execução gravada")
STALE = Text(
    "the reference's recorded answers ({file}) do not match this check file or the solutions they were recorded "
    "from: the teacher must run `tocha snapshot`.",
    "as respostas gravadas da referência ({file}) não correspondem a este arquivo de verificações ou às soluções "
    "de onde vieram: o professor precisa rodar `tocha snapshot`.",
)
MISSING = Text(
    "there are no recorded reference answers ({file}) and no solutions/ folder: the teacher must run `tocha snapshot`.",
    "não há respostas gravadas da referência ({file}) nem pasta solutions/: o professor precisa rodar `tocha snapshot`.",
)
UNRECORDED_NAME = Text(
    "the recorded reference answers hold nothing for {name}: the teacher must run `tocha snapshot`.",
    "as respostas gravadas da referência não têm nada para {name}: o professor precisa rodar `tocha snapshot`.",
)
NO_GRADIENT = Text(
    "the recorded answer of {name} cannot be differentiated (its Jacobian was too large to record).",
    "a resposta gravada de {name} não pode ser derivada (seu jacobiano era grande demais para gravar).",
)


OTHER_VERSIONS = Text(
    "Note: the reference's answers were recorded with {recorded}; this machine has {here}. Tolerances cover "
    "rounding differences, but if a check fails where you are sure your code is right, tell your teacher.",
    "Nota: as respostas da referência foram gravadas com {recorded}; esta máquina tem {here}. As tolerâncias "
    "cobrem diferenças de arredondamento, mas se uma verificação falhar onde você tem certeza de que seu código "
    "está certo, avise seu professor.",
)
LIBRARIES = ("torch", "numpy", "scikit-learn")  # what computes the values the checks compare


def library_versions() -> dict[str, str]:
    """The versions of the libraries whose numbers a verdict rests on (local build tags dropped)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name).split("+")[0]
        except PackageNotFoundError:
            pass
    return out


def version_note(check_folder: Path) -> Text | None:
    """One line for a replay on other library versions than the recording (None when they are the same)."""
    files = sorted((Path(check_folder) / FOLDER).glob("*.pt"))
    if not files:
        return None
    recorded = torch.load(files[0], weights_only=True)["header"].get("versions", {})
    here = library_versions()
    differ = [name for name in LIBRARIES if name in recorded and recorded[name] != here.get(name)]
    if not differ:
        return None
    return OTHER_VERSIONS.format(recorded=", ".join(f"{n} {recorded[n]}" for n in differ),
                                 here=", ".join(f"{n} {here.get(n, '-')}" for n in differ))


# ---------------------------------------------------------------- the running check

__unwatched__ = ("_Current",)  # rewritten before and during every check (grading/sandbox/writes.py)


class _Current:
    node: str | None = None
    module: str | None = None
    folder: Path | None = None
    counts: Counter = Counter()
    problem: tuple[str, Text] | None = None


def begin_check(node: str, check_file: Path) -> None:
    """Called by the plugin before every check (node = 'module::test name')."""
    _Current.node, _Current.module = node, node.split("::")[0]
    _Current.folder = Path(check_file).resolve().parent / FOLDER
    _Current.counts = Counter()
    _Current.problem = None
    hints.reset()


def take_problem(exc: BaseException | None = None) -> tuple[str, Text] | None:
    """The verdict a replay noted during this check (a student's code cannot swallow it), or the
    one `exc` carries when it came from a replay (a submission may raise it again later)."""
    problem, _Current.problem = _Current.problem, None
    return problem or getattr(exc, "_tocha_snapshot", None)


def _raise(status: str, message: Text):
    if _Current.problem is None:
        _Current.problem = (status, message)
    error = CheckFailed(message, status)
    error._tocha_snapshot = (status, message)
    raise error


def path_for(folder: Path, module: str) -> Path:
    return Path(folder) / f"{module}.pt"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def describe_path(path: str) -> str:
    """'/model' -> 'model', '/params/2' -> 'params[2]'."""
    parts = [p for p in path.split("/") if p] or ["?"]
    return parts[0] + "".join(f"[{r}]" for r in parts[1:])


# ---------------------------------------------------------------- Jacobians

class _Linearized(torch.autograd.Function):
    """A recorded result whose backward is the recorded Jacobian: exact first-order gradients."""

    @staticmethod
    def forward(ctx, value, jacobians, *inputs):
        ctx.jacobians = jacobians
        ctx.shapes = [(t.shape, t.dtype) for t in inputs]
        return value.clone()

    @staticmethod
    def backward(ctx, grad):
        flat = grad.reshape(-1)
        out = []
        for jac, (shape, dtype) in zip(ctx.jacobians, ctx.shapes):
            out.append(None if jac is None else (flat.to(jac.dtype) @ jac.to(flat.device)).reshape(shape).to(dtype))
        return (None, None, *out)


class _NoGradient(torch.autograd.Function):
    """A recorded result too large to have its Jacobian kept: backward through it is the kit's error."""

    @staticmethod
    def forward(ctx, value, name, *inputs):
        ctx.name = name
        return value.clone()

    @staticmethod
    def backward(ctx, grad):
        _raise("error", NO_GRADIENT.format(name=ctx.name))


def _jacobians(result, inputs: list[tuple[int, torch.Tensor]]) -> list:
    out = []
    wanted = [(i, t) for i, (_, t) in enumerate(codec.flatten(result))
              if isinstance(t, torch.Tensor) and t.requires_grad and t.grad_fn is not None]
    total_in = sum(t.numel() for _, t in inputs)
    for index, tensor in wanted:
        if not inputs or tensor.numel() * total_in > JACOBIAN_LIMIT:
            out.append({"out": index, "ins": [], "jac": None})
            continue
        rows: list[list] = [[] for _ in inputs]
        flat = tensor.reshape(-1)
        for k in range(flat.numel()):
            grads = torch.autograd.grad(flat[k], [t for _, t in inputs], retain_graph=True, allow_unused=True)
            for j, g in enumerate(grads):
                rows[j].append(None if g is None else g.detach().reshape(-1).cpu())
        jac = [None if any(r is None for r in rj) else torch.stack(rj) for rj in rows]
        out.append({"out": index, "ins": [i for i, _ in inputs], "jac": jac})
    return out


def _attach(result, jacobians: list, leaves: list, name: str):
    if not jacobians:
        return result
    by_index = {entry["out"]: entry for entry in jacobians}
    counter = iter(range(10**9))

    def swap(value):
        index = next(counter)
        entry = by_index.get(index)
        if entry is None:
            return value
        if entry["jac"] is None:
            inputs = [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]
            return _NoGradient.apply(value.detach(), name, *inputs) if inputs else value
        inputs = [leaves[i] for i in entry["ins"]]
        return _Linearized.apply(value.detach(), entry["jac"], *inputs)

    return snapeffects.rebuild(result, swap)


# ---------------------------------------------------------------- recording

class Recorder:
    """Everything one process records; flushed to fragment files after each check."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.calls: dict[str, list] = {}
        self.names: dict[str, dict] = {}
        self.classes: dict[str, snapclass.BlueprintRecorder] = {}
        self.sequence = 0

    def flush(self) -> None:
        module = _Current.module
        if module is None:
            return
        classes = {k: b.data for k, b in self.classes.items()}
        if not (self.calls or self.names or classes):
            return
        target = self.folder / module
        target.mkdir(parents=True, exist_ok=True)
        self.sequence += 1
        payload = {"calls": self.calls, "names": self.names, "classes": classes}
        torch.save(payload, target / f"{os.getpid()}-{self.sequence}.pt")
        self.calls = {}


def _arg_fps(flat) -> list:
    return [[path, codec.fingerprint(obj), codec.describe(obj)] for path, obj in flat]


def _call_fp(arg_fps, extra=None) -> str:
    return codec.fingerprint([[p, f] for p, f, _ in arg_fps] + [extra])


def _call_shape(flat, context: list) -> tuple[str, list]:
    """The call as `codec.shape_print` sees it: a digest without the floating-point numbers of the
    arguments, and those numbers, for a replay within tolerance."""
    parts, numbers = [], []
    for path, obj in flat:
        digest, values = codec.shape_print(obj)
        parts.append([path, digest])
        numbers.extend(values)
    return codec.fingerprint(parts + [context]), numbers


def _structure(module: nn.Module) -> str:
    """A module seen without its weights (for methods replayed by value)."""
    parts = [type(module).__name__]
    for name, m in list(module.named_modules())[1:]:
        parts.append(f"{name}:{codec.qualname(m)}:{m.training}")
    for name, p in module.named_parameters():
        parts.append(f"{name}:{tuple(p.shape)}:{p.dtype}:{p.requires_grad}")
    for key, value in sorted(module.__dict__.items()):
        if not key.startswith("_") and codec._is_simple(value):
            parts.append(f"{key}={value!r}")
    return "\n".join(parts)


def _accelerators() -> tuple[bool, bool]:
    """What a reference may ask about the machine (get_device does): CUDA and MPS available, as
    torch answers now (a check may pretend another machine). Part of every call's fingerprint, so
    a release on a CUDA machine gets the answer recorded for a CUDA machine."""
    mps = getattr(torch.backends, "mps", None)
    return bool(torch.cuda.is_available()), bool(mps is not None and mps.is_available())


CPU_ONLY = (False, False)


def _context(owner=None, accelerators=None) -> list:
    """What a call's answer depends on besides its arguments: the machine, and for a method the
    model it is called on (seen without its weights)."""
    return [_structure(owner) if owner is not None else None, accelerators or _accelerators()]


def _contexts(owner=None) -> list[list]:
    """The contexts a replay looks under, in order: this machine, then a machine without
    accelerators (snapshots are recorded on one: only a check that pretends records others)."""
    here = _context(owner)
    return [here] if here[1] == CPU_ONLY else [here, _context(owner, CPU_ONLY)]


def _leaves_refs(flat, owner=None) -> codec.Refs:
    refs = codec.Refs()
    for i, (_, obj) in enumerate(flat):
        if not isinstance(obj, codec._SIMPLE):
            refs.add_module(f"a{i}", obj) if isinstance(obj, nn.Module) else refs.add(f"a{i}", obj)
    if owner is not None:
        refs.add_module("self", owner)
    return refs


def record_call(recorder: Recorder, name: str, fn, args: tuple, kwargs: dict, signature, owner=None):
    """Call the real reference `fn` and record what a replay needs (see the module docstring)."""
    flat = codec.flatten(snapclass.bind(signature, args, kwargs))
    refs = _leaves_refs(flat, owner)
    fps = _arg_fps(flat)
    context = _context(owner)
    call = _call_fp(fps, context)
    shape, numbers = _call_shape(flat, context)
    kinds = [snapeffects.kind_of(obj) for _, obj in flat]
    probe = snapeffects.probe_copy(args, kwargs)
    before = snapeffects.capture_globals()
    log = snapeffects.CallLog([(i, obj) for i, ((_, obj), k) in enumerate(zip(flat, kinds)) if k == "opaque"],
                   [(i, obj) for i, ((_, obj), k) in enumerate(zip(flat, kinds)) if k == "module"])
    error = None
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - recorded, then raised again
        error, result = exc, None
    finally:
        log.remove()
    after = snapeffects.capture_globals()
    effects = []
    for i, ((_, obj), kind) in enumerate(zip(flat, kinds)):
        if kind not in ("plain", "opaque") and codec.fingerprint(obj) != fps[i][1]:
            effects.append([i, kind, snapeffects.post_state(obj, kind)])
    changed = snapeffects.changed_rngs(before["rng"], after["rng"])
    entry = {"node": _Current.node, "fp": call, "args": fps, "shape": shape, "numbers": numbers,
             "occ": _Current.counts[(name, call)], "effects": effects, "globals": snapeffects.global_effects(before, after),
             "rng_pre": snapeffects.rng_digest(before["rng"], changed), "rng_out": {k: snapeffects.encode_rng(k, after["rng"][k]) for k in changed},
             "rng_in": None, "rng_set": False, "log": log.calls, "broken": log.broken, "jac": []}
    _Current.counts[(name, call)] += 1
    if isinstance(error, CheckFailed):
        entry["error"] = ["CheckFailed", error.message.as_dict(), error.status]
    elif error is not None:
        entry["error"] = [type(error).__name__, str(error)[:500]]
    else:
        try:
            entry["result"] = codec.encode(result, refs)
        except codec.Unsupported as exc:
            entry["broken"] = f"result: {exc}"
        tensors = [(i, obj) for i, (_, obj) in enumerate(flat)
                   if isinstance(obj, torch.Tensor) and obj.requires_grad and obj.is_floating_point()]
        entry["jac"] = _jacobians(result, tensors)
    if changed:
        depends, sets = _rng_dependence(fn, probe, result, flat, kinds, after, error, changed)
        entry["rng_in"] = entry["rng_pre"] if depends else None
        entry["rng_set"] = sets
    entry["digest"] = codec.fingerprint(repr({k: entry.get(k) for k in ("result", "error", "effects", "log")}))
    recorder.calls.setdefault(name, []).append(entry)
    if error is not None:
        raise error
    return result


def _rng_dependence(fn, probe, result, flat, kinds, after, error, changed) -> tuple[bool, bool]:
    """(does the outcome depend on the random state, does the call set it regardless)."""
    if probe is None or error is not None:
        return True, False
    p_args, p_kwargs = probe
    p_flat = codec.flatten((p_args, p_kwargs))
    try:
        torch.manual_seed(2_147_483_629)
        random.seed(2_147_483_629)
        np.random.seed(2_147_483)
        again = fn(*p_args, **p_kwargs)
        probe_rng = snapeffects.rng_states()
        same_result = codec.fingerprint(again) == codec.fingerprint(result)
        same_effects = all(codec.fingerprint(p) == codec.fingerprint(o) for (_, p), (_, o), k
                           in zip(p_flat, flat, kinds) if k not in ("plain", "opaque"))
        sets = not set(snapeffects.changed_rngs(probe_rng, after["rng"])) & set(changed)
        return not (same_result and same_effects), sets
    except Exception:  # noqa: BLE001
        return True, False
    finally:
        for name, value in after["rng"].items():
            snapeffects.set_rng(name, snapeffects.encode_rng(name, value))
        snapeffects.apply_globals({"env": {k: after["env"].get(k) for k in set(os.environ) | set(after["env"])
                                if os.environ.get(k) != after["env"].get(k)},
                        "settings": {k: codec._plain(v) for k, v in after["settings"].items()}})


class _RecordedFunction:
    def __init__(self, recorder, name, fn, signature):
        self._recorder, self._name, self._fn = recorder, name, fn
        self._signature = snapclass._signature(signature)
        self.__name__ = getattr(fn, "__name__", name)
        self.__qualname__ = getattr(fn, "__qualname__", name)
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        return record_call(self._recorder, self._name, self._fn, args, kwargs, self._signature)


class _Namespace:
    """A module as the checks see it through `ref.module(name)`."""

    def __init__(self, root, module):
        self._root, self._module = root, module

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._root.get_attr(self._module, name)


class RecordingRoot:
    """The live reference (an ImplementationRoot) whose answers are recorded."""

    def __init__(self, real, folder: Path):
        self.real = real
        self.path = real.path
        self.role = real.role
        self.recorder = Recorder(folder)
        self._wrapped: dict = {}
        self._classes: dict = {}
        self._namespaces: dict = {}

    def module(self, name: str):
        self.real.module(name)
        return self._namespaces.setdefault(name, _Namespace(self, name))

    def get(self, module: str, name: str):
        self.real.get(module, name)  # a missing name fails as it does live
        return self.get_attr(module, name)

    def get_attr(self, module: str, name: str):
        key = (module, name)
        if key in self._wrapped:
            return self._wrapped[key]
        obj = getattr(self.real.module(module), name)
        names = self.recorder.names.setdefault(module, {})
        defined = snapclass.reference_class_name(obj, self.real.alias)
        if defined is not None:
            if defined not in self.recorder.classes:
                blueprint = snapclass.BlueprintRecorder(obj, self._method_values(defined))
                self.recorder.classes[defined] = blueprint
                self._classes[defined] = blueprint.recording_class()
            wrapped = self._classes[defined]
            names[name] = {"kind": "class", "class": defined}
        elif isinstance(obj, types.FunctionType):
            signature = snapclass.signature_of(obj, skip_first=False)
            wrapped = _RecordedFunction(self.recorder, f"{module}.{name}", obj, signature)
            names[name] = {"kind": "function", "signature": signature}
        else:
            names[name] = {"kind": "value", "value": codec.encode(obj)}
            wrapped = obj
        self._wrapped[key] = wrapped
        return wrapped

    def _method_values(self, class_name):
        def answer(instance, method, bound, args, kwargs, signature):
            return record_call(self.recorder, f"{class_name}.{method}", bound, args, kwargs, signature, owner=instance)
        return answer


# ---------------------------------------------------------------- replay

class Store:
    """One check module's snapshot file, indexed."""

    def __init__(self, path: Path, check_file: Path | None, answers: dict | None = None):
        self.path = path
        data = torch.load(io.BytesIO(containment.secret_bytes(path, answers)), weights_only=True)
        self.header = data["header"]
        self.names = data["names"]
        self.classes = data["classes"]
        self.calls = data["calls"]
        self.stale = check_file is not None and self.header["check_sha256"] != sha256(check_file)

    def candidates(self, name: str, call: str, node: str) -> list:
        entries = [e for e in self.calls.get(name, []) if e["fp"] == call]
        here = [e for e in entries if e["node"] == node]
        return here or entries

    def nearest(self, name: str, shape: str, numbers: list, node: str, usable) -> tuple[str | None, list, float]:
        """(fingerprint, entries, distance) of the recorded call whose arguments are the closest to
        these (same structure, same random state where it matters; distance in units of the
        tolerance, see codec.within); the entries are empty when even the closest is not within
        tolerance. The arguments of a correct submission built on another machine differ from the
        recorded ones in the last bits."""
        pool = [e for e in self.calls.get(name, []) if e.get("shape") == shape and usable(e)]
        pool = [e for e in pool if e["node"] == node] or pool
        best, best_fp = math.inf, None
        for entry in pool:
            distance = codec.within(numbers, entry["numbers"])
            if distance < best:
                best, best_fp = distance, entry["fp"]
        if best > 1:
            return None, [], best
        return best_fp, [e for e in pool if e["fp"] == best_fp], best


def replay_call(store: Store, name: str, args: tuple, kwargs: dict, signature, owner=None):
    if owner is None:  # a recorded answer asked for by the submission is cheating (grading/sandbox/containment.py)

        module, _, function = name.rpartition(".")
        containment.guard_reference(module, function, sys._getframe(1))
    flat = codec.flatten(snapclass.bind(signature, args, kwargs))
    fps = _arg_fps(flat)
    states = snapeffects.rng_states()

    def fits_rng(e) -> bool:
        return e["rng_in"] is None or snapeffects.rng_digest(states, e["rng_in"]) == e["rng_in"]

    contexts = _contexts(owner)
    for context in contexts:  # the same arguments, exactly
        call = _call_fp(fps, context)
        entries = store.candidates(name, call, _Current.node)
        usable = [e for e in entries if fits_rng(e)]
        if usable:
            break
    distance = math.inf
    for context in contexts if not usable else ():  # arguments within tolerance
        shape, numbers = _call_shape(flat, context)
        near, usable, closest = store.nearest(name, shape, numbers, _Current.node, fits_rng)
        distance = min(distance, closest)
        if usable:
            call = near
            break
    occ = _Current.counts[(name, call)]
    _Current.counts[(name, call)] += 1
    if not usable:
        raise _NoAnswer(store, name, fps, rng=bool(entries), distance=distance)
    same_occ = [e for e in usable if e["occ"] == occ]
    entry = (same_occ or usable)[0 if same_occ else min(occ, len(usable) - 1)]
    if entry.get("broken"):
        _raise("error", Text(f"snapshot cannot replay {name}: {entry['broken']}",
                             f"o snapshot não consegue repetir {name}: {entry['broken']}"))
    # The watched calls first (a check's spy on the model sees the forward passes again; with
    # BatchNorm such a pass moves the running statistics), then the recorded state on top of them.
    snapeffects.replay_log(entry["log"], flat)
    for index, kind, state in entry["effects"]:
        snapeffects.apply_post(flat[index][1], kind, state)
    if entry["rng_set"] or (entry["rng_out"] and snapeffects.rng_digest(states, entry["rng_pre"]) == entry["rng_pre"]):
        for key, value in entry["rng_out"].items():
            snapeffects.set_rng(key, value)
    snapeffects.apply_globals(entry["globals"])
    if "error" in entry and entry["error"][0] == "CheckFailed":
        _, message, status = entry["error"]
        raise CheckFailed(Text(message["en"], message["pt-BR"]), status)
    if "error" in entry:
        import builtins

        kind, message = entry["error"]
        error = getattr(builtins, kind, None)
        if not (isinstance(error, type) and issubclass(error, Exception)):
            error = RuntimeError
        raise error(message)
    result = codec.decode(entry["result"], _leaves_refs(flat, owner))
    return _attach(result, entry["jac"], [obj for _, obj in flat], name)


class _NoAnswer(Exception):
    """No recorded answer fits this call; `verdict()` raises what the check reports."""

    def __init__(self, store, name, fps, rng, distance=math.inf):
        super().__init__(name)
        self.args_ = (store, name, fps, rng, distance)

    def verdict(self):
        if hints.active() and not self.args_[0].stale:
            raise hints.HintUnavailable(self.args_[1])
        _mismatch(*self.args_)


def _mismatch(store: Store, name: str, fps: list, rng: bool, distance: float = math.inf):
    if store.stale:
        _raise("error", STALE.format(file=store.path.name))
    short = name.split(".")[-1]
    shown = f"{short}({', '.join(d for _, _, d in fps[:4])}{', ...' if len(fps) > 4 else ''})"
    if distance <= NEAR_MISS:
        _raise("error", CANNOT_ANSWER.format(call=shown))
    if rng:
        _raise("failed", MISMATCH.format(call=shown, diff=DIFF_RNG, name=short))
    recorded = store.calls.get(name, [])
    near = [e for e in recorded if e["node"] == _Current.node] or recorded
    diff = DIFF_NONE
    for entry in near[:1]:
        for (path, fp, now), (rpath, rfp, was) in zip(fps, entry["args"]):
            if path == rpath and fp == rfp:
                continue
            arg = describe_path(path)
            diff = (DIFF_VALUES.format(arg=arg, now=now) if now == was
                    else DIFF_ARG.format(arg=arg, now=now, was=was))
            break
    _raise("failed", MISMATCH.format(call=shown, diff=diff, name=short))


class _ReplayedFunction:
    """A reference function answered from the snapshot. Called from the submission's own code
    (a helper the checks swapped into it) with arguments never recorded, it falls back to the
    submission's own function of that name: the closest a replay can come to the live answer."""

    def __init__(self, root, name, signature, fallback=None):
        self._root, self._name, self._fallback = root, name, fallback
        self._signature = snapclass._signature(signature)
        self.__name__ = self.__qualname__ = name.split(".")[-1]
        if self._signature is not None:
            self.__signature__ = self._signature

    def __call__(self, *args, **kwargs):
        try:
            return replay_call(self._root.store(), self._name, args, kwargs, self._signature)
        except _NoAnswer as missing:
            caller = sys._getframe(1).f_code.co_filename
            if self._fallback is not None and self._root.is_submission(caller):
                return self._fallback(*args, **kwargs)
            missing.verdict()


class SnapshotRoot:
    """The reference answered from checks/snapshots/ (one file per check module)."""

    def __init__(self, impl=None, label: str = "snapshots", answers: dict | None = None):
        self.path = Path(label)
        self.role = "ref"
        self.impl = impl
        self._answers = answers  # read ahead of hiding (grading/engine/isolation.py), handed over once
        self._stores: dict = {}
        self._objects: dict = {}
        self._namespaces: dict = {}

    def store(self) -> Store:
        module, folder = _Current.module, _Current.folder
        if module not in self._stores:
            path = path_for(folder, module)
            if not containment.secret_is_file(path, self._answers):
                _raise("error", MISSING.format(file=f"checks/{FOLDER}/{path.name}"))
            self._stores[module] = Store(path, folder.parent / f"test_{module}.py", self._answers)
        store = self._stores[module]
        if store.stale:
            _raise("error", STALE.format(file=f"checks/{FOLDER}/{path_for(folder, module).name}"))
        return store

    def module(self, name: str):
        self._names(name)
        return self._namespaces.setdefault((_Current.module, name), _Namespace(self, name))

    def get(self, module: str, name: str):
        return self.get_attr(module, name, strict=True)

    def _names(self, module):
        names = self.store().names.get(module)
        if names is None and hints.active():
            raise hints.HintUnavailable(module)
        if names is None:
            _raise("error", UNRECORDED_NAME.format(name=module))
        return names

    def get_attr(self, module: str, name: str, strict: bool = False):
        key = (_Current.module, module, name)
        if key in self._objects:
            return self._objects[key]
        info = self._names(module).get(name)
        if info is None:
            if strict and hints.active():
                raise hints.HintUnavailable(f"{module}.{name}")
            if strict:
                _raise("error", UNRECORDED_NAME.format(name=f"{module}.{name}"))
            raise AttributeError(name)
        if info["kind"] == "function":
            obj = _ReplayedFunction(self, f"{module}.{name}", info.get("signature"), self._own(module, name))
        elif info["kind"] == "class":
            obj = self._class(info["class"])
        else:
            obj = codec.decode(info["value"])
        self._objects[key] = obj
        return obj

    def _own(self, module: str, name: str):
        """The submission's own function of that name (not a replay swapped into it), if any."""
        if self.impl is None:
            return None
        try:
            own = getattr(self.impl.module(module), name, None)
        except CheckFailed:
            return None
        return own if isinstance(own, types.FunctionType) else None

    def is_submission(self, filename: str) -> bool:
        if self.impl is None:
            return False
        try:
            return Path(filename).resolve().is_relative_to(self.impl.path)
        except (OSError, ValueError):
            return False

    def _class(self, full):
        key = (_Current.module, full)
        if key in self._objects:
            return self._objects[key]
        name = full.split(".")[-1]
        blueprint = self.store().classes[full]

        def on_method(instance, method, args, kwargs, signature):
            try:
                return replay_call(self.store(), f"{full}.{method}", args, kwargs, signature, owner=instance)
            except _NoAnswer as missing:
                missing.verdict()

        def on_missing(what):
            if hints.active():
                raise hints.HintUnavailable(what)
            _raise("failed", MISMATCH.format(call=what, diff=DIFF_NONE, name=name))

        self._objects[key] = snapclass.make_class(name, blueprint, on_method, on_missing)
        return self._objects[key]


# ---------------------------------------------------------------- merging fragments

def merge(fragments: list[dict]) -> tuple[dict, dict]:
    """One module's recorded fragments as one snapshot body, and counts worth reporting."""
    names: dict = {}
    classes: dict = {}
    calls: dict = {}
    seen: dict = {}
    stats = Counter()
    for fragment in fragments:
        for module, entries in fragment["names"].items():
            names.setdefault(module, {}).update(entries)
        for full, data in fragment["classes"].items():
            if full not in classes:
                classes[full] = data
                continue
            into = classes[full]
            for part in ("instances", "graphs"):
                for key, value in data[part].items():
                    into[part].setdefault(key, value)
            for key, value in data["methods"].items():
                if into["methods"].get(key) in (None, "values") and value != "values":
                    into["methods"][key] = value
                else:
                    into["methods"].setdefault(key, value)
        for name, entries in fragment["calls"].items():
            for entry in entries:
                key = (name, entry["node"], entry["fp"], entry["occ"], repr(entry["rng_in"]))
                if key in seen:
                    stats["duplicates"] += 1
                    if seen[key] != entry["digest"]:
                        stats["conflicts"] += 1
                    continue
                seen[key] = entry["digest"]
                calls.setdefault(name, []).append(entry)
                stats["calls"] += 1
    return {"names": names, "classes": classes, "calls": calls}, stats
