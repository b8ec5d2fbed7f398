"""PyTorch's process-wide settings, which student code can change behind the grader's back.

Every check starts from the same settings (the baseline, taken before any student code loaded)
and its own seed. A module whose import changes a setting that changes results (gradient
recording, inference mode, the default dtype) is an error with a hint naming the setting;
settings that do not change a correct result (seeds, determinism flags, threads, the default
device) are put back after the import without a word.
"""
from __future__ import annotations

import random

import numpy as np
import torch

from grading.text import Text

# The settings a check starts from whatever the baseline says.
DEFAULTS = {"grad": True, "dtype": torch.float32}


def capture() -> dict:
    """The current values of every setting the grader resets."""
    return {
        "grad": torch.is_grad_enabled(),
        "inference": torch.is_inference_mode_enabled(),
        "dtype": torch.get_default_dtype(),
        "device": str(torch.get_default_device()) if hasattr(torch, "get_default_device") else "cpu",
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "anomaly": torch.is_anomaly_enabled(),
        "threads": torch.get_num_threads(),
        "matmul_precision": torch.get_float32_matmul_precision(),
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "cudnn_enabled": bool(torch.backends.cudnn.enabled),
    }


def apply(settings: dict) -> None:
    """Put back `settings` (from `capture`), touching only what differs."""
    now = capture()
    if now["grad"] != settings["grad"]:
        torch.set_grad_enabled(settings["grad"])
    if now["dtype"] != settings["dtype"]:
        torch.set_default_dtype(settings["dtype"])
    if now["device"] != settings["device"] and hasattr(torch, "set_default_device"):
        torch.set_default_device(None if settings["device"] == "cpu" else settings["device"])
    if (now["deterministic"], now["deterministic_warn_only"]) != (settings["deterministic"],
                                                                   settings["deterministic_warn_only"]):
        torch.use_deterministic_algorithms(settings["deterministic"], warn_only=settings["deterministic_warn_only"])
    if now["anomaly"] != settings["anomaly"]:
        torch.autograd.set_detect_anomaly(settings["anomaly"])
    if now["threads"] != settings["threads"]:
        torch.set_num_threads(settings["threads"])
    if now["matmul_precision"] != settings["matmul_precision"]:
        torch.set_float32_matmul_precision(settings["matmul_precision"])
    for flag in ("deterministic", "benchmark", "enabled"):
        if now[f"cudnn_{flag}"] != settings[f"cudnn_{flag}"]:
            setattr(torch.backends.cudnn, flag, settings[f"cudnn_{flag}"])


def for_checks(baseline: dict) -> dict:
    """The settings every check starts from: the baseline with gradients on and float32."""
    return {**baseline, **DEFAULTS, "inference": False}


def reset(baseline: dict, seed: int) -> None:
    """Start a check: the checks' settings and one seed for torch, random and NumPy."""
    apply(for_checks(baseline))
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def rng_state() -> tuple:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    return torch.get_rng_state(), random.getstate(), np.random.get_state(), cuda


def set_rng_state(saved: tuple) -> None:
    cpu, py, numpy_state, cuda = saved
    torch.set_rng_state(cpu)
    random.setstate(py)
    np.random.set_state(numpy_state)
    if cuda is not None:
        torch.cuda.set_rng_state_all(cuda)


GRAD_OFF = Text("gradient recording was turned off (torch.set_grad_enabled(False), or a torch.no_grad() "
                "entered and never left)",
                "a gravação de gradientes foi desligada (torch.set_grad_enabled(False), ou um torch.no_grad() "
                "aberto e nunca fechado)")
INFERENCE_ON = Text("inference mode was left on (torch.inference_mode())",
                    "o modo de inferência ficou ligado (torch.inference_mode())")
DTYPE_CHANGED = Text("the default dtype became {dtype} (torch.set_default_dtype)",
                     "o dtype padrão virou {dtype} (torch.set_default_dtype)")


def harmful_changes(before: dict, after: dict) -> list[Text]:
    """Changes that alter what correct code computes; the others are reset silently."""
    changes = []
    if before["grad"] and not after["grad"]:
        changes.append(GRAD_OFF)
    if not before["inference"] and after["inference"]:
        changes.append(INFERENCE_ON)
    if before["dtype"] != after["dtype"]:
        changes.append(DTYPE_CHANGED.format(dtype=str(after["dtype"])))
    return changes
