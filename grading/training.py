"""Helpers for checks of training code: snapshots of parameters, buffers and gradients, a model
with BatchNorm and Dropout, spies on `optimizer.step()`, on the forward passes and on autograd
recording, a loss that records what it computed, batches that notice whether they were moved to a
device, and the hints every training check shares.

Spies here only make hints precise; a verdict always comes from comparing outcomes with the
reference. The one exception is GraphSpy, and only where the contract says "without autograd": a
layer output that carries a graph is then itself the outcome being judged.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from grading.compare import close
from grading.text import Text
from grading.verdict import fail

# ---------------------------------------------------------------- shared hints

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation"
LEAF_UPDATE = Text(
    "{fn}: PyTorch refused the update (\"" + LEAF_ERROR + "\"): `w -= lr * w.grad` changes in place a leaf "
    "that requires grad while autograd is recording, and autograd cannot record that. Update the tensor inside "
    "`with torch.no_grad():` (w -= lr * w.grad there), then clear its gradient.",
    "{fn}: o PyTorch recusou a atualização (\"" + LEAF_ERROR + "\"): `w -= lr * w.grad` altera no lugar uma "
    "folha que exige grad enquanto o autograd grava, e o autograd não consegue gravar isso. Atualize o tensor "
    "dentro de `with torch.no_grad():` (w -= lr * w.grad ali), depois limpe o gradiente dele.",
)
FORWARD_PASSES = Text(
    "{call} ran the model's forward pass {count} times where {expected} were needed (one per {per}). With "
    "BatchNorm every pass in training mode moves the running statistics, and with Dropout every pass draws new "
    "random masks, so the extra pass changed the training. Run the model once per batch and reuse its output "
    "(for the loss, an accuracy or a log).",
    "{call} rodou o forward do modelo {count} vezes onde bastavam {expected} (um por {per}). Com BatchNorm "
    "cada passada em modo de treino move as estatísticas acumuladas, e com Dropout cada passada sorteia "
    "máscaras novas, então a passada a mais mudou o treino. Rode o modelo uma vez por batch e reaproveite a "
    "saída (para a loss, uma acurácia ou um log).",
)
PER = {"batch": Text("batch", "batch"), "epoch": Text("epoch", "época")}
STOPPED_EARLY = Text(
    "{call} stopped after {count} of {epochs} epochs: in this run the loss does not fall ({setting}) and the "
    "loop ended early. Run every epoch asked for (for epoch in range(...)) and never break out of the loop "
    "when the loss stops falling: early stopping is not part of the exercise.",
    "{call} parou depois de {count} de {epochs} épocas: nesta execução a loss não cai ({setting}) e o laço "
    "terminou antes. Rode todas as épocas pedidas (for epoch in range(...)) e nunca saia do laço quando a loss "
    "para de cair: parada antecipada não faz parte do exercício.",
)

BUILT_GRAPH = Text(
    "{fn} built an autograd graph: the output of layer {layer} had a grad_fn{when}. Nothing here calls "
    "backward(), so that graph only costs memory and time, and calling .detach() on the result comes too late: "
    "the graph was already recorded. Run the forward pass inside `with torch.no_grad():` "
    "(or torch.inference_mode()).",
    "{fn} construiu um grafo do autograd: a saída da camada {layer} tinha grad_fn{when}. Nada aqui "
    "chama backward(), então esse grafo só gasta memória e tempo, e chamar .detach() no resultado chega tarde "
    "demais: o grafo já foi gravado. Rode o forward dentro de `with torch.no_grad():` "
    "(ou torch.inference_mode()).",
)
GRAD_WAS_ON = Text(" (autograd was recording during the forward pass)", " (o autograd estava gravando durante o forward)")


@contextlib.contextmanager
def leaf_update_hint(fn: str):
    """PyTorch's refusal to update a leaf in place while autograd records becomes the kit's hint."""
    try:
        yield
    except RuntimeError as error:
        if LEAF_ERROR in str(error):
            fail(LEAF_UPDATE, fn=fn)
        raise


def check_every_epoch(call: str, values, epochs: int, setting: str) -> None:
    """In a run whose loss does not fall: a list of per-epoch values that stops short ended early."""
    if isinstance(values, (list, tuple)) and len(values) < epochs:
        fail(STOPPED_EARLY, call=call, count=len(values), epochs=epochs, setting=setting)


def forward_passes(call: str, count: int, expected: int, per: str) -> Text:
    return FORWARD_PASSES.format(call=call, count=count, expected=expected, per=PER[per])


# ---------------------------------------------------------------- models

def stateful_net(n_in: int, n_hidden: int, n_out: int) -> nn.Module:
    """Linear, BatchNorm, ReLU, Dropout, Linear: the running statistics and the random masks make the
    mode, the number of forward passes and the random stream show in the outcome."""
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.BatchNorm1d(n_hidden), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(n_hidden, n_out))


# ---------------------------------------------------------------- snapshots

class NeverClears(torch.optim.SGD):
    """SGD whose zero_grad() does nothing. A check that wants to name the slip "gradients never
    cleared" runs the reference's own training loop with it (on a failure path only), so the check
    holds no training loop of its own."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


class FirstClearSkipped(torch.optim.SGD):
    """SGD whose first zero_grad() does nothing: the reference's training loop run with it lets the
    gradients present on entry reach its first step, as clearing only after step() does."""

    skipped = False  # a class attribute: a copy of the optimizer (an Optimizer copies only its state) starts afresh

    def zero_grad(self, set_to_none: bool = True) -> None:
        if self.skipped:
            super().zero_grad(set_to_none)
        self.skipped = True


class ScaledLoss(nn.Module):
    """The loss it wraps, its i-th value multiplied by scales[i]: the reference's training loop run
    with it divides each loss by something else (a slip in dividing, for a diagnostic). The scales are
    a plain attribute, so a recorded reference call tells two such losses apart."""

    def __init__(self, loss_fn, scales):
        super().__init__()
        self.loss_fn, self.scales, self.calls = loss_fn, tuple(float(s) for s in scales), 0

    def forward(self, outputs, targets):
        scale = self.scales[self.calls]
        self.calls += 1
        return self.loss_fn(outputs, targets) * scale


class ClearingLoss(nn.Module):
    """The loss it wraps, calling optimizer.zero_grad() before it returns each value: in a training
    loop that runs backward() right after computing the loss, every backward() starts from cleared
    gradients (the slip "zero_grad() before every backward()", for a diagnostic)."""

    def __init__(self, loss_fn, optimizer):
        super().__init__()
        self.loss_fn, self.optimizer = loss_fn, optimizer

    def forward(self, outputs, targets):
        loss = self.loss_fn(outputs, targets)
        self.optimizer.zero_grad()
        return loss


def params_of(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def buffers_of(model) -> list[torch.Tensor]:
    """Running statistics and counters (BatchNorm's running_mean, running_var, num_batches_tracked)."""
    return [b.detach().clone() for b in model.buffers()]


def state_of(model) -> list[torch.Tensor]:
    """Parameters, then buffers: everything training changes in a model."""
    return params_of(model) + buffers_of(model)


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


class ForwardSpy:
    """Notes the mode of every top-level forward pass of a model (a forward pre-hook)."""

    def __init__(self, model):
        self.modes: list[bool] = []
        self._handle = model.register_forward_pre_hook(lambda module, args: self.modes.append(module.training))

    @property
    def count(self) -> int:
        return len(self.modes)

    def clear(self) -> None:
        self.modes = []

    def remove(self) -> None:
        self._handle.remove()


class GraphSpy:
    """Forward hooks on every layer: did any output carry a graph, and was autograd recording?"""

    def __init__(self, model):
        self.layer, self.grad_on = None, False
        names = {m: n or type(model).__name__ for n, m in model.named_modules()}
        self.handles = [m.register_forward_hook(self._hook(names[m])) for m in model.modules()]

    def _hook(self, name):
        def hook(module, args, output):
            outputs = output if isinstance(output, (tuple, list)) else (output,)
            if self.layer is None and any(torch.is_tensor(o) and o.requires_grad for o in outputs):
                self.layer = f"{name} ({type(module).__name__})"
                self.grad_on = torch.is_grad_enabled()
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def check_no_graph(spy: GraphSpy, fn: str) -> None:
    """Fail when a layer's output carried a graph: the work was recorded by autograd."""
    if spy.layer is not None:
        when = GRAD_WAS_ON if spy.grad_on else Text("", "")
        fail(BUILT_GRAPH, fn=fn, layer=spy.layer, when=when)


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
