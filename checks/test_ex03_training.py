"""Checks for ex03_training: the training step, the epoch, fit, and full-batch gradient descent.

Every verdict compares the submission with the reference run on twin models (same weights, same
batches, same optimizer settings, same seed). Some twins have BatchNorm and Dropout, so an extra
forward pass or the wrong mode shows in their parameters and running statistics; some runs have a
loss that does not fall, so a loop that stops early shows. Spies on `optimizer.step()`, on the
forward passes, on the model's inputs and on the loss only choose the hint.
"""
import copy

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grading.compare import brief, close
from grading.hints import for_hint
from grading.text import BATCH_PART, REACHED, Text
from grading.training import (ForwardSpy, NeverClears, RecordingLoss, StepSpy, Unmoved, added, check_every_epoch,
                              forward_passes, grads_of, is_empty, leaf_update_hint, params_of, same, set_grads,
                              state_of, stateful_net, unmoved_collate, watching_moves)
from grading.verdict import check, fail, names_case

item = pytest.mark.item
MODULE = "ex03_training"

# ---------------------------------------------------------------- texts: train_step

STEP_NEVER = Text(
    "call {call}: optimizer.step() was never called, so the parameters did not move. "
    "After loss.backward(), call optimizer.step().",
    "chamada {call}: optimizer.step() nunca foi chamado, então os parâmetros não se moveram. "
    "Depois de loss.backward(), chame optimizer.step().",
)
STEP_TWICE = Text(
    "call {call}: optimizer.step() ran {times} times in one train_step; it must run exactly once per batch.",
    "chamada {call}: optimizer.step() rodou {times} vezes num único train_step; deve rodar exatamente uma vez por batch.",
)
ZERO_BETWEEN = Text(
    "call {call}: the parameters did not change: is optimizer.zero_grad() between backward() and step()? "
    "At step() the gradients were already gone. Clear them before loss.backward(), never between backward() and step().",
    "chamada {call}: os parâmetros não mudaram: optimizer.zero_grad() está entre backward() e step()? "
    "No step() os gradientes já tinham sumido. Limpe-os antes de loss.backward(), nunca entre backward() e step().",
)
STEP_BEFORE_BACKWARD = Text(
    "call {call}: optimizer.step() ran before loss.backward(): at step() the parameters held {what}, "
    "and this batch's gradient only appeared afterwards. Order: zero_grad(), backward(), step().",
    "chamada {call}: optimizer.step() rodou antes de loss.backward(): no step() os parâmetros tinham {what}, "
    "e o gradiente deste batch só apareceu depois. Ordem: zero_grad(), backward(), step().",
)
STEP_BROKE_GRAPH = Text(
    "call {call}: loss.backward() failed because optimizer.step() had already changed the weights in place "
    "(PyTorch: \"modified by an inplace operation\"): step() ran before loss.backward(). "
    "Order: zero_grad(), backward(), step().",
    "chamada {call}: loss.backward() falhou porque optimizer.step() já tinha alterado os pesos no lugar "
    "(PyTorch: \"modified by an inplace operation\"): step() rodou antes de loss.backward(). "
    "Ordem: zero_grad(), backward(), step().",
)
NO_GRADIENT = Text("no gradient", "gradientes vazios")
OLD_GRADIENT = Text("the gradients from before the call", "os gradientes de antes da chamada")
ZERO_AFTER_STEP = Text(
    "call {call}: the gradients left on the parameters before the call leaked into the update, and .grad was "
    "empty on return: optimizer.zero_grad() runs after step(). Call it before loss.backward() instead, so old "
    "gradients never reach step() and .grad keeps this batch's gradient.",
    "chamada {call}: os gradientes deixados nos parâmetros antes da chamada vazaram para a atualização, e .grad "
    "estava vazio no retorno: optimizer.zero_grad() roda depois de step(). Chame-o antes de loss.backward(), "
    "para que gradientes antigos nunca cheguem ao step() e .grad guarde o gradiente deste batch.",
)
NOT_CLEARED = Text(
    "call {call}: the update used this batch's gradient plus the gradients already on the parameters: they were "
    "not cleared, and backward() adds into .grad. Call optimizer.zero_grad() before loss.backward().",
    "chamada {call}: a atualização usou o gradiente deste batch somado aos gradientes que já estavam nos "
    "parâmetros: eles não foram limpos, e backward() soma em .grad. Chame optimizer.zero_grad() antes de loss.backward().",
)
GRAD_ON_RETURN = Text(
    "call {call}: the update was right, but on return .grad {what}; it must hold this batch's gradient "
    "(do not clear or change the gradients after optimizer.step()).",
    "chamada {call}: a atualização estava certa, mas no retorno .grad {what}; deve guardar o gradiente deste "
    "batch (não limpe nem altere os gradientes depois de optimizer.step()).",
)
GRAD_EMPTY = Text("was empty", "estava vazio")
GRAD_OTHER = Text("was {actual}, expected {expected}", "era {actual}, esperado {expected}")
PARAMS_OFF = Text(
    "call {call}: optimizer.step() saw this batch's gradient, but the parameters differ from the reference "
    "(first parameter {actual}, expected {expected}). Change the parameters only through one optimizer.step().",
    "chamada {call}: optimizer.step() viu o gradiente deste batch, mas os parâmetros diferem da referência "
    "(primeiro parâmetro {actual}, esperado {expected}). Altere os parâmetros só por um optimizer.step().",
)
STEP_GRAD_WRONG = Text(
    "call {call}: at optimizer.step() the gradients were not this batch's gradient (first one {actual}, "
    "expected {expected}). One forward, one loss, zero_grad(), backward() on that loss, step().",
    "chamada {call}: no optimizer.step() os gradientes não eram o gradiente deste batch (o primeiro {actual}, "
    "esperado {expected}). Um forward, uma loss, zero_grad(), backward() nessa loss, step().",
)
LOSS_TYPE = Text(
    "train_step returned a {kind}; return the loss as a Python float with loss.item() "
    "(a tensor keeps the whole graph alive).",
    "train_step devolveu um {kind}; devolva a loss como float do Python com loss.item() "
    "(um tensor mantém o grafo inteiro vivo).",
)
LOSS_AFTER = Text(
    "train_step returned {actual}, the loss after the update; it must return the loss of the forward pass "
    "before optimizer.step() ({expected}). Keep the loss you computed first, do not compute it again.",
    "train_step devolveu {actual}, a loss depois da atualização; deve devolver a loss do forward antes de "
    "optimizer.step() ({expected}). Guarde a loss calculada primeiro, não a calcule de novo.",
)
LOSS_WRONG = Text(
    "train_step returned {actual}, expected the loss of this batch before the update, {expected}.",
    "train_step devolveu {actual}, esperado a loss deste batch antes da atualização, {expected}.",
)

# ---------------------------------------------------------------- texts: train_epoch, fit

NOT_MOVED = Text(
    "the batch's {what} reached {where} without being moved to `device`: call .to(device) on the inputs "
    "and on the targets of every batch.",
    "{what} do batch chegaram {where} sem passar por .to(device): chame .to(device) nas "
    "entradas e nos alvos de cada batch.",
)
TRAIN_MODE = Text(
    "the model was in evaluation mode during training (Dropout stayed off), since it came in that way: "
    "call model.train() at the start of train_epoch.",
    "o modelo estava em modo de avaliação durante o treino (o Dropout ficou desligado), pois chegou assim: "
    "chame model.train() no início de train_epoch.",
)
EPOCH_TYPE = Text(
    "train_epoch returned a {kind}; return the mean loss per sample as a Python float.",
    "train_epoch devolveu um {kind}; devolva a loss média por amostra como float do Python.",
)
EPOCH_PARAMS = Text(
    "after one epoch the parameters differ from the reference (first parameter {actual}, expected {expected}): "
    "run train_step exactly once on every batch of the loader, in order.",
    "depois de uma época os parâmetros diferem da referência (primeiro parâmetro {actual}, esperado {expected}): "
    "rode train_step exatamente uma vez em cada batch do loader, em ordem.",
)
EPOCH_BATCH_MEAN = Text(
    "train_epoch returned {actual}, the mean of the batch losses; the last batch is smaller ({sizes}), so weight "
    "each loss by its batch size: Σ(loss × batch size) / number of samples = {expected}.",
    "train_epoch devolveu {actual}, a média das losses dos batches; o último batch é menor ({sizes}), então pese "
    "cada loss pelo tamanho do batch: Σ(loss × tamanho do batch) / número de amostras = {expected}.",
)
EPOCH_LAST = Text(
    "train_epoch returned {actual}, the last batch's loss; return the mean loss per sample over the whole "
    "epoch, {expected}.",
    "train_epoch devolveu {actual}, a loss do último batch; devolva a loss média por amostra na época inteira, "
    "{expected}.",
)
EPOCH_SUM = Text(
    "train_epoch returned {actual}, a sum that was never divided; divide Σ(loss × batch size) by the number of "
    "samples ({expected}).",
    "train_epoch devolveu {actual}, uma soma que não foi dividida; divida Σ(loss × tamanho do batch) pelo número "
    "de amostras ({expected}).",
)
EPOCH_WRONG = Text(
    "train_epoch returned {actual}, expected the mean loss per sample {expected} "
    "(batch sizes {sizes}: Σ(loss × batch size) / number of samples).",
    "train_epoch devolveu {actual}, esperado a loss média por amostra {expected} "
    "(tamanhos dos batches {sizes}: Σ(loss × tamanho do batch) / número de amostras).",
)
FIT_TYPE = Text(
    "fit must return a list of floats, one per epoch; it returned {kind}.",
    "fit deve devolver uma lista de floats, um por época; devolveu {kind}.",
)
FIT_EPOCHS = Text(
    "fit returned {count} loss value(s){ran} for epochs={epochs}: call train_epoch exactly `epochs` times "
    "and return one loss per epoch.",
    "fit devolveu {count} valor(es) de loss{ran} para epochs={epochs}: chame train_epoch exatamente "
    "`epochs` vezes e devolva uma loss por época.",
)
FIT_RAN = Text(" and ran train_epoch {times} times", " e rodou train_epoch {times} vezes")
FIT_VALUES = Text(
    "fit's losses {actual} differ from the epochs' losses {expected}: return each train_epoch result, in order, "
    "passing model, loader, loss_fn, optimizer and device through.",
    "as losses de fit {actual} diferem das losses das épocas {expected}: devolva cada resultado de train_epoch, "
    "em ordem, repassando model, loader, loss_fn, optimizer e device.",
)

# ---------------------------------------------------------------- texts: train_bgd, linear_regression_gd

BGD_TYPE = Text(
    "train_bgd must return a list of {n} floats (each epoch's loss); it returned {kind}.",
    "train_bgd deve devolver uma lista de {n} floats (a loss de cada época); devolveu {kind}.",
)
BGD_NOT_CLEARED = Text(
    "train_bgd's losses {actual} match descent whose gradients are never cleared, expected {expected}: "
    "backward() adds into .grad, so call optimizer.zero_grad() every epoch (before backward() or after step()).",
    "as losses de train_bgd {actual} batem com uma descida cujos gradientes nunca são limpos, esperado {expected}: "
    "backward() soma em .grad, então chame optimizer.zero_grad() a cada época (antes de backward() ou depois de step()).",
)
BGD_WRONG = Text(
    "train_bgd's losses {actual} differ from the reference {expected} (first difference at epoch {epoch}). In "
    "full-batch gradient descent each epoch makes one update from the gradient of the loss on all of X, and the "
    "loss it keeps is the one that update came from; see the steps listed in train_bgd's comments in "
    "ex03_training.py.",
    "as losses de train_bgd {actual} diferem da referência {expected} (primeira diferença na época {epoch}). Na "
    "descida do gradiente com o batch inteiro, cada época faz uma atualização a partir do gradiente da loss em "
    "todo X, e a loss guardada é aquela de onde veio essa atualização; veja os passos listados nos comentários "
    "de train_bgd em ex03_training.py.",
)
BGD_PARAMS = Text(
    "train_bgd's losses are right but the final parameters differ (first parameter {actual}, expected "
    "{expected}): make exactly one optimizer.step() per epoch.",
    "as losses de train_bgd estão certas mas os parâmetros finais diferem (primeiro parâmetro {actual}, esperado "
    "{expected}): faça exatamente um optimizer.step() por época.",
)
LR_RESULT = Text(
    "linear_regression_gd must return (w, b, losses): w detached of shape {w_shape}, b a detached 0-dim tensor, "
    "losses a list of {n} floats; it returned {got}.",
    "linear_regression_gd deve devolver (w, b, losses): w desconectado do grafo, de formato {w_shape}, b um tensor desconectado do grafo "
    "de dimensão 0, losses uma lista de {n} floats; devolveu {got}.",
)
LR_SEED = Text(
    "the first loss is {actual}, expected {expected}: the starting w differs. Call torch.manual_seed(seed) first, "
    "then draw w = torch.randn((X.shape[1], 1)) right away (and b = torch.tensor(0.)).",
    "a primeira loss é {actual}, esperado {expected}: o w inicial difere. Chame torch.manual_seed(seed) primeiro, "
    "depois sorteie w = torch.randn((X.shape[1], 1)) logo em seguida (e b = torch.tensor(0.)).",
)
LR_NOT_CLEARED = Text(
    "the losses {actual} match descent whose gradients are never cleared, expected {expected}: after each update "
    "clear w.grad and b.grad (w.grad.zero_() or w.grad = None).",
    "as losses {actual} batem com uma descida cujos gradientes nunca são limpos, esperado {expected}: depois de "
    "cada atualização limpe w.grad e b.grad (w.grad.zero_() ou w.grad = None).",
)
LR_WRONG = Text(
    "linear_regression_gd gave w={w}, b={b}, losses {actual}; expected w={w_ref}, b={b_ref}, losses {expected}. "
    "The first loss matches, so the start is right and the training differs: look again at the loss (mean "
    "squared error), at the gradient-descent update of w and b with the learning rate, and at the gradients "
    "each epoch starts from, as the comments of linear_regression_gd in ex03_training.py describe them.",
    "linear_regression_gd deu w={w}, b={b}, losses {actual}; esperado w={w_ref}, b={b_ref}, losses {expected}. "
    "A primeira loss bate, então o início está certo e o treino difere: reveja a loss (erro quadrático médio), "
    "a atualização de w e b pela descida do gradiente com a taxa de aprendizado, e os gradientes de onde cada "
    "época parte, como os comentários de linear_regression_gd em ex03_training.py os descrevem.",
)


def _kind(value) -> str:
    return f"tensor {tuple(value.shape)}" if torch.is_tensor(value) else type(value).__name__


def _losses(values) -> torch.Tensor:
    """Losses as a float32 tensor: they come from float32 computations, so float32 tolerances apply."""
    return torch.tensor([float(v) for v in values], dtype=torch.float32)


def _is_float(value) -> bool:
    return isinstance(value, float) and not torch.is_tensor(value)


def _floats(values) -> str:
    return "[" + ", ".join(f"{v:.4g}" if isinstance(v, (int, float)) else _kind(v) for v in values) + "]"


def _first(values) -> str:
    value = next((v for v in values if v is not None), None)
    return "None" if value is None else brief(value)


# ---------------------------------------------------------------- train_step

def _net(n_in=5, n_hidden=8, n_out=3):
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh(), nn.Linear(n_hidden, n_out))


OPTIMIZERS = {
    "SGD(lr=0.1, momentum=0.9)": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "Adam(lr=0.05)": lambda params: torch.optim.Adam(params, lr=0.05),
}


def _twins(make, device):
    model = make().to(device)
    return model, copy.deepcopy(model)


def _stale_gradients(*models):
    """The same leftover gradients on every model (as if a previous step had not cleared them)."""
    first = models[0]
    stale = [torch.randn_like(p) * 3 for p in first.parameters()]
    for model in models:
        set_grads(model, stale)


def _diagnose_step(call, snapshots, entry, batch, returned, like) -> Text:
    """Name the slip from what step() saw and what .grad held on return."""
    if not snapshots:
        return STEP_NEVER.format(call=call)
    if len(snapshots) > 1:
        return STEP_TWICE.format(call=call, times=len(snapshots))
    at_step = snapshots[0]
    if is_empty(at_step):
        if is_empty(returned):
            return ZERO_BETWEEN.format(call=call)
        return STEP_BEFORE_BACKWARD.format(call=call, what=NO_GRADIENT)
    if not is_empty(entry) and same(at_step, entry, "op", like=like):
        return STEP_BEFORE_BACKWARD.format(call=call, what=OLD_GRADIENT)
    if not is_empty(entry) and same(at_step, added(entry, batch, like=like), "op", like=like):
        return ZERO_AFTER_STEP.format(call=call) if is_empty(returned) else NOT_CLEARED.format(call=call)
    if same(at_step, batch, "op", like=like):
        return Text("", "")  # the update saw the right gradient: the caller looks further
    return STEP_GRAD_WRONG.format(call=call, actual=_first(at_step), expected=_first(batch))


def _run_steps(student, reference, device, make_model, make_opt, calls=3):
    """`calls` steps on twin models with stale gradients on entry, the same seed on both sides: same
    parameters and running statistics, same .grad on return."""
    train_step, ref_step = student(), reference()
    mine, theirs = _twins(make_model, device)
    opt_mine, opt_ref = make_opt(mine.parameters()), make_opt(theirs.parameters())
    _stale_gradients(mine, theirs)
    spy, forwards = StepSpy(opt_mine, mine), ForwardSpy(mine)
    loss_fn = nn.MSELoss()
    like = list(mine.parameters())
    seed = torch.initial_seed()
    for call in range(1, calls + 1):
        inputs, targets = torch.randn(6, 5, device=device), torch.randn(6, 3, device=device)
        entry = grads_of(mine)
        spy.clear(), forwards.clear()
        torch.manual_seed(seed + call)
        try:
            train_step(mine, loss_fn, opt_mine, inputs, targets)
        except RuntimeError as error:
            if spy.snapshots and "inplace operation" in str(error):
                fail(STEP_BROKE_GRAPH, call=call)
            raise
        torch.manual_seed(seed + call)
        ref_step(theirs, loss_fn, opt_ref, inputs, targets)
        batch, returned = grads_of(theirs), grads_of(mine)
        state_ok = same(state_of(mine), state_of(theirs), "train", device)
        grads_ok = same(returned, batch, "train", device, like=like)
        if state_ok and grads_ok:
            continue
        if forwards.count != 1:
            fail(forward_passes(f"train_step (call {call})", forwards.count, 1, "batch"))
        hint = _diagnose_step(call, spy.snapshots, entry, batch, returned, like)
        if hint.en:
            fail(hint)
        if not state_ok:
            fail(PARAMS_OFF, call=call, actual=brief(params_of(mine)[0]), expected=brief(params_of(theirs)[0]))
        what = (GRAD_EMPTY if is_empty(returned)
                else GRAD_OTHER.format(actual=_first(returned), expected=_first(batch)))
        fail(GRAD_ON_RETURN, call=call, what=what)


@item("train_step", points=4)
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@names_case("optimizer")
def test_train_step_updates_like_the_reference(student, reference, device, optimizer):
    """Three calls on twin models with stale gradients on entry: same update, same .grad on return."""
    _run_steps(student, reference, device, _net, OPTIMIZERS[optimizer])


@item("train_step", points=2)
def test_train_step_returns_the_loss_before_the_update(student, reference, device):
    mine, theirs = _twins(_net, device)
    opt_mine = torch.optim.SGD(mine.parameters(), lr=0.5)
    opt_ref = torch.optim.SGD(theirs.parameters(), lr=0.5)
    loss_fn = nn.MSELoss()
    inputs, targets = torch.randn(6, 5, device=device), torch.randn(6, 3, device=device) * 2
    out = student()(mine, loss_fn, opt_mine, inputs, targets)
    expected = reference()(theirs, loss_fn, opt_ref, inputs, targets)
    check(_is_float(out), LOSS_TYPE, kind=_kind(out))
    if not close(out, expected, "op", device):
        with torch.no_grad():
            after = float(loss_fn(theirs(inputs), targets))
        text = LOSS_AFTER if close(out, after, "op", device) else LOSS_WRONG
        fail(text, actual=brief(out), expected=brief(expected))


@item("train_step", points=2)
def test_train_step_with_batchnorm_and_dropout(student, reference, device):
    """BatchNorm's running statistics and Dropout's masks show every forward pass: exactly one per step."""
    _run_steps(student, reference, device, lambda: stateful_net(5, 8, 3), OPTIMIZERS["SGD(lr=0.1, momentum=0.9)"])


# ---------------------------------------------------------------- train_epoch

def _classifier():
    """A small classifier with BatchNorm and Dropout, so the mode and every forward pass change the outcome."""
    return stateful_net(4, 16, 3)


def _loader(n=11, batch_size=4, collate_fn=None):
    """n samples in batches of batch_size: the last batch is smaller (never a single sample, which
    BatchNorm refuses in training mode). Its own generator leaves the global random state
    (Dropout's) alone, however often the loader is iterated."""
    data = TensorDataset(torch.randn(n, 4), torch.randint(0, 3, (n,)))
    return DataLoader(data, batch_size=batch_size, shuffle=False, collate_fn=collate_fn,
                      generator=torch.Generator().manual_seed(0))


def _use_reference(monkeypatch, impl, ref, name):
    """The submission's helper is swapped for the reference's, so each item is graded on its own."""
    module = impl.module(MODULE)
    monkeypatch.setattr(module, name, ref.get(MODULE, name), raising=False)


def _not_moved(where):
    def report(what):
        fail(NOT_MOVED, what=BATCH_PART[what], where=REACHED[where])
    return report


@item("train_epoch", points=1)
@pytest.mark.with_reference("train_step")
def test_train_epoch_moves_batches_to_device(student, impl, ref, device, monkeypatch):
    """Batches come from the loader as tensors that notice a .to(device); whatever reaches the model
    or the loss unmoved is reported."""
    _use_reference(monkeypatch, impl, ref, "train_step")
    train_epoch = student()
    model = _classifier().to(device)
    report = _not_moved("model")

    def pre_hook(module, args):
        if any(isinstance(a, Unmoved) for a in args):
            report("inputs")

    model.register_forward_pre_hook(pre_hook)
    loss_fn = RecordingLoss(nn.CrossEntropyLoss(), on_unmoved=_not_moved("loss"))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with watching_moves():
        train_epoch(model, _loader(collate_fn=unmoved_collate), loss_fn, optimizer, device)


@item("train_epoch", points=4)
@pytest.mark.with_reference("train_step")
@pytest.mark.parametrize("batch_size", [4, 3])
@names_case("batch_size")
def test_train_epoch_matches_the_reference(student, reference, impl, ref, device, monkeypatch, batch_size):
    """A model with BatchNorm and Dropout that arrives in eval mode; 11 samples, so the last batch is
    smaller. Parameters and running statistics are compared."""
    _use_reference(monkeypatch, impl, ref, "train_step")
    mine, theirs = _twins(_classifier, device)
    mine.eval(), theirs.eval()
    opt_mine = torch.optim.SGD(mine.parameters(), lr=0.1, momentum=0.9)
    opt_ref = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    forwards = ForwardSpy(mine)
    loss_fn = RecordingLoss(nn.CrossEntropyLoss())
    loader = _loader(batch_size=batch_size)
    seed = torch.initial_seed()
    torch.manual_seed(seed)
    out = student()(mine, loader, loss_fn, opt_mine, device)
    torch.manual_seed(seed)
    expected = reference()(theirs, loader, nn.CrossEntropyLoss(), opt_ref, device)
    params_ok = same(state_of(mine), state_of(theirs), "train", device)
    if not (params_ok and close(out, expected, "op", device)):
        if forwards.modes and not all(forwards.modes):
            fail(TRAIN_MODE)
        if forwards.count != len(loader):
            fail(forward_passes("train_epoch", forwards.count, len(loader), "batch"))
    check(_is_float(out), EPOCH_TYPE, kind=_kind(out))
    if not params_ok:
        fail(EPOCH_PARAMS, actual=brief(params_of(mine)[0]), expected=brief(params_of(theirs)[0]))
    if close(out, expected, "op", device):
        return
    values, sizes = loss_fn.values, loss_fn.sizes
    fields = dict(actual=brief(out), expected=brief(expected), sizes=sizes)
    if values and close(out, sum(values) / len(values), "op", device):
        fail(EPOCH_BATCH_MEAN, **fields)
    if values and close(out, values[-1], "op", device):
        fail(EPOCH_LAST, **fields)
    if values and close(out, sum(v * s for v, s in zip(values, sizes)), "op", device):
        fail(EPOCH_SUM, **fields)
    fail(EPOCH_WRONG, **fields)


# ---------------------------------------------------------------- fit

FIT_CASES = {
    "epochs=1": (1, 0.1, _classifier),
    "epochs=3": (3, 0.1, _classifier),
    "epochs=4, lr=0": (4, 0.0, lambda: _net(4, 8, 3)),  # the loss stays the same every epoch
}


@item("fit", points=2)
@pytest.mark.with_reference("train_epoch")
@pytest.mark.parametrize("case", list(FIT_CASES))
@names_case("case")
def test_fit_runs_every_epoch(student, reference, impl, ref, device, monkeypatch, case):
    """Every epoch, also when the loss does not fall (lr=0 on a model without Dropout)."""
    epochs, lr, make = FIT_CASES[case]
    calls = []
    ref_epoch = ref.get(MODULE, "train_epoch")

    def counted_epoch(*args, **kwargs):
        calls.append(1)
        return ref_epoch(*args, **kwargs)

    monkeypatch.setattr(impl.module(MODULE), "train_epoch", counted_epoch, raising=False)
    mine, theirs = _twins(make, device)
    opt_mine = torch.optim.SGD(mine.parameters(), lr=lr, momentum=0.9)
    opt_ref = torch.optim.SGD(theirs.parameters(), lr=lr, momentum=0.9)
    loader = _loader()
    seed = torch.initial_seed()
    torch.manual_seed(seed)
    out = student()(mine, loader, nn.CrossEntropyLoss(), opt_mine, epochs, device)
    torch.manual_seed(seed)
    expected = reference()(theirs, loader, nn.CrossEntropyLoss(), opt_ref, epochs, device)
    check(isinstance(out, (list, tuple)), FIT_TYPE, kind=_kind(out))
    if lr == 0:
        check_every_epoch("fit", out, epochs, "lr=0")
    count = len(out)
    if count != len(expected) or (calls and len(calls) != epochs):
        ran = FIT_RAN.format(times=len(calls)) if calls else Text("", "")
        fail(FIT_EPOCHS, count=count, ran=ran, epochs=epochs)
    check(all(_is_float(v) for v in out), FIT_TYPE, kind=_floats(out))
    ok = close(_losses(out), _losses(expected), "train", device)
    check(ok and same(state_of(mine), state_of(theirs), "train", device), FIT_VALUES,
          actual=_floats(out), expected=_floats(expected))


# ---------------------------------------------------------------- train_bgd

def _linear_start(n_features, seed):
    """nn.Linear holding the start linear_regression_gd documents (torch.manual_seed(seed), w drawn by
    torch.randn((n_features, 1)), b zero): the model the reference's train_bgd runs on for a diagnostic."""
    torch.manual_seed(seed)
    w = torch.randn((n_features, 1))
    model = nn.Linear(n_features, 1)
    with torch.no_grad():
        model.weight.copy_(w.T)
        model.bias.zero_()
    return model


def _uncleared_losses(train_bgd, model, optimizer, X, y, n_epochs):
    """The losses of the reference's train_bgd with an optimizer whose zero_grad() does nothing (None
    where the recorded answers hold none for this call: the hint is then the generic one)."""
    return for_hint(train_bgd, model, optimizer, nn.MSELoss(), X, y, n_epochs)


BGD_CASES = {
    "n_epochs=1": (1, 0.1, lambda: _net(3, 4, 1)),
    "n_epochs=6": (6, 0.1, lambda: _net(3, 4, 1)),
    "n_epochs=5, lr=0": (5, 0.0, lambda: _net(3, 4, 1)),  # the loss stays the same every epoch
    "n_epochs=4, BatchNorm and Dropout": (4, 0.1, lambda: stateful_net(3, 8, 1)),
}


@item("train_bgd", points=2)
@pytest.mark.parametrize("case", list(BGD_CASES))
@names_case("case")
def test_train_bgd_matches_the_reference(student, reference, device, case):
    """Same losses, parameters and running statistics as the reference, the same seed on both sides;
    every epoch also when the loss does not fall."""
    n_epochs, lr, make = BGD_CASES[case]
    mine, theirs = _twins(make, device)
    start = copy.deepcopy(mine)
    make_opt = lambda params, kind=torch.optim.SGD: kind(params, lr=lr, momentum=0.5)
    X, y = torch.randn(16, 3, device=device), torch.randn(16, 1, device=device)
    forwards = ForwardSpy(mine)
    seed = torch.initial_seed()
    torch.manual_seed(seed)
    out = student()(mine, make_opt(mine.parameters()), nn.MSELoss(), X, y, n_epochs)
    torch.manual_seed(seed)
    expected = reference()(theirs, make_opt(theirs.parameters()), nn.MSELoss(), X, y, n_epochs)
    if lr == 0:
        check_every_epoch("train_bgd", out, n_epochs, "lr=0")
    ok_type = isinstance(out, (list, tuple)) and len(out) == n_epochs and all(_is_float(v) for v in out)
    check(ok_type, BGD_TYPE, n=n_epochs, kind=_floats(out) if isinstance(out, (list, tuple)) else _kind(out))
    got, want = _losses(out), _losses(expected)
    if not close(got, want, "train", device):
        fields = dict(actual=_floats(out), expected=_floats(expected))
        if forwards.count != n_epochs:
            fail(forward_passes("train_bgd", forwards.count, n_epochs, "epoch"))
        torch.manual_seed(seed)
        uncleared = _uncleared_losses(reference(), start, make_opt(start.parameters(), NeverClears), X, y, n_epochs)
        if uncleared is not None and close(got, _losses(uncleared), "train", device):
            fail(BGD_NOT_CLEARED, **fields)
        epoch = next(i for i, (a, e) in enumerate(zip(out, expected)) if not close(a, e, "train", device))
        fail(BGD_WRONG, epoch=epoch, **fields)
    if not same(state_of(mine), state_of(theirs), "train", device) and forwards.count != n_epochs:
        fail(forward_passes("train_bgd", forwards.count, n_epochs, "epoch"))
    check(same(state_of(mine), state_of(theirs), "train", device), BGD_PARAMS,
          actual=brief(params_of(mine)[0]), expected=brief(params_of(theirs)[0]))


# ---------------------------------------------------------------- linear_regression_gd

def _lr_result_ok(result, n_features, n_epochs) -> bool:
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return False
    w, b, losses = result
    tensors = torch.is_tensor(w) and torch.is_tensor(b)
    return (tensors and tuple(w.shape) == (n_features, 1) and b.dim() == 0
            and not w.requires_grad and not b.requires_grad
            and isinstance(losses, (list, tuple)) and len(losses) == n_epochs and all(_is_float(v) for v in losses))


LR_CASES = {
    "seed default": (None, 0.1),
    "seed=7": (7, 0.1),
    "lr=0": (None, 0.0),  # the loss stays the same every epoch
}


@item("linear_regression_gd", points=3)
@pytest.mark.parametrize("case", list(LR_CASES))
@names_case("case")
def test_linear_regression_gd_matches_the_reference(student, reference, ref, case):
    seed, lr = LR_CASES[case]
    X = torch.randn(20, 3)
    y = X @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * torch.randn(20, 1)
    torch.rand(5)  # the global generator has been used: only an explicit manual_seed gives the same w
    args = (X, y, lr, 8) if seed is None else (X, y, lr, 8, seed)
    with leaf_update_hint("linear_regression_gd"):
        out = student()(*args)
    w_ref, b_ref, expected = reference()(*args)
    if lr == 0 and isinstance(out, (tuple, list)) and len(out) == 3:
        check_every_epoch("linear_regression_gd", out[2], 8, "lr=0")
    if not _lr_result_ok(out, X.shape[1], 8):
        got = _kind(out) if not isinstance(out, (tuple, list)) else "(" + ", ".join(
            _kind(v) if torch.is_tensor(v) else type(v).__name__ for v in out) + ")"
        fail(LR_RESULT, w_shape=(X.shape[1], 1), n=8, got=got)
    w, b, losses = out
    fields = dict(actual=_floats(losses), expected=_floats(expected))
    if not close(losses[0], expected[0], "op"):
        fail(LR_SEED, actual=brief(losses[0]), expected=brief(expected[0]))
    got = _losses(losses)
    if not close(got, _losses(expected), "train"):
        start = _linear_start(X.shape[1], 42 if seed is None else seed)
        never_clears = NeverClears(start.parameters(), lr=lr)
        uncleared = _uncleared_losses(ref.get(MODULE, "train_bgd"), start, never_clears, X, y, 8)
        if uncleared is not None and close(got, _losses(uncleared), "train"):
            fail(LR_NOT_CLEARED, **fields)
    if not (close(w, w_ref, "train") and close(b, b_ref, "train") and close(got, _losses(expected), "train")):
        fail(LR_WRONG, w=brief(w), b=brief(b), w_ref=brief(w_ref), b_ref=brief(b_ref), **fields)
