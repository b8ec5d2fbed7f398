"""The one tolerance table. Checks ask for a *kind* of comparison, never write numbers.

kinds:
  exact  - integer results, indices, shapes: must match exactly
  op     - a few floating-point operations computed another correct way
  train  - results of many steps (training runs), where rounding differences compound
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float


# (device type, dtype, tf32) -> kind -> tolerance. tf32 only matters on CUDA float32.
_F32 = {"exact": Tol(0, 0), "op": Tol(1e-5, 1e-6), "train": Tol(1e-4, 1e-5)}
_F64 = {"exact": Tol(0, 0), "op": Tol(1e-10, 1e-12), "train": Tol(1e-8, 1e-10)}
_F16 = {"exact": Tol(0, 0), "op": Tol(1e-3, 1e-3), "train": Tol(1e-2, 1e-2)}
TABLE = {
    ("cpu", torch.float32, False): _F32,
    ("cpu", torch.float64, False): _F64,
    ("cpu", torch.bfloat16, False): _F16,
    ("cpu", torch.float16, False): _F16,
    ("cuda", torch.float32, False): {"exact": Tol(0, 0), "op": Tol(1e-5, 1e-5), "train": Tol(2e-4, 2e-5)},
    ("cuda", torch.float32, True): {"exact": Tol(0, 0), "op": Tol(2e-3, 1e-3), "train": Tol(1e-2, 1e-3)},
    ("cuda", torch.float64, False): _F64,
    ("cuda", torch.float16, False): _F16,
    ("cuda", torch.bfloat16, False): {"exact": Tol(0, 0), "op": Tol(1.6e-2, 1e-2), "train": Tol(5e-2, 5e-2)},
    ("mps", torch.float32, False): {"exact": Tol(0, 0), "op": Tol(1e-4, 1e-5), "train": Tol(1e-3, 1e-4)},
    ("mps", torch.float16, False): _F16,
}
KINDS = ("exact", "op", "train")


def tf32_enabled(device_type: str) -> bool:
    return device_type == "cuda" and bool(torch.backends.cuda.matmul.allow_tf32)


def tolerance(kind: str, dtype: torch.dtype = torch.float32, device="cpu") -> Tol:
    """Look up the tolerance for comparing results of `dtype` computed on `device`."""
    device_type = torch.device(device).type
    if not dtype.is_floating_point:
        return Tol(0, 0)
    tf32 = dtype == torch.float32 and tf32_enabled(device_type)
    row = TABLE.get((device_type, dtype, tf32)) or TABLE[("cpu", dtype, False)]
    return row[kind]
