"""Comparisons for checks, with functions captured before any student code is imported.

A submission that monkeypatches `torch.allclose` or `torch.equal` does not change a verdict:
the references below were taken when the grading package loaded.
"""
from __future__ import annotations

import torch

from .tolerances import tolerance

_isclose = torch.isclose
_equal = torch.equal
_as_tensor = torch.as_tensor
_all = torch.Tensor.all
_abs = torch.Tensor.abs
_max = torch.Tensor.max
_isfinite = torch.isfinite


def _tensor(x) -> torch.Tensor:
    return _as_tensor(x).detach()


def close(actual, expected, kind: str = "op", device=None) -> bool:
    """Same shape and values within the table's tolerance for `expected`'s dtype and device."""
    actual, expected = _tensor(actual), _tensor(expected)
    if actual.shape != expected.shape:
        return False
    device = device if device is not None else expected.device
    if kind == "exact" or not expected.dtype.is_floating_point:
        return bool(_equal(actual.cpu(), expected.cpu()))
    tol = tolerance(kind, expected.dtype, device)
    a = actual.cpu().to(torch.float64)
    b = expected.cpu().to(torch.float64)
    return bool(_all(_isclose(a, b, rtol=tol.rtol, atol=tol.atol, equal_nan=False)))


def max_abs_diff(actual, expected) -> float:
    """Largest absolute difference, for hints (inf when shapes differ)."""
    actual, expected = _tensor(actual), _tensor(expected)
    if actual.shape != expected.shape:
        return float("inf")
    diff = _abs(actual.cpu().to(torch.float64) - expected.cpu().to(torch.float64))
    return float(_max(diff)) if diff.numel() else 0.0


def all_finite(x) -> bool:
    return bool(_all(_isfinite(_tensor(x))))


def brief(x, digits: int = 4, limit: int = 6) -> str:
    """A short, readable rendering of a tensor or number for a hint."""
    if isinstance(x, (int, float)):
        return f"{x:.{digits}g}"
    t = _tensor(x).cpu().flatten()
    values = ", ".join(f"{float(v):.{digits}g}" for v in t[:limit])
    more = ", …" if t.numel() > limit else ""
    return f"[{values}{more}] shape {tuple(_tensor(x).shape)}"
