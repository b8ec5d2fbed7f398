"""What a reference call does besides returning, for snapshots (grading/snapshots/calls.py).

A call can change its arguments (tensors, modules, optimizers, generators, loaders), the random
generators (torch, random, NumPy), the environment and torch's settings, and it can act on
arguments that watch it: method calls on opaque objects (a SummaryWriter), calls of a loss that
records its values, calls of a module carrying a check's hook. Recording captures all of that;
replay applies it to the live arguments. Also here: copies of the arguments for re-running a
call from another random state, so that the random state counts as an input only when the
result depends on it.
"""
from __future__ import annotations

import copy
import os
import random
import types

import numpy as np
import torch
from torch import nn

from grading.snapshots import codec


# ---------------------------------------------------------------- global state

def rng_states() -> dict:
    return {"torch": torch.get_rng_state(), "random": random.getstate(), "numpy": np.random.get_state()}


def rng_digest(states: dict, which) -> dict:
    out = {}
    for name in which:
        value = states[name]
        if name == "torch":
            out[name] = codec.fingerprint(value)
        elif name == "random":
            out[name] = codec.fingerprint(list(value[1]) + [value[0], value[2]])
        else:
            out[name] = codec.fingerprint([value[0], torch.from_numpy(value[1].astype(np.int64)), *value[2:]])
    return out


def changed_rngs(a: dict, b: dict) -> list[str]:
    out = []
    if not torch.equal(a["torch"], b["torch"]):
        out.append("torch")
    if a["random"] != b["random"]:
        out.append("random")
    if not (a["numpy"][0] == b["numpy"][0] and np.array_equal(a["numpy"][1], b["numpy"][1])
            and a["numpy"][2:] == b["numpy"][2:]):
        out.append("numpy")
    return out


def encode_rng(name: str, value):
    if name == "torch":
        return value.clone()
    if name == "random":
        return [value[0], torch.tensor(value[1], dtype=torch.int64), value[2]]
    return [value[0], torch.from_numpy(value[1].astype(np.int64)), int(value[2]), int(value[3]), float(value[4])]


def set_rng(name: str, data) -> None:
    if name == "torch":
        torch.set_rng_state(data)
    elif name == "random":
        random.setstate((data[0], tuple(int(v) for v in data[1].tolist()), data[2]))
    else:
        np.random.set_state((data[0], data[1].numpy().astype(np.uint32), data[2], data[3], data[4]))


def capture_globals() -> dict:
    from grading.sandbox import state

    settings = state.capture()
    settings.pop("threads", None)
    return {"rng": rng_states(), "env": dict(os.environ), "settings": settings}


def global_effects(before: dict, after: dict) -> dict:
    env = {k: after["env"].get(k) for k in set(before["env"]) | set(after["env"])
           if before["env"].get(k) != after["env"].get(k)}
    settings = {k: codec._plain(v) for k, v in after["settings"].items() if before["settings"].get(k) != v}
    return {"env": env, "settings": settings}


def apply_globals(effects: dict) -> None:
    from grading.sandbox import state

    for key, value in effects["env"].items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if effects["settings"]:
        now = state.capture()
        now.update({k: codec._unplain(v) for k, v in effects["settings"].items()})
        state.apply(now)


# ---------------------------------------------------------------- arguments

_PLAIN_KINDS = (type(None), bool, int, float, str, torch.dtype, torch.device, torch.Size, type, types.FunctionType,
                types.BuiltinFunctionType, types.MethodType)


def kind_of(obj) -> str:
    if isinstance(obj, torch.Tensor):
        return "tensor"
    if isinstance(obj, nn.Module):
        return "module"
    if isinstance(obj, torch.optim.Optimizer):
        return "optim"
    if isinstance(obj, torch.Generator):
        return "generator"
    if isinstance(obj, torch.utils.data.DataLoader):
        return "loader"
    if isinstance(obj, _PLAIN_KINDS) or isinstance(obj, torch.utils.data.Dataset):
        return "plain"
    return "opaque"


def post_state(obj, kind: str):
    if kind == "tensor":
        grad = obj.grad if obj.is_leaf else None
        return {"data": obj.detach().cpu().clone(), "grad": None if grad is None else grad.detach().cpu().clone(),
                "rg": bool(obj.requires_grad)}
    if kind == "module":
        return {"params": [[p.detach().cpu().clone(), None if p.grad is None else p.grad.detach().cpu().clone()]
                           for p in obj.parameters()],
                "buffers": [b.detach().cpu().clone() for b in obj.buffers()],
                "training": [m.training for m in obj.modules()]}
    if kind == "optim":
        return {"state": codec.encode(obj.state_dict())}
    if kind == "generator":
        return {"state": obj.get_state()}
    if kind == "loader":
        return {"gens": [g.get_state() for g in _loader_generators(obj)]}
    return None


def _loader_generators(loader) -> list:
    return [g for g in (loader.generator, getattr(loader.sampler, "generator", None)) if g is not None]


def _put_tensor(t: torch.Tensor, data: torch.Tensor, grad, rg: bool) -> None:
    with torch.no_grad():
        if t.shape == data.shape:
            t.copy_(data)
        else:
            t.data = data.to(t.device)
    if t.is_leaf and t.requires_grad != rg:
        t.requires_grad_(rg)
    if t.is_leaf or grad is not None:
        t.grad = None if grad is None else grad.to(t.device)


def apply_post(obj, kind: str, state: dict) -> None:
    if kind == "tensor":
        _put_tensor(obj, state["data"], state["grad"], state["rg"])
    elif kind == "module":
        for p, (data, grad) in zip(obj.parameters(), state["params"]):
            _put_tensor(p, data, grad, p.requires_grad)
        with torch.no_grad():
            for b, data in zip(obj.buffers(), state["buffers"]):
                b.copy_(data)
        for m, flag in zip(obj.modules(), state["training"]):
            m.training = flag
    elif kind == "optim":
        obj.load_state_dict(codec.decode(state["state"]))
    elif kind == "generator":
        obj.set_state(state["state"])
    elif kind == "loader":
        for g, s in zip(_loader_generators(obj), state["gens"]):
            g.set_state(s)


class _Sink:
    """Stands in for an opaque argument while the call is re-run on copies: accepts anything."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

    def __call__(self, *args, **kwargs):
        return None


def rebuild(value, leaf):
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        return type(value)(rebuild(v, leaf) for v in value)
    if isinstance(value, dict):
        return {k: rebuild(v, leaf) for k, v in value.items()}
    return leaf(value)


def probe_copy(args, kwargs):
    """Copies of the arguments for a second run: opaque objects become sinks, and the copies of
    modules and optimizers lose their hooks (the checks' spies must not see that run)."""
    try:
        swapped = rebuild((args, kwargs), lambda v: _Sink() if kind_of(v) == "opaque" else v)
        copied = copy.deepcopy(swapped)
    except Exception:  # noqa: BLE001 - not copyable: the random state then counts as an input
        return None
    for _, obj in codec.flatten(copied):
        if isinstance(obj, nn.Module):
            for m in obj.modules():
                for hooks in (m._forward_pre_hooks, m._forward_hooks, m._backward_hooks, m._backward_pre_hooks):
                    hooks.clear()
        elif isinstance(obj, torch.optim.Optimizer):
            obj._optimizer_step_pre_hooks.clear()
            obj._optimizer_step_post_hooks.clear()
    return copied


class CallLog:
    """What a reference function does to arguments that watch it: the public method calls and
    calls it makes on opaque arguments (a SummaryWriter's add_scalar, a loss that records its
    values), and its calls of argument modules that carry hooks (a check's spy on the mode).
    Replay makes the same calls, in order."""

    def __init__(self, objects: list[tuple[int, object]], modules: list[tuple[int, nn.Module]]):
        self.calls: list = []
        self.broken: str | None = None
        self.patched: list[tuple[object, str]] = []
        self.swapped: list[tuple[object, type]] = []
        self.handles: list = []
        self.depth = 0
        for index, obj in objects:
            if not hasattr(obj, "__dict__"):
                continue
            names = [n for n in dir(type(obj)) if not n.startswith("_") and callable(getattr(type(obj), n, None))]
            for name in names:
                obj.__dict__[name] = self._logged(index, name, getattr(obj, name))
                self.patched.append((obj, name))
            if isinstance(getattr(type(obj), "__call__", None), types.FunctionType):
                self._swap_call(index, obj)
        for index, module in modules:
            if module._forward_pre_hooks or module._forward_hooks:
                self.handles.append(module.register_forward_pre_hook(self._forward(index), prepend=True))

    def _note(self, index, name, args, kwargs) -> None:
        if self.depth == 0:
            try:
                self.calls.append([index, name, codec.encode(list(args)), codec.encode(dict(kwargs))])
            except codec.Unsupported as exc:
                self.broken = f"{name}: {exc}"

    def _logged(self, index, name, original):
        def logged(*args, **kwargs):
            self._note(index, name, args, kwargs)
            self.depth += 1
            try:
                return original(*args, **kwargs)
            finally:
                self.depth -= 1
        return logged

    def _swap_call(self, index, obj) -> None:
        cls, log = type(obj), self

        def __call__(this, *args, **kwargs):
            if this is obj:
                log._note(index, "__call__", args, kwargs)
            log.depth += 1
            try:
                return cls.__call__(this, *args, **kwargs)
            finally:
                log.depth -= 1

        try:
            obj.__class__ = type(cls.__name__, (cls,), {"__call__": __call__, "__module__": cls.__module__,
                                                          "__qualname__": cls.__qualname__})
            self.swapped.append((obj, cls))
        except TypeError:
            pass

    def _forward(self, index):
        def hook(module, args):
            self._note(index, "__forward__", args, {})
        return hook

    def remove(self) -> None:
        for obj, name in self.patched:
            obj.__dict__.pop(name, None)
        for obj, cls in self.swapped:
            obj.__class__ = cls
        for handle in self.handles:
            handle.remove()


def replay_log(calls: list, flat: list) -> None:
    for index, name, args, kwargs in calls:
        target = flat[index][1]
        args, kwargs = codec.decode(args), codec.decode(kwargs)
        if name == "__forward__":
            with torch.no_grad():
                target(*args, **kwargs)
        elif name == "__call__":
            target(*args, **kwargs)
        else:
            getattr(target, name)(*args, **kwargs)
