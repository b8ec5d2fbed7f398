"""Checks for ex05_inference: predict and evaluate without autograd, in evaluation mode.

Verdicts compare outcomes with the reference on twin models (same weights, same BatchNorm running
statistics, same inputs): the predictions and metrics, the running statistics (which BatchNorm
updates whenever it runs in training mode), whether any layer's output carries an autograd graph,
and the model's mode, parameters and gradients after the call. Hooks that note the mode during the
forward pass only choose the hint.
"""
import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader, TensorDataset

from grading.compare import brief, close
from grading.models import copy_parameters
from grading.hints import HintUnavailable, hint_only
from grading.text import BATCH_PART, REACHED, Text
from grading.training import (GraphSpy, RecordingLoss, Unmoved, buffers_of, check_no_graph, stateful_net,
                              unmoved_collate, watching_moves)
from grading.verdict import check, fail, names_case

item = pytest.mark.item

# ---------------------------------------------------------------- texts

TRAINING_MODE = Text(
    "during {fn}'s forward pass the model was in training mode: Dropout zeroed units at random and BatchNorm "
    "normalised with the batch's own statistics{stats}. Call model.eval() before the forward pass.",
    "durante o forward de {fn} o modelo estava em modo de treino: o Dropout zerou unidades ao acaso e o BatchNorm "
    "normalizou com as estatísticas do próprio batch{stats}. Chame model.eval() antes do forward.",
)
STATS_MOVED = Text(" (and changed its running statistics)", " (e alterou as estatísticas acumuladas dele)")
ONE_SAMPLE = Text(" (and failed on the last batch, a single sample: it has no batch statistics)",
                  " (e falhou no último batch, uma única amostra: ele não tem estatísticas de batch)")
LEFT_IN_EVAL = Text(
    "{fn} left the model in evaluation mode ({where}), but it came in training mode: the next training epoch "
    "would run without Dropout. Note model.training on entry and give it back on return with "
    "model.train(was_training).",
    "{fn} deixou o modelo em modo de avaliação ({where}), mas ele chegou em modo de treino: a próxima época de "
    "treino rodaria sem Dropout. Guarde model.training na entrada e devolva-o no retorno com "
    "model.train(was_training).",
)
PUT_IN_TRAIN = Text(
    "{fn} switched the model to training mode ({where}), but it came in evaluation mode. Give back the mode it "
    "had on entry: note was_training = model.training first and call model.train(was_training) on return, "
    "not always model.train().",
    "{fn} colocou o modelo em modo de treino ({where}), mas ele chegou em modo de avaliação. Devolva o modo que "
    "ele tinha na entrada: guarde was_training = model.training antes e chame model.train(was_training) no "
    "retorno, não sempre model.train().",
)
WHOLE_MODEL = Text("the whole model", "o modelo inteiro")
SOME_LAYERS = Text("layers {names}", "camadas {names}")
STATE_CHANGED = Text(
    "{fn} changed the model's {what}; inference must leave parameters, their requires_grad and their .grad "
    "as they were (no optimizer step, no zero_grad, no requires_grad_ changes).",
    "{fn} alterou {what} do modelo; a inferência deve deixar os parâmetros, o requires_grad e o .grad deles "
    "como estavam (sem passo de otimizador, sem zero_grad, sem mudar requires_grad_).",
)
STATE_FLAGS = Text("requires_grad flags", "as flags requires_grad")
STATE_PARAMS = Text("parameters", "os parâmetros")
STATE_GRADS = Text(".grad", "o .grad")
NOT_MOVED = Text(
    "the {what} reached {where} without going through .to(device): move the inputs and the targets of every "
    "batch with .to(device) first.",
    "{what} chegaram {where} sem passar por .to(device): mova as entradas e os alvos de cada batch com "
    ".to(device) antes.",
)

P_NOT_TENSOR = Text(
    "predict must return a tensor of class indices; it returned {kind}.",
    "predict deve devolver um tensor de índices de classe; devolveu {kind}.",
)
P_MAX_VALUES = Text(
    "predict returned the largest logits themselves ({actual}), not where they are: the prediction is the class "
    "index. Use logits.argmax(dim=1) (torch.max(logits, 1) gives (values, indices): take the indices).",
    "predict devolveu os maiores logits em si ({actual}), não a posição deles: a previsão é o índice da classe. "
    "Use logits.argmax(dim=1) (torch.max(logits, 1) dá (valores, índices): pegue os índices).",
)
P_DTYPE = Text(
    "predict returned dtype {dtype}; class indices are int64 (torch.long), as argmax gives them: do not convert them.",
    "predict devolveu dtype {dtype}; índices de classe são int64 (torch.long), como o argmax os dá: não os converta.",
)
P_NOT_ON_CPU = Text(
    "predict returned the predictions on the model's device ({where}); return them on the CPU with .cpu(), "
    "so the caller can use them whatever device the model runs on.",
    "predict devolveu as previsões no dispositivo do modelo ({where}); devolva-as na CPU com .cpu(), para que "
    "quem chamou possa usá-las seja qual for o dispositivo do modelo.",
)
SIMULATED = Text("a simulated accelerator: nothing moved them back", "um acelerador simulado: nada as trouxe de volta")
P_SHAPE = Text(
    "predict returned shape {shape}; expected {expected}, one class index per input row (argmax over dim 1).",
    "predict devolveu formato {shape}; esperado {expected}, um índice de classe por linha da entrada (argmax na dim 1).",
)
P_WRONG = Text(
    "predict gave {actual}, expected {expected}: take the argmax over dim 1 of the model's logits on the inputs.",
    "predict deu {actual}, esperado {expected}: pegue o argmax na dim 1 dos logits do modelo nas entradas.",
)

E_TYPE = Text(
    "evaluate must return a dict {{\"loss\": float, \"accuracy\": float}}; it returned {got}. "
    "Turn 0-dim tensors into Python numbers with .item().",
    "evaluate deve devolver um dict {{\"loss\": float, \"accuracy\": float}}; devolveu {got}. "
    "Transforme tensores de dimensão 0 em números do Python com .item().",
)
E_LOSS_BATCH_MEAN = Text(
    "evaluate's loss {actual} is the mean of the batch losses; the batches have sizes {sizes}, so weight each "
    "batch's loss by its batch size: Σ(loss × batch size) / number of samples = {expected}.",
    "a loss de evaluate {actual} é a média das losses dos batches; os batches têm tamanhos {sizes}, então pese a "
    "loss de cada batch pelo tamanho do batch: Σ(loss × tamanho do batch) / número de amostras = {expected}.",
)
E_ACC_BATCH_MEAN = Text(
    "evaluate's accuracy {actual} is the mean of the batch accuracies; the batches have sizes {sizes}, so weight "
    "each batch by its batch size: count the correct predictions over all batches and divide by the number of "
    "samples = {expected}.",
    "a acurácia de evaluate {actual} é a média das acurácias dos batches; os batches têm tamanhos {sizes}, então "
    "pese cada batch pelo tamanho do batch: conte os acertos em todos os batches e divida pelo número de "
    "amostras = {expected}.",
)
E_WRONG = Text(
    "evaluate returned {actual}, expected {expected}: loss = Σ(loss × batch size) / number of samples, "
    "accuracy = correct argmax predictions / number of samples, over every batch of the loader.",
    "evaluate devolveu {actual}, esperado {expected}: loss = Σ(loss × tamanho do batch) / número de amostras, "
    "acurácia = previsões (argmax) corretas / número de amostras, em todos os batches do loader.",
)

# ---------------------------------------------------------------- models and spies


def _net():
    """Dropout and BatchNorm: both behave differently in training mode."""
    return stateful_net(6, 16, 4)


def _twins(device):
    """Two models with the same weights and the same (non-default) BatchNorm running statistics."""
    theirs = _net()
    with torch.no_grad():
        for _ in range(3):
            theirs(torch.randn(32, 6) * 2 + 1)
    mine = _net()
    copy_parameters(theirs, mine)
    return mine.to(device), theirs.to(device)


def _same_list(a, b):
    return len(a) == len(b) and all(close(x, y, "exact") for x, y in zip(a, b))


def _kind(value) -> str:
    return f"tensor {tuple(value.shape)} {value.dtype}" if torch.is_tensor(value) else type(value).__name__


def _modes_during_forward(model):
    """Pre-hooks on Dropout and BatchNorm noting whether each ran in training mode."""
    seen = []
    for m in model.modules():
        if isinstance(m, (nn.Dropout, nn.BatchNorm1d)):
            m.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    return seen


def _with_grads(model):
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    return model


def _snapshot(model):
    return ([p.detach().clone() for p in model.parameters()],
            [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()],
            [p.requires_grad for p in model.parameters()])


def _check_given_back(model, entry, before, fn):
    """The mode on return equals the mode on entry, in every layer; parameters and .grad unchanged."""
    modes = {n or "model": m.training for n, m in model.named_modules()}
    wrong = [n for n, training in modes.items() if training != (entry == "train")]
    if wrong:
        where = WHOLE_MODEL if len(wrong) == len(modes) else SOME_LAYERS.format(names=", ".join(wrong))
        text = LEFT_IN_EVAL if entry == "train" else PUT_IN_TRAIN
        fail(text, fn=fn, where=where)
    params, grads, flags = _snapshot(model)
    for what, ok in (
        (STATE_FLAGS, flags == before[2]),
        (STATE_PARAMS, _same_list(params, before[0])),
        (STATE_GRADS, all((g is None) == (h is None) and (g is None or close(g, h, "exact"))
                          for g, h in zip(grads, before[1]))),
    ):
        check(ok, STATE_CHANGED, fn=fn, what=what)


def _call_in_eval_mode(fn, *args):
    """BatchNorm refuses a one-sample batch in training mode: that error means eval() was never called."""
    try:
        return fn(*args)
    except ValueError as error:
        if "value per channel when training" in str(error):
            fail(TRAINING_MODE, fn=fn.__name__, stats=ONE_SAMPLE)
        raise


def _not_moved(where):
    def report(what):
        fail(NOT_MOVED, what=BATCH_PART[what], where=REACHED[where])
    return report


# ---------------------------------------------------------------- a simulated accelerator for predict's result


def _names_cpu(value) -> bool:
    if isinstance(value, torch.device):
        return value.type == "cpu"
    if isinstance(value, torch.Tensor):
        return not isinstance(value, Resident) and value.device.type == "cpu"
    if isinstance(value, str):
        return value.split(":")[0] == "cpu" or value.startswith("torch.") and "cuda" not in value
    return isinstance(value, type) and issubclass(value, torch.Tensor) and "cuda" not in value.__module__


def _plain(value):
    return value.as_subclass(torch.Tensor) if isinstance(value, Resident) else value


class Resident(torch.Tensor):
    """A tensor that stands for one living on an accelerator: whatever is computed from it stays
    Resident, until it is moved to the CPU (.cpu(), .to("cpu"), .type(torch.LongTensor), copy_ into
    a CPU tensor, a factory called with device="cpu")."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.copy_ and args and not isinstance(args[0], Resident):
            with torch._C.DisableTorchFunctionSubclass():
                return func(*args, **kwargs)
        out = super().__torch_function__(func, types, args, kwargs)
        moved = (func is torch.Tensor.cpu
                 or (func in (torch.Tensor.to, torch.Tensor.type)
                     and any(_names_cpu(a) for a in (*args[1:], kwargs.get("device"), kwargs.get("dtype")))))
        return _plain(out) if moved else out


class _CpuFactories(TorchFunctionMode):
    """torch.as_tensor(x, device="cpu") and friends move too."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if "device" in kwargs and _names_cpu(kwargs["device"]) and func not in (torch.Tensor.to,):
            return _plain(out)
        return out


# ---------------------------------------------------------------- predict


@item("predict", points=2)
def test_predict_builds_no_graph(student, device):
    model = _net().to(device)
    spy = GraphSpy(model)
    student()(model, torch.randn(8, 6), device)
    spy.remove()
    check_no_graph(spy, "predict")


@item("predict", points=2)
def test_predict_returns_int64_indices_on_the_cpu(student, reference, device):
    """The model's output is marked as living on an accelerator, so a result never moved back shows."""
    mine, theirs = _twins(device)
    mine.eval(), theirs.eval()
    x = torch.randn(10, 6)
    mine.register_forward_hook(lambda module, args, output: output.as_subclass(Resident))
    with _CpuFactories():
        out = student()(mine, x, device)
    expected = reference()(theirs, x, device)
    check(torch.is_tensor(out), P_NOT_TENSOR, kind=_kind(out))
    resident, out = isinstance(out, Resident), _plain(out)
    if out.dtype != torch.int64:
        with torch.no_grad():
            top = theirs(x.to(device)).max(dim=1).values.cpu()
        if out.is_floating_point() and close(out.cpu(), top, "op", device):
            fail(P_MAX_VALUES, actual=brief(out))
        fail(P_DTYPE, dtype=out.dtype)
    if resident or out.device.type != "cpu":
        where = str(out.device) if out.device.type != "cpu" else None
        fail(P_NOT_ON_CPU, where=SIMULATED if where is None else where)
    check(out.shape == expected.shape, P_SHAPE, shape=tuple(out.shape), expected=tuple(expected.shape))


@item("predict", points=3)
def test_predict_in_evaluation_mode(student, reference, device):
    """Twin models with Dropout and BatchNorm arrive in training mode."""
    mine, theirs = _twins(device)
    seen = _modes_during_forward(mine)
    stats = buffers_of(mine)
    x = torch.randn(32, 6)
    out = student()(mine, x, device)
    expected = reference()(theirs, x, device)
    stats_kept = _same_list(buffers_of(mine), stats)
    if close(out, expected, "exact") and stats_kept:
        return
    if any(seen) or not stats_kept:
        moved = Text("", "") if stats_kept else STATS_MOVED
        fail(TRAINING_MODE, fn="predict", stats=moved)
    fail(P_WRONG, actual=brief(out), expected=brief(expected))


@item("predict", points=2)
@pytest.mark.parametrize("entry", ["train", "eval"])
def test_predict_gives_the_model_back(student, device, entry):
    model = _with_grads(_net().to(device).train(entry == "train"))
    before = _snapshot(model)
    student()(model, torch.randn(8, 6), device)
    _check_given_back(model, entry, before, "predict")


@item("predict", points=1)
def test_predict_moves_inputs_to_device(student, device):
    model = _net().to(device).eval()
    report = _not_moved("model")
    model.register_forward_pre_hook(lambda module, args: report("inputs") if isinstance(args[0], Unmoved) else None)
    with watching_moves():
        student()(model, torch.randn(8, 6).as_subclass(Unmoved), device)


# ---------------------------------------------------------------- evaluate


def _loader(batch_size=4, n=10, collate_fn=None):
    """n samples: the last batch is smaller than the others."""
    data = TensorDataset(torch.randn(n, 6), torch.randint(0, 4, (n,)))
    return DataLoader(data, batch_size=batch_size, shuffle=False, collate_fn=collate_fn)


def _per_batch(evaluate, model, loader, device):
    """Diagnostic only: each batch's loss and accuracy as the reference's evaluate gives them for that
    batch alone (None where the recorded answers hold none for these calls), and the batch sizes."""
    batches = [(inputs, targets) for inputs, targets in loader]
    sizes = [len(targets) for _, targets in batches]
    with hint_only():
        try:
            results = [evaluate(model, DataLoader(TensorDataset(*batch), batch_size=len(batch[1])),
                                nn.CrossEntropyLoss(), device) for batch in batches]
        except HintUnavailable:
            return None, None, sizes
    return [r["loss"] for r in results], [r["accuracy"] for r in results], sizes


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@item("evaluate", points=2)
def test_evaluate_builds_no_graph(student, device):
    model = _net().to(device)
    spy = GraphSpy(model)
    student()(model, _loader(), nn.CrossEntropyLoss(), device)
    spy.remove()
    check_no_graph(spy, "evaluate")


@item("evaluate", points=1)
def test_evaluate_returns_a_dict_of_floats(student, device):
    out = student()(_net().to(device).eval(), _loader(), nn.CrossEntropyLoss(), device)
    ok = isinstance(out, dict) and {"loss", "accuracy"} <= set(out) and all(
        _is_number(out[k]) for k in ("loss", "accuracy"))
    if not ok:
        got = ({k: _kind(v) for k, v in out.items()} if isinstance(out, dict) else _kind(out))
        fail(E_TYPE, got=got)


@item("evaluate", points=3)
@pytest.mark.parametrize("batch_size", [4, 3])
@names_case("batch_size")
def test_evaluate_matches_the_reference(student, reference, device, batch_size):
    """Twin models with Dropout and BatchNorm arrive in training mode; the last batch is smaller."""
    mine, theirs = _twins(device)
    seen = _modes_during_forward(mine)
    stats = buffers_of(mine)
    loader = _loader(batch_size)
    out = _call_in_eval_mode(student(), mine, loader, nn.CrossEntropyLoss(), device)
    expected = reference()(theirs, loader, nn.CrossEntropyLoss(), device)
    if not (isinstance(out, dict) and all(_is_number(out.get(k)) for k in ("loss", "accuracy"))):
        fail(E_TYPE, got=_kind(out))
    stats_kept = _same_list(buffers_of(mine), stats)
    loss_ok = close(out["loss"], expected["loss"], "op", device)
    acc_ok = close(out["accuracy"], expected["accuracy"], "op", device)
    if loss_ok and acc_ok and stats_kept:
        return
    if any(seen) or not stats_kept:
        moved = Text("", "") if stats_kept else STATS_MOVED
        fail(TRAINING_MODE, fn="evaluate", stats=moved)
    losses, accs, sizes = _per_batch(reference(), theirs, loader, device)
    if losses and not loss_ok and close(out["loss"], sum(losses) / len(losses), "op", device):
        fail(E_LOSS_BATCH_MEAN, actual=brief(out["loss"]), expected=brief(expected["loss"]), sizes=sizes)
    if accs and not acc_ok and close(out["accuracy"], sum(accs) / len(accs), "op", device):
        fail(E_ACC_BATCH_MEAN, actual=brief(out["accuracy"]), expected=brief(expected["accuracy"]), sizes=sizes)
    shown = lambda d: "{" + ", ".join(f"{k}: {brief(float(d[k]))}" for k in ("loss", "accuracy")) + "}"
    fail(E_WRONG, actual=shown(out), expected=shown(expected))


@item("evaluate", points=2)
@pytest.mark.parametrize("entry", ["train", "eval"])
def test_evaluate_gives_the_model_back(student, device, entry):
    model = _with_grads(_net().to(device).train(entry == "train"))
    before = _snapshot(model)
    student()(model, _loader(), nn.CrossEntropyLoss(), device)
    _check_given_back(model, entry, before, "evaluate")


@item("evaluate", points=1)
def test_evaluate_moves_batches_to_device(student, device):
    model = _net().to(device).eval()
    report = _not_moved("model")
    model.register_forward_pre_hook(lambda module, args: report("inputs") if isinstance(args[0], Unmoved) else None)
    loss_fn = RecordingLoss(nn.CrossEntropyLoss(), on_unmoved=_not_moved("loss"))
    with watching_moves():
        student()(model, _loader(collate_fn=unmoved_collate), loss_fn, device)
