"""Torch's thread count in the grading parent: one thread while workers fork from it (a forked
OpenMP pool can deadlock), the original count given back to each worker and to every check's
baseline."""
from __future__ import annotations

import sys

_THREADS: list[int] = []   # torch's thread count before the parent went down to one


def _single_thread(torch) -> None:
    if not _THREADS:
        _THREADS.append(torch.get_num_threads())
    torch.set_num_threads(1)


class _AfterTorchImport:
    """A meta-path finder that lets `import torch` happen, then sets torch to one thread."""

    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        import importlib.util

        spec = importlib.util.find_spec("torch")
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_single_thread(module):
            exec_module(module)
            _single_thread(module)

        spec.loader.exec_module = exec_then_single_thread
        return spec


def keep_parent_single_threaded() -> None:
    """From now on (or from `import torch` on) this process computes on one thread."""
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        _single_thread(torch)
    elif not any(isinstance(f, _AfterTorchImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterTorchImport())


def original_threads() -> int | None:
    return _THREADS[0] if _THREADS else None


def restore_threads() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and _THREADS and torch.get_num_threads() != _THREADS[0]:
        torch.set_num_threads(_THREADS[0])
