"""Helpers for checks of training code: snapshots of parameters and gradients, a spy on
`optimizer.step()`, a loss that records what it computed, and batches that notice whether they
were moved to a device.

Spies here only make hints precise; a verdict always comes from comparing outcomes with the
reference.
"""
from __future__ import annotations

import contextlib

import torch
from torch.overrides import TorchFunctionMode

from .compare import close


# ---------------------------------------------------------------- snapshots

def params_of(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def grads_of(model) -> list[torch.Tensor | None]:
    return [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]


def set_grads(model, grads) -> None:
    for p, g in zip(model.parameters(), grads):
        p.grad = None if g is None else g.detach().clone()


def _dense(values, like):
    return [torch.zeros_like(p) if g is None else g for g, p in zip(values, like)]


def is_empty(grads) -> bool:
    """No gradient at all: every entry None or all zeros."""
    return all(g is None or not bool(g.detach().any()) for g in grads)


def same(actual, expected, kind: str, device=None, like=None) -> bool:
    """Two lists of tensors agree entry by entry (None counts as zeros when `like` is given)."""
    actual, expected = list(actual), list(expected)
    if len(actual) != len(expected):
        return False
    if like is not None:
        actual, expected = _dense(actual, like), _dense(expected, like)
    for a, e in zip(actual, expected):
        if (a is None) != (e is None):
            return False
        if a is not None and not close(a, e, kind, device):
            return False
    return True


def added(*lists, like) -> list[torch.Tensor]:
    """Entry-wise sum of gradient lists, None counting as zeros."""
    dense = [_dense(values, like) for values in lists]
    return [sum(parts[1:], parts[0]) for parts in zip(*dense)]


# ---------------------------------------------------------------- spies

class StepSpy:
    """Records the parameters' gradients each time `optimizer.step()` starts (official hook)."""

    def __init__(self, optimizer, model):
        self.params = list(model.parameters())
        self.snapshots: list[list[torch.Tensor | None]] = []
        self._handle = optimizer.register_step_pre_hook(self._hook)

    def _hook(self, optimizer, args, kwargs):
        self.snapshots.append([None if p.grad is None else p.grad.detach().clone() for p in self.params])

    def clear(self) -> None:
        self.snapshots = []

    def remove(self) -> None:
        self._handle.remove()


class RecordingLoss:
    """Wraps a loss function; remembers each loss value and batch size it computed.
    With `on_unmoved`, calls it when the targets were never moved to a device."""

    def __init__(self, loss_fn, on_unmoved=None):
        self.loss_fn, self.on_unmoved = loss_fn, on_unmoved
        self.values: list[float] = []
        self.sizes: list[int] = []

    def __call__(self, outputs, targets):
        if self.on_unmoved is not None and isinstance(targets, Unmoved):
            self.on_unmoved("targets")
        loss = self.loss_fn(outputs, targets)
        self.values.append(float(loss.detach()))
        self.sizes.append(int(targets.shape[0]))
        return loss


# ---------------------------------------------------------------- device moves

_MOVES = (torch.Tensor.to, torch.Tensor.cpu, torch.Tensor.cuda)
_FACTORIES = (torch.as_tensor, torch.asarray)


def _plain(value):
    return value.as_subclass(torch.Tensor) if isinstance(value, Unmoved) else value


class Unmoved(torch.Tensor):
    """A batch tensor that has not been moved yet. Every operation returns a plain tensor, and
    so does a move (`.to(device)`, `.cpu()`, `.cuda()`), even when the tensor is already on the
    device (where `.to` would hand back the very same object). Whatever still is an `Unmoved`
    when it reaches the model was never moved."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        with torch._C.DisableTorchFunctionSubclass():
            out = func(*args, **(kwargs or {}))
        return _plain(out) if func in _MOVES else out


class _FactoryMoves(TorchFunctionMode):
    """`torch.as_tensor(batch, device=...)` moves too, but never consults the subclass."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        return _plain(out) if func in _FACTORIES else out


@contextlib.contextmanager
def watching_moves():
    with _FactoryMoves():
        yield


def unmoved_collate(samples):
    """collate_fn for a DataLoader whose batches are `Unmoved` tensors."""
    from torch.utils.data import default_collate

    return tuple(t.as_subclass(Unmoved) for t in default_collate(samples))
