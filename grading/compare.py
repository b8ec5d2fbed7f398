"""Comparisons for checks, with functions captured before any student code is imported.

A submission cannot change a verdict by monkeypatching `torch.allclose`, `torch.equal` or any
`torch.Tensor` method, nor by returning a tensor subclass that lies about itself: every function
below was taken from torch's C core (immutable types) when the grading package loaded, works with
subclass overrides (`__torch_function__`) switched off, and turns its inputs into plain tensors
first; anything that cannot be turned into a plain tensor is simply not close.
"""
from __future__ import annotations

import builtins

import torch

from grading.tolerances import tolerance

_TB = getattr(torch._C, "TensorBase", None) or torch._C._TensorBase
_VF = torch._C._VariableFunctions
_Tensor = torch.Tensor
_Parameter = torch.nn.Parameter
_float64 = torch.float64
_cpu_device = torch.device("cpu")
_isclose = _VF.isclose
_equal = _VF.equal
_isfinite = _VF.isfinite
_as_tensor = _VF.as_tensor
_detach = _TB.detach
_to = _TB.to
_all = _TB.all
_abs = _TB.abs
_max = _TB.max
_item = _TB.item
_numel = _TB.numel
_flatten = _TB.flatten
_tolist = _TB.tolist
_as_subclass = _TB.as_subclass
_shape = _TB.__dict__["shape"].__get__
_dtype = _TB.__dict__["dtype"].__get__
_device = _TB.__dict__["device"].__get__
_sub = _TB.sub
_no_torch_function = torch._C.DisableTorchFunctionSubclass
_type = builtins.type
_isinstance = builtins.isinstance
_float = builtins.float
_bool = builtins.bool
_tuple = builtins.tuple
_str = builtins.str
_len = builtins.len


class _NotATensor(Exception):
    pass


def _plain(x) -> torch.Tensor:
    """A detached CPU tensor of plain type torch.Tensor holding x's values (student overrides off)."""
    with _no_torch_function():
        if _isinstance(x, _Tensor):
            t = _detach(x)
            if _type(t) is not _Tensor:
                if _type(x) is _Parameter or _type(t) is _Parameter:
                    t = _as_subclass(t, _Tensor)
                else:
                    raise _NotATensor
        else:
            t = _as_tensor(x)
        if _type(t) is not _Tensor:
            raise _NotATensor
        if _device(t) != _cpu_device:
            t = _to(t, _cpu_device)
        return t


def close(actual, expected, kind: str = "op", device=None, computed_in: torch.dtype | None = None) -> bool:
    """Same shape and values within the table's tolerance for `expected`'s dtype and device.

    `computed_in` names the precision the values were computed in when it is lower than the
    dtype they are carried in (float32 losses in a list of Python floats, a float32 computation
    of a float64 input): the tolerance follows the computation, not the container."""
    try:
        with _no_torch_function():
            a_device = None
            if _isinstance(expected, _Tensor):
                a_device = _device(expected)
            a, e = _plain(actual), _plain(expected)
            if _tuple(_shape(a)) != _tuple(_shape(e)):
                return False
            device = device if device is not None else (a_device or _cpu_device)
            e_dtype = _dtype(e)
            if kind == "exact" or not e_dtype.is_floating_point:
                return _equal(a, e) is True
            precision = e_dtype
            if computed_in is not None and computed_in.itemsize < e_dtype.itemsize:
                precision = computed_in
            tol = tolerance(kind, precision, device)
            a64, e64 = _to(a, _float64), _to(e, _float64)
            return _item(_all(_isclose(a64, e64, rtol=tol.rtol, atol=tol.atol, equal_nan=False))) is True
    except (_NotATensor, TypeError, ValueError, RuntimeError):
        return False


def lowest_precision(*values) -> torch.dtype:
    """The precision a result computed from `values` can have at best: the narrowest floating
    dtype among them (a Python number is float32, torch's default)."""
    dtypes = [_dtype(v) for v in values if _isinstance(v, _Tensor) and _dtype(v).is_floating_point]
    if _len(dtypes) < _len(values):
        dtypes.append(torch.get_default_dtype())
    return min(dtypes, key=lambda d: d.itemsize)


def max_abs_diff(actual, expected) -> float:
    """Largest absolute difference, for hints (inf when shapes differ or values can't be read)."""
    try:
        with _no_torch_function():
            a, e = _plain(actual), _plain(expected)
            if _tuple(_shape(a)) != _tuple(_shape(e)):
                return _float("inf")
            diff = _abs(_sub(_to(a, _float64), _to(e, _float64)))
            return _float(_item(_max(diff))) if _numel(diff) else 0.0
    except (_NotATensor, TypeError, ValueError, RuntimeError):
        return _float("inf")


def all_finite(x) -> bool:
    try:
        with _no_torch_function():
            return _item(_all(_isfinite(_plain(x)))) is True
    except (_NotATensor, TypeError, ValueError, RuntimeError):
        return False


def brief(x, digits: int = 4, limit: int = 6) -> str:
    """A short, readable rendering of a tensor or number for a hint."""
    if _isinstance(x, (int, float)):
        return f"{_float(x):.{digits}g}"
    try:
        with _no_torch_function():
            t = _plain(x)
            shape = _tuple(_shape(t))
            values = _tolist(_flatten(t))
    except (_NotATensor, TypeError, ValueError, RuntimeError):
        return f"<{_type(x).__name__}>"
    shown = ", ".join(f"{_float(v):.{digits}g}" for v in values[:limit])
    more = ", …" if _len(values) > limit else ""
    return f"[{shown}{more}] shape {shape}"
