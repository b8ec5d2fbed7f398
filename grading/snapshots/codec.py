"""Values as plain data, for snapshots: encode/decode, fingerprints and short descriptions.

A snapshot file is read with `torch.load(weights_only=True)`, so everything in it is tensors,
numbers, strings and containers. Objects of library classes (DataLoader, TensorDataset,
torchvision transforms and MNIST, torch.nn layers, optimizers) are rebuilt from their state;
their classes must come from torch or torchvision (an allowlist: a snapshot names no code of its
own). Objects shared inside one value stay shared (a sampler and its loader hold one dataset).
Tensors that are arguments of the call (or parameters of an argument) come back as those very
objects ("refs"), so a function that returns its input in place returns the caller's tensor.
"""
from __future__ import annotations

import hashlib
import importlib
import math
import types
from pathlib import Path

import torch
from torch import nn

from grading.data import datasets_dir
from grading.tolerances import tolerance

CLASS_PREFIXES = ("torch.utils.data.", "torchvision.transforms.", "torch.nn.modules.", "torch.optim.")
FUNCTION_PREFIXES = ("torch.", "torchvision.", "_operator.", "operator.", "math.")
VISION_PREFIX = "torchvision.datasets."
TENSOR_SUBCLASSES = ("grading.",)  # the checks' own markers (grading.training.Unmoved)
_MODULE_INTERNALS = frozenset(nn.Module().__dict__)
_SIMPLE = (type(None), bool, int, float, str)


class Unsupported(TypeError):
    """A value the snapshot format cannot hold (the check needs the live reference)."""


def qualname(obj) -> str:
    kind = obj if isinstance(obj, type) else type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def resolve(name: str, prefixes=CLASS_PREFIXES):
    """The class or function `name` (module.path.Qualified.name), only from allowed packages."""
    if not any(name.startswith(p) for p in prefixes) and name not in ("getattr", "len"):
        raise Unsupported(f"{name} is not a torch/torchvision name")
    if "." not in name:
        import builtins

        return getattr(builtins, name)
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise Unsupported(f"cannot import {name}")


def function_name(fn) -> str | None:
    """'package.module.function' for a library function, else None."""
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "")
    if fn is getattr:
        return "getattr"
    full = f"{module}.{name}"
    if "<" in name or not any(full.startswith(p) for p in FUNCTION_PREFIXES):
        return None
    return full


# ---------------------------------------------------------------- module state

def module_state(module: nn.Module, values: bool = True) -> dict:
    """A torch.nn layer (tree) as data: class, simple attributes, parameters, buffers, children."""
    name = qualname(module)
    if not name.startswith(("torch.nn.modules.", "torchvision.transforms.")):
        raise Unsupported(f"module {name}")
    attrs = {}
    for key, value in module.__dict__.items():
        if key in _MODULE_INTERNALS:
            continue
        if not _is_simple(value):
            raise Unsupported(f"{name}.{key} ({type(value).__name__})")
        attrs[key] = _plain(value)
    return {
        "cls": name, "attrs": attrs, "training": module.training,
        "params": {k: _tensor_spec(p, values) for k, p in module._parameters.items()},
        "buffers": {k: _tensor_spec(b, values) for k, b in module._buffers.items()},
        "persistent": [k for k in module._buffers if k not in module._non_persistent_buffers_set],
        "children": [[k, module_state(c, values) if c is not None else None] for k, c in module._modules.items()],
    }


def build_module(state: dict, into: nn.Module | None = None) -> nn.Module:
    """The layer tree `module_state` described; parameters without values are left empty
    (torch.empty: reset_parameters() or a copy fills them)."""
    if into is None:
        cls = resolve(state["cls"], ("torch.nn.modules.", "torchvision.transforms."))
        into = cls.__new__(cls)
        nn.Module.__init__(into)
    for key, value in state["attrs"].items():
        object.__setattr__(into, key, _unplain(value))
    into.training = state["training"]
    for key, spec in state["params"].items():
        into.register_parameter(key, None if spec is None else nn.Parameter(_from_spec(spec), spec["rg"]))
    for key, spec in state["buffers"].items():
        into.register_buffer(key, None if spec is None else _from_spec(spec), persistent=key in state["persistent"])
    for key, child in state["children"]:
        into.add_module(key, None if child is None else build_module(child))
    return into


def _tensor_spec(t, values):
    if t is None:
        return None
    spec = {"shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch."), "rg": bool(t.requires_grad)}
    if values:
        spec["data"] = t.detach().cpu().clone()
    return spec


def _from_spec(spec):
    if "data" in spec:
        return spec["data"].clone()
    return torch.empty(spec["shape"], dtype=getattr(torch, spec["dtype"]))


def _is_simple(value) -> bool:
    if isinstance(value, _SIMPLE):
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_simple(v) for v in value)
    return isinstance(value, (torch.dtype, torch.device))


def _plain(value):
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [_plain(v) for v in value]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, torch.dtype):
        return {"$": "dtype", "v": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"$": "device", "v": str(value)}
    return value


def _unplain(value):
    if isinstance(value, list):
        return [_unplain(v) for v in value]
    if isinstance(value, dict):
        tag = value.get("$")
        if tag == "tuple":
            return tuple(_unplain(v) for v in value["v"])
        if tag == "dtype":
            return getattr(torch, value["v"])
        if tag == "device":
            return torch.device(value["v"])
    return value


# ---------------------------------------------------------------- encode / decode

class Refs:
    """Objects a value may point at instead of copying them: the call's arguments (flattened),
    the parameters of argument modules, a method's own instance."""

    def __init__(self):
        self.by_id: dict[int, str] = {}
        self.by_label: dict[str, object] = {}

    def add(self, label: str, obj) -> None:
        self.by_id.setdefault(id(obj), label)
        self.by_label[label] = obj

    def add_module(self, label: str, module: nn.Module) -> None:
        self.add(label, module)
        for name, p in module.named_parameters():
            self.add(f"{label}.{name}", p)


def flatten(value, path: str = "") -> list[tuple[str, object]]:
    """(path, leaf) for every leaf of nested tuples, lists and dicts, in order."""
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        out = []
        for i, v in enumerate(value):
            out.extend(flatten(v, f"{path}/{i}"))
        return out
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out.extend(flatten(v, f"{path}/{k}"))
        return out
    return [(path, value)]


def encode(value, refs: Refs | None = None, memo: dict | None = None):
    memo = {} if memo is None else memo
    refs = refs or Refs()
    label = refs.by_id.get(id(value))
    if label is not None and not isinstance(value, _SIMPLE):
        return {"$": "ref", "v": label}
    if isinstance(value, _SIMPLE):
        return value
    if id(value) in memo:
        return {"$": "same", "v": memo[id(value)][0]}
    if isinstance(value, (tuple, list)) and not isinstance(value, torch.Size):
        out = [encode(v, refs, memo) for v in value]
        if isinstance(value, list) and type(value) is list:
            return out
        if type(value) is tuple:
            return {"$": "tuple", "v": out}
        raise Unsupported(type(value).__name__)
    if isinstance(value, dict):
        if type(value) is not dict and qualname(value) != "collections.OrderedDict":
            raise Unsupported(type(value).__name__)
        return {"$": "dict", "k": [encode(k, refs, memo) for k in value], "v": [encode(v, refs, memo) for v in value.values()]}
    if isinstance(value, torch.Size):
        return {"$": "size", "v": list(value)}
    if isinstance(value, (torch.dtype, torch.device)):
        return _plain(value)
    index = len(memo)
    memo[id(value)] = (index, value)  # keeps `value` alive, so ids stay unique while encoding
    body = _encode_object(value, refs, memo)
    body["id"] = index
    return body


def _encode_object(value, refs, memo) -> dict:
    if isinstance(value, torch.Tensor):
        kind = type(value)
        if kind not in (torch.Tensor, nn.Parameter) and not qualname(kind).startswith(TENSOR_SUBCLASSES):
            raise Unsupported(f"tensor subclass {qualname(value)}")
        plain = value.detach().cpu().as_subclass(torch.Tensor).clone()
        return {"$": "tensor", "v": plain, "rg": bool(value.requires_grad), "param": isinstance(value, nn.Parameter),
                "device": value.device.type, "sub": None if kind in (torch.Tensor, nn.Parameter) else qualname(kind)}
    if isinstance(value, torch.Generator):
        return {"$": "generator", "v": value.get_state()}
    if isinstance(value, nn.Module):
        return {"$": "module", "v": module_state(value)}
    if isinstance(value, torch.optim.Optimizer):
        sd = value.state_dict()
        params = [p for group in value.param_groups for p in group["params"]]
        return {"$": "optim", "cls": qualname(value), "defaults": encode(value.defaults, refs, memo),
                "params": [encode(p, refs, memo) for p in params],
                "sizes": [len(g["params"]) for g in value.param_groups],
                "state": encode(sd, refs, memo)}
    if qualname(value).startswith(VISION_PREFIX):
        root = Path(value.root).resolve()
        try:
            shown = "@datasets/" + str(root.relative_to(datasets_dir().resolve()))
        except ValueError:
            shown = str(root)
        return {"$": "vision", "cls": qualname(value), "root": shown, "train": bool(getattr(value, "train", True)),
                "transform": encode(value.transform, refs, memo),
                "target_transform": encode(value.target_transform, refs, memo)}
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        name = function_name(value)
        if name is None:
            raise Unsupported(f"function {getattr(value, '__qualname__', value)}")
        return {"$": "fn", "v": name}
    name = qualname(value)
    if any(name.startswith(p) for p in CLASS_PREFIXES) and hasattr(value, "__dict__"):
        state = {k: v for k, v in vars(value).items() if k != "_iterator"}
        return {"$": "obj", "cls": name, "v": encode(state, refs, memo)}
    raise Unsupported(name)


def decode(data, refs: Refs | None = None, memo: dict | None = None):
    memo = {} if memo is None else memo
    if isinstance(data, _SIMPLE):
        return data
    if isinstance(data, list):
        return [decode(v, refs, memo) for v in data]
    tag = data["$"]
    if tag == "ref":
        return refs.by_label[data["v"]]
    if tag == "same":
        return memo[data["v"]]
    if tag == "tuple":
        return tuple(decode(v, refs, memo) for v in data["v"])
    if tag == "dict":
        return {decode(k, refs, memo): decode(v, refs, memo) for k, v in zip(data["k"], data["v"])}
    if tag == "size":
        return torch.Size(data["v"])
    if tag in ("dtype", "device"):
        return _unplain(data)
    value = _decode_object(data, refs, memo)
    memo[data["id"]] = value
    return value


def _decode_object(data, refs, memo):
    tag = data["$"]
    if tag == "tensor":
        t = data["v"].clone()
        if data["param"]:
            return nn.Parameter(t, data["rg"])
        t = t.requires_grad_(data["rg"]) if data["rg"] and t.is_floating_point() else t
        sub = data.get("sub")
        return t.as_subclass(resolve(sub, TENSOR_SUBCLASSES)) if sub else t
    if tag == "generator":
        g = torch.Generator()
        g.set_state(data["v"])
        return g
    if tag == "module":
        return build_module(data["v"])
    if tag == "optim":
        cls = resolve(data["cls"], ("torch.optim.",))
        params, groups, start = [decode(p, refs, memo) for p in data["params"]], [], 0
        for size in data["sizes"]:
            groups.append({"params": params[start:start + size]})
            start += size
        opt = cls(groups, **decode(data["defaults"], refs, memo))
        opt.load_state_dict(decode(data["state"], refs, memo))
        return opt
    if tag == "vision":
        cls = resolve(data["cls"], (VISION_PREFIX,))
        root = data["root"]
        root = str(datasets_dir() / root.removeprefix("@datasets/")) if root.startswith("@datasets/") else root
        return cls(root, train=data["train"], download=False, transform=decode(data["transform"], refs, memo),
                   target_transform=decode(data["target_transform"], refs, memo))
    if tag == "fn":
        return resolve(data["v"], FUNCTION_PREFIXES)
    if tag == "obj":
        cls = resolve(data["cls"])
        obj = cls.__new__(cls)
        memo[data["id"]] = obj  # before the state: the state may point back at it
        state = decode(data["v"], refs, memo)
        if isinstance(obj, torch.utils.data.DataLoader):
            state["_iterator"] = None
        obj.__dict__.update(state)
        return obj
    raise Unsupported(f"unknown tag {tag}")


# ---------------------------------------------------------------- fingerprints

def fingerprint(value) -> str:
    """A digest of everything about `value` a reference call could read."""
    h = hashlib.sha256()
    _feed(h, value, {}, 0)
    return h.hexdigest()[:32]


def shape_print(value) -> tuple[str, list[torch.Tensor]]:
    """(a digest of everything about `value` but its floating-point numbers, those numbers).

    Two machines that build the same value with other kernels agree on the digest and differ in
    the last bits of the numbers: a replay compares those within tolerance (`within`). A tensor
    of more than SAMPLE numbers is kept as SAMPLE of them, evenly spread, and its sum of absolute
    values, so a recorded call stays small."""
    h = hashlib.sha256()
    numbers: list[torch.Tensor] = []
    _feed(h, value, {}, 0, numbers)
    return h.hexdigest()[:32], numbers


SAMPLE = 4096


def _sample(t: torch.Tensor) -> torch.Tensor:
    flat = t.detach().reshape(-1).cpu()
    if flat.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    if flat.numel() <= SAMPLE:
        return flat.clone()
    index = torch.linspace(0, flat.numel() - 1, SAMPLE).round().long()
    return torch.cat([flat[index], flat.double().abs().sum().reshape(1).to(flat.dtype)])


def within(numbers: list, recorded: list) -> float:
    """How far `numbers` are from `recorded` in units of the tolerance: at most 1 means within
    it; inf when they cannot be compared. The tolerance is the table's "train" row for values
    computed in float32 (a value carried in float64 may have been computed in float32, and an
    argument may come out of several steps); half precision gets its own row."""
    if len(numbers) != len(recorded):
        return math.inf
    worst = 0.0
    for now, was in zip(numbers, recorded):
        if now.shape != was.shape:
            return math.inf
        if not now.numel():
            continue
        half = was.dtype in (torch.float16, torch.bfloat16) or now.dtype in (torch.float16, torch.bfloat16)
        tol = tolerance("train", torch.float16 if half else torch.float32)
        a, b = now.double(), was.double()
        same = (a == b) | (a.isnan() & b.isnan())
        error = ((a - b).abs() / (tol.atol + tol.rtol * b.abs())).masked_fill(same, 0.0)
        error = error.nan_to_num(nan=math.inf)
        worst = max(worst, float(error.max()))
        if worst == math.inf:
            break
    return worst


def _flag_off(value) -> bool:
    """An option left off (None or False): torch releases add such keys to optimizers' groups and
    to layers, so they do not tell two values apart."""
    return value is None or value is False


def _feed(h, value, seen: dict, depth: int, numbers: list | None = None) -> None:
    add = lambda *parts: h.update(("\x1f".join(map(str, parts)) + "\x1e").encode())  # noqa: E731
    if depth > 40:
        add("deep")
        return
    if numbers is not None and isinstance(value, float):
        add("float")
        numbers.append(torch.tensor([value], dtype=torch.float64))
        return
    if isinstance(value, _SIMPLE):
        add(type(value).__name__, repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value))
        return
    if id(value) in seen:
        add("seen", seen[id(value)])
        return
    seen[id(value)] = len(seen)
    if isinstance(value, torch.Tensor):
        add("tensor", qualname(value), value.dtype, tuple(value.shape), value.device.type, value.requires_grad,
            value.grad_fn is not None)
        if numbers is not None and (value.is_floating_point() or value.is_complex()):
            numbers.append(_sample(torch.view_as_real(value) if value.is_complex() else value))
        else:
            h.update(value.detach().cpu().contiguous().numpy().tobytes() if value.dtype != torch.bfloat16
                     else value.detach().float().cpu().numpy().tobytes())
        if value.is_leaf and value.grad is not None:
            add("grad")
            _feed(h, value.grad, seen, depth + 1, numbers)
        return
    if isinstance(value, (tuple, list)):
        add(type(value).__name__, len(value))
        for v in value:
            _feed(h, v, seen, depth + 1, numbers)
        return
    if isinstance(value, dict):
        add("dict", len(value))
        for k, v in value.items():
            _feed(h, k, seen, depth + 1, numbers)
            _feed(h, v, seen, depth + 1, numbers)
        return
    if isinstance(value, (torch.dtype, torch.device, torch.Size)):
        add(type(value).__name__, value)
        return
    if isinstance(value, nn.Module):
        add("module", qualname(value))
        for name, m in value.named_modules():
            add(name, qualname(m), m.training)
            for key, v in m.__dict__.items():
                if key not in _MODULE_INTERNALS and _is_simple(v) and not _flag_off(v):
                    add(key, repr(v))
        for name, t in list(value.named_parameters()) + list(value.named_buffers()):
            add(name)
            _feed(h, t, seen, depth + 1, numbers)
        return
    if isinstance(value, torch.optim.Optimizer):
        add("optim", qualname(value))
        for group in value.param_groups:
            add(sorted((k, repr(v)) for k, v in group.items() if k != "params" and not _flag_off(v)))
            for p in group["params"]:
                _feed(h, p, seen, depth + 1, numbers)
                state = value.state.get(p, {})
                for k in sorted(state):
                    add(k)
                    _feed(h, state[k], seen, depth + 1, numbers)
        return
    if isinstance(value, torch.Generator):
        add("generator")
        h.update(value.get_state().numpy().tobytes())
        return
    if isinstance(value, torch.utils.data.DataLoader):
        add("loader", value.batch_size, value.drop_last, qualname(value.sampler), value.num_workers,
            function_name(value.collate_fn) or qualname(value.collate_fn))
        _feed(h, value.dataset, seen, depth + 1, numbers)
        gen = getattr(value.sampler, "generator", None) or value.generator
        if gen is not None:
            _feed(h, gen, seen, depth + 1, numbers)
        return
    if isinstance(value, torch.utils.data.TensorDataset):
        add("tensor dataset")
        _feed(h, value.tensors, seen, depth + 1, numbers)
        return
    if qualname(value).startswith(VISION_PREFIX):
        add("vision", qualname(value), getattr(value, "root", ""), getattr(value, "train", ""), repr(value.transform))
        return
    if isinstance(value, types.FunctionType):
        add("function", value.__qualname__)
        _feed_code(h, value.__code__, add)
        for cell in value.__closure__ or ():
            try:
                _feed(h, cell.cell_contents, seen, depth + 1, numbers)
            except ValueError:
                add("empty cell")
        if value.__defaults__:
            _feed(h, value.__defaults__, seen, depth + 1, numbers)
        return
    if isinstance(value, types.MethodType):
        add("method", qualname(value.__self__), value.__func__.__qualname__)
        return
    if isinstance(value, type):
        add("class", qualname(value))
        return
    add("object", qualname(value))  # opaque: only its type counts


def _feed_code(h, code, add) -> None:
    """A function's code as the same source reads on every Python: where it starts, the names and
    constants it uses (the bytecode changes between Python releases)."""
    add(code.co_qualname if hasattr(code, "co_qualname") else code.co_name, code.co_firstlineno,
        code.co_names, code.co_varnames[:code.co_argcount])
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(h, const, add)
        elif const is not None:
            add(repr(const))


def describe(value) -> str:
    """A few words about a value, for a message that says how two calls differ."""
    if isinstance(value, torch.Tensor):
        grad = ", requires_grad" if value.requires_grad else ""
        kind = "" if type(value) in (torch.Tensor, nn.Parameter) else f"{type(value).__name__} "
        return f"{kind}tensor {tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}{grad}"
    if isinstance(value, nn.Module):
        mode = "training" if value.training else "eval"
        return f"{type(value).__name__} ({mode} mode)"
    if isinstance(value, _SIMPLE):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__
