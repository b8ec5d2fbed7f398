"""Model helpers: a correct architecture may use any attribute names or an nn.Sequential,
so parameters are matched by registration order and shape."""
from __future__ import annotations

import torch
from torch import nn

from grading.text import Text
from grading.verdict import fail

ARCHITECTURE = Text(
    "the layers do not match the specification: parameter shapes, in order, are {actual}, expected {expected}.{extra}",
    "as camadas não batem com o enunciado: formatos dos parâmetros, em ordem, são {actual}, esperado {expected}.{extra}",
)


def shapes(model: nn.Module) -> list[tuple[int, ...]]:
    return [tuple(p.shape) for p in model.parameters()]


def _pairs(source: nn.Module, target: nn.Module):
    """Parameter pairs: by registration order; else, when every shape is distinct, by shape
    (a model that creates its layers in another order is still the same architecture)."""
    src, dst = list(source.parameters()), list(target.parameters())
    if [p.shape for p in src] == [p.shape for p in dst]:
        return list(zip(src, dst))
    by_shape = {tuple(p.shape): p for p in dst}
    if len(by_shape) == len(dst) == len(src) and sorted(map(tuple, (p.shape for p in src))) == sorted(by_shape):
        return [(p, by_shape[tuple(p.shape)]) for p in src]
    return None


def copy_parameters(source: nn.Module, target: nn.Module, extra: Text = Text("", "")) -> None:
    """Give `target` the weights of `source`, or fail with a hint naming the shapes."""
    pairs = _pairs(source, target)
    if pairs is None:
        expected, actual = shapes(source), shapes(target)
        fail(ARCHITECTURE, actual=actual, expected=expected, extra=extra)
    with torch.no_grad():
        for src, dst in pairs:
            dst.copy_(src)
    for src, dst in zip(source.buffers(), target.buffers()):
        if src.shape == dst.shape:
            with torch.no_grad():
                dst.copy_(src)


def build(factory, *args, **kwargs) -> nn.Module:
    """Instantiate a student's model class; a non-Module result is a clear failure."""
    model = factory(*args, **kwargs)
    if not isinstance(model, nn.Module):
        fail(Text("{name} must be a subclass of torch.nn.Module.", "{name} precisa ser subclasse de torch.nn.Module."),
             name=getattr(factory, "__name__", str(factory)))
    return model
