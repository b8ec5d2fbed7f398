"""Checks for ex04_gradients: clipping between backward and step, and gradient accumulation.

Verdicts compare the submission with the reference on twin models (same weights, same batches,
same optimizer, stale gradients on entry, the same seed); one case of each has BatchNorm and
Dropout, so an extra forward pass shows in the parameters and running statistics. To name a slip,
the hint looks at the gradients that `optimizer.step()` received (a step pre-hook), counts the
forward passes, or runs the reference's own train_accumulated from the same start on inputs that
make it repeat a usual mistake (an optimizer that does not clear, a loss that clears or rescales,
the batches cut to whole groups). SGD is used throughout: Adam would hide a wrongly scaled gradient.
"""
import copy

import pytest
import torch
from torch import nn

from grading.compare import brief, close
from grading.hints import for_hint
from grading.text import Text
from grading.training import (ClearingLoss, FirstClearSkipped, ForwardSpy, NeverClears, ScaledLoss, StepSpy, added,
                              forward_passes, grads_of, is_empty, params_of, same, set_grads, state_of, stateful_net)
from grading.verdict import check, fail, names_case

item = pytest.mark.item

# ---------------------------------------------------------------- texts: train_step_clipped

CLIP_LOSS_TYPE = Text(
    "train_step_clipped returned a {kind}; return the loss before the update as a Python float (loss.item()).",
    "train_step_clipped devolveu um {kind}; devolva a loss antes da atualização como float do Python (loss.item()).",
)
CLIP_LOSS = Text(
    "train_step_clipped returned {actual}, expected the loss of the forward pass before the update, {expected}.",
    "train_step_clipped devolveu {actual}, esperado a loss do forward antes da atualização, {expected}.",
)
CLIP_NO_STEP = Text(
    "call {call}: optimizer.step() was never called; after backward() and clipping, call optimizer.step().",
    "chamada {call}: optimizer.step() nunca foi chamado; depois de backward() e do corte, chame optimizer.step().",
)
CLIP_EMPTY = Text(
    "call {call}: the parameters did not change: is optimizer.zero_grad() between backward() and step()? "
    "At step() the gradients were already gone. Order: zero_grad(), backward(), clip, step().",
    "chamada {call}: os parâmetros não mudaram: optimizer.zero_grad() está entre backward() e step()? "
    "No step() os gradientes já tinham sumido. Ordem: zero_grad(), backward(), corte, step().",
)
CLIP_BEFORE_BACKWARD = Text(
    "call {call}: step() received the unclipped gradient (total norm {norm}, max_norm={max_norm}): "
    "clip_grad_norm_ ran before backward(), when this batch's gradient did not exist yet. "
    "Clip after loss.backward() and before optimizer.step().",
    "chamada {call}: step() recebeu o gradiente sem corte (norma total {norm}, max_norm={max_norm}): "
    "clip_grad_norm_ rodou antes de backward(), quando o gradiente deste batch ainda não existia. "
    "Corte depois de loss.backward() e antes de optimizer.step().",
)
CLIP_AFTER_STEP = Text(
    "call {call}: step() received the unclipped gradient (total norm {norm}, max_norm={max_norm}) and the clipped "
    "one only showed up on return: clip_grad_norm_ ran after step(). Clip after loss.backward() and before optimizer.step().",
    "chamada {call}: step() recebeu o gradiente sem corte (norma total {norm}, max_norm={max_norm}) e o cortado só "
    "apareceu no retorno: clip_grad_norm_ rodou depois de step(). Corte depois de loss.backward() e antes de optimizer.step().",
)
CLIP_BY_VALUE = Text(
    "call {call}: the gradients were clipped by value (each entry to ±{max_norm}), which changes their direction; "
    "max_norm bounds the total L2 norm of all gradients together: torch.nn.utils.clip_grad_norm_, not clip_grad_value_.",
    "chamada {call}: os gradientes foram cortados por valor (cada entrada em ±{max_norm}), o que muda sua direção; "
    "max_norm limita a norma L2 total de todos os gradientes juntos: torch.nn.utils.clip_grad_norm_, não clip_grad_value_.",
)
CLIP_EACH = Text(
    "call {call}: each parameter's gradient was clipped separately to norm {max_norm}; clip the total norm over "
    "all parameters at once: one clip_grad_norm_(model.parameters(), max_norm) call.",
    "chamada {call}: o gradiente de cada parâmetro foi cortado separadamente para norma {max_norm}; corte a norma "
    "total sobre todos os parâmetros de uma vez: uma chamada clip_grad_norm_(model.parameters(), max_norm).",
)
CLIP_STALE = Text(
    "call {call}: the gradients on the parameters before the call were added to this batch's: they were not "
    "cleared before backward(). Call optimizer.zero_grad() before loss.backward().",
    "chamada {call}: os gradientes que estavam nos parâmetros antes da chamada foram somados aos deste batch: "
    "não foram limpos antes de backward(). Chame optimizer.zero_grad() antes de loss.backward().",
)
CLIP_RESCALED = Text(
    "call {call}: the gradients' total norm ({norm}) was already below max_norm={max_norm}, yet step() received "
    "them rescaled to norm {seen}: clipping only scales down, by min(1, max_norm / norm). "
    "torch.nn.utils.clip_grad_norm_ does exactly that.",
    "chamada {call}: a norma total dos gradientes ({norm}) já estava abaixo de max_norm={max_norm}, mas step() "
    "os recebeu reescalados para norma {seen}: o corte só reduz, pelo fator min(1, max_norm / norma). "
    "torch.nn.utils.clip_grad_norm_ faz exatamente isso.",
)
CLIP_WRONG = Text(
    "call {call}: at optimizer.step() the gradients had total norm {seen}; expected this batch's gradient "
    "(norm {norm}) clipped to a total norm of at most max_norm={max_norm}.",
    "chamada {call}: no optimizer.step() os gradientes tinham norma total {seen}; esperado o gradiente deste "
    "batch (norma {norm}) cortado para norma total de no máximo max_norm={max_norm}.",
)
CLIP_PARAMS = Text(
    "call {call}: step() received the right clipped gradient, but the parameters differ from the reference "
    "(first parameter {actual}, expected {expected}): change them only through one optimizer.step().",
    "chamada {call}: step() recebeu o gradiente cortado certo, mas os parâmetros diferem da referência "
    "(primeiro parâmetro {actual}, esperado {expected}): altere-os só por um optimizer.step().",
)

# ---------------------------------------------------------------- texts: train_accumulated

ACC_TYPE = Text(
    "train_accumulated must return a list of floats, one unscaled loss per micro-batch; it returned {kind}.",
    "train_accumulated deve devolver uma lista de floats, uma loss sem divisão por micro-batch; devolveu {kind}.",
)
ACC_EVERY = Text(
    "{case}: optimizer.zero_grad() ran for every micro-batch, so each step saw only the group's last "
    "micro-batch: clear once, at the start of each group, and let backward() add up the group's gradients.",
    "{case}: optimizer.zero_grad() rodou a cada micro-batch, então cada step viu só o último micro-batch do "
    "grupo: limpe uma vez, no início de cada grupo, e deixe backward() somar os gradientes do grupo.",
)
ACC_UNDIVIDED = Text(
    "{case}: each step used the sum of its micro-batches' gradients, not their mean: divide each micro-batch "
    "loss by the group's size before backward() (keep the undivided value for the returned list).",
    "{case}: cada step usou a soma dos gradientes dos micro-batches, não a média: divida a loss de cada "
    "micro-batch pelo tamanho do grupo antes de backward() (guarde o valor sem divisão para a lista devolvida).",
)
ACC_ACCUM_DIVISOR = Text(
    "{case}: the last group has {size} micro-batch(es) but its losses were divided by accum_steps={accum}: divide "
    "by the group's own size, so that its step also uses a mean.",
    "{case}: o último grupo tem {size} micro-batch(es) mas suas losses foram divididas por accum_steps={accum}: "
    "divida pelo tamanho do próprio grupo, para que seu step também use uma média.",
)
ACC_DROPPED = Text(
    "{case}: the last group ({size} micro-batch(es), fewer than accum_steps={accum}) never made its step: a "
    "smaller last group still gets one optimizer.step().",
    "{case}: o último grupo ({size} micro-batch(es), menos que accum_steps={accum}) nunca fez seu step: um "
    "último grupo menor também recebe um optimizer.step().",
)
ACC_ENTRY = Text(
    "{case}: the gradients present on entry leaked into the first step: call optimizer.zero_grad() at the start "
    "of each group, before its first backward() (clearing only after step() lets the caller's gradients in).",
    "{case}: os gradientes presentes na entrada vazaram para o primeiro step: chame optimizer.zero_grad() no "
    "início de cada grupo, antes do seu primeiro backward() (limpar só depois de step() deixa entrar os "
    "gradientes de quem chamou).",
)
ACC_NEVER = Text(
    "{case}: the gradients were never cleared, so every step saw all past gradients: call optimizer.zero_grad() "
    "at the start of each group.",
    "{case}: os gradientes nunca foram limpos, então cada step viu todos os gradientes passados: chame "
    "optimizer.zero_grad() no início de cada grupo.",
)
ACC_STEPS = Text(
    "{case}: optimizer.step() ran {steps} times; expected {groups}, one per group of up to accum_steps micro-batches.",
    "{case}: optimizer.step() rodou {steps} vezes; esperado {groups}, um por grupo de até accum_steps micro-batches.",
)
ACC_PARAMS = Text(
    "{case}: the parameters differ from the reference after accumulation (first parameter {actual}, expected "
    "{expected}). Accumulation makes one update per group of micro-batches, from the gradient of the group's "
    "mean loss, with nothing left over from earlier groups; see train_accumulated's comments in ex04_gradients.py.",
    "{case}: os parâmetros diferem da referência depois da acumulação (primeiro parâmetro {actual}, esperado "
    "{expected}). A acumulação faz uma atualização por grupo de micro-batches, a partir do gradiente da loss média "
    "do grupo, sem nada que sobre de grupos anteriores; veja os comentários de train_accumulated em "
    "ex04_gradients.py.",
)
ACC_LEN = Text(
    "{case}: returned {count} losses for {n} micro-batches: return one unscaled loss per micro-batch, in order.",
    "{case}: devolveu {count} losses para {n} micro-batches: devolva uma loss sem divisão por micro-batch, em ordem.",
)
ACC_SCALED = Text(
    "{case}: the returned losses {actual} were divided by the group size; return each micro-batch's unscaled "
    "loss {expected} (divide only what goes into backward()).",
    "{case}: as losses devolvidas {actual} foram divididas pelo tamanho do grupo; devolva a loss sem divisão de "
    "cada micro-batch {expected} (divida só o que vai para backward()).",
)
ACC_LOSSES = Text(
    "{case}: returned losses {actual}, expected {expected}: each micro-batch's loss as a float, before dividing.",
    "{case}: devolveu as losses {actual}, esperado {expected}: a loss de cada micro-batch como float, antes de dividir.",
)


def _kind(value) -> str:
    return f"tensor {tuple(value.shape)}" if torch.is_tensor(value) else type(value).__name__


def _losses(values) -> torch.Tensor:
    """Losses as a float32 tensor: they come from float32 computations, so float32 tolerances apply."""
    return torch.tensor([float(v) for v in values], dtype=torch.float32)


def _is_float(value) -> bool:
    return isinstance(value, float) and not torch.is_tensor(value)


def _floats(values) -> str:
    shown = ", ".join(f"{v:.4g}" if isinstance(v, (int, float)) else _kind(v) for v in values[:8])
    return f"[{shown}{', …' if len(values) > 8 else ''}]"


def _net():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))


def _stateful():
    return stateful_net(5, 8, 3)


def _twins(device, make=_net):
    model = make().to(device)
    return model, copy.deepcopy(model)


def _stale_gradients(*models):
    stale = [torch.randn_like(p) * 3 for p in models[0].parameters()]
    for model in models:
        set_grads(model, stale)


# ---------------------------------------------------------------- train_step_clipped

def _batch_gradient(model, loss_fn, inputs, targets):
    probe = copy.deepcopy(model)
    probe.zero_grad()
    loss_fn(probe(inputs), targets).backward()
    return grads_of(probe)


def _norm(grads) -> float:
    return float(sum(float(g.double().pow(2).sum()) for g in grads if g is not None) ** 0.5)


def _scaled(grads, factor):
    return [None if g is None else g * factor for g in grads]


def _clip_total(grads, max_norm):
    """What clip_grad_norm_ does: one factor for all gradients, only ever scaling down."""
    return _scaled(grads, min(1.0, max_norm / (_norm(grads) + 1e-6)))


def _clip_each(grads, max_norm):
    return [None if g is None else g * min(1.0, max_norm / (_norm([g]) + 1e-6)) for g in grads]


def _clip_value(grads, max_norm):
    return [None if g is None else g.clamp(-max_norm, max_norm) for g in grads]


def _diagnose_clip(call, snapshots, entry, batch, returned, max_norm, like) -> Text:
    if not snapshots:
        return CLIP_NO_STEP.format(call=call)
    at_step = snapshots[0]
    fields = dict(call=call, max_norm=f"{max_norm:.4g}", norm=f"{_norm(batch):.4g}", seen=f"{_norm(at_step):.4g}")
    if is_empty(at_step):
        return CLIP_EMPTY.format(**fields)
    clipped = _clip_total(batch, max_norm)
    if _norm(batch) > max_norm and same(at_step, batch, "op", like=like):
        after_step = same(returned, clipped, "op", like=like)
        return (CLIP_AFTER_STEP if after_step else CLIP_BEFORE_BACKWARD).format(**fields)
    if _norm(batch) <= max_norm and same(at_step, _scaled(batch, max_norm / _norm(batch)), "op", like=like):
        return CLIP_RESCALED.format(**fields)
    if same(at_step, _clip_value(batch, max_norm), "op", like=like):
        return CLIP_BY_VALUE.format(**fields)
    if same(at_step, _clip_each(batch, max_norm), "op", like=like):
        return CLIP_EACH.format(**fields)
    if not is_empty(entry):
        with_entry = added(entry, batch, like=like)
        if same(at_step, with_entry, "op", like=like) or same(at_step, _clip_total(with_entry, max_norm), "op", like=like):
            return CLIP_STALE.format(**fields)
    if same(at_step, clipped, "op", like=like):
        return Text("", "")
    return CLIP_WRONG.format(**fields)


def _sgd(params):
    return torch.optim.SGD(params, lr=0.1)


CLIP_OPTIMIZERS = {
    "SGD(lr=0.1)": _sgd,
    "SGD(lr=0.05, momentum=0.9)": lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
}
CLIP_CASES = {**{name: (_net, make) for name, make in CLIP_OPTIMIZERS.items()},
              "SGD(lr=0.1), BatchNorm and Dropout": (_stateful, _sgd)}


def _run_clipped(student, reference, device, make_opt, max_norm_of, calls, make=_net):
    """`calls` train_step_clipped calls on twin models, the same seed on both sides; max_norm_of(gradient
    norm) picks max_norm per call."""
    clipped, ref_clipped = student(), reference()
    mine, theirs = _twins(device, make)
    opt_mine, opt_ref = make_opt(mine.parameters()), make_opt(theirs.parameters())
    _stale_gradients(mine, theirs)
    spy, forwards = StepSpy(opt_mine, mine), ForwardSpy(mine)
    loss_fn = nn.MSELoss()
    like = list(mine.parameters())
    seed = torch.initial_seed()
    for call in range(1, calls + 1):
        inputs, targets = torch.randn(6, 5, device=device), torch.randn(6, 3, device=device) * 4
        torch.manual_seed(seed + call)  # the probe, the submission and the reference draw the same masks
        batch = _batch_gradient(mine, loss_fn, inputs, targets)
        max_norm = max_norm_of(_norm(batch))
        entry = grads_of(mine)
        spy.clear(), forwards.clear()
        torch.manual_seed(seed + call)
        out = clipped(mine, loss_fn, opt_mine, inputs, targets, max_norm)
        torch.manual_seed(seed + call)
        expected = ref_clipped(theirs, loss_fn, opt_ref, inputs, targets, max_norm)
        check(_is_float(out), CLIP_LOSS_TYPE, kind=_kind(out))
        state_ok = same(state_of(mine), state_of(theirs), "train", device)
        if forwards.count != 1 and not (state_ok and close(out, expected, "op", device)):
            fail(forward_passes(f"train_step_clipped (call {call})", forwards.count, 1, "batch"))
        check(close(out, expected, "op", device), CLIP_LOSS, actual=brief(out), expected=brief(expected))
        if state_ok:
            continue
        hint = _diagnose_clip(call, spy.snapshots, entry, batch, grads_of(mine), max_norm, like)
        if hint.en:
            fail(hint)
        fail(CLIP_PARAMS, call=call, actual=brief(params_of(mine)[0]), expected=brief(params_of(theirs)[0]))


@item("train_step_clipped", points=4)
@pytest.mark.parametrize("case", list(CLIP_CASES))
@names_case("case")
def test_clipped_step_matches_the_reference(student, reference, device, case):
    """Gradients well above max_norm (a quarter of their norm), stale gradients on entry, three calls;
    one case with BatchNorm and Dropout."""
    make, make_opt = CLIP_CASES[case]
    _run_clipped(student, reference, device, make_opt, lambda norm: round(norm / 4, 3), calls=3, make=make)


@item("train_step_clipped", points=1)
def test_clipped_step_leaves_small_gradients_alone(student, reference, device):
    """max_norm at twice the gradient's norm: the step must be plain train_step."""
    _run_clipped(student, reference, device, CLIP_OPTIMIZERS["SGD(lr=0.1)"], lambda norm: round(norm * 2, 3), calls=1)


# ---------------------------------------------------------------- train_accumulated

def _group_sizes(n, accum) -> list[int]:
    """The size of the group each of n micro-batches belongs to."""
    return [min(accum, n - first) for first in range(0, n, accum) for _ in range(min(accum, n - first))]


def _slip_inputs(slip, model, make_opt, loss_fn, batches, accum):
    """(optimizer, loss_fn, batches) on which the reference's own train_accumulated makes `slip`, or
    None where this case cannot show it. "every" relies on the reference running backward() on each
    micro-batch's loss right after computing it, as solutions/ex04_gradients.py does."""
    n = len(batches)
    kind = {"never": NeverClears, "entry": FirstClearSkipped}.get(slip, torch.optim.SGD)
    optimizer = make_opt(model.parameters(), kind)
    if slip == "every":  # cleared again right before each backward(): each step sees the last micro-batch
        return optimizer, ClearingLoss(loss_fn, optimizer), batches
    if slip == "undivided":  # loss × group size / group size: the sum of the group's gradients
        return (optimizer, ScaledLoss(loss_fn, _group_sizes(n, accum)), batches) if accum > 1 else None
    if slip == "accum":  # loss × group size / accum / group size: every loss divided by accum_steps
        sizes = _group_sizes(n, accum)
        return (optimizer, ScaledLoss(loss_fn, [s / accum for s in sizes]), batches) if n % accum else None
    if slip == "dropped":  # the smaller last group is not there, so it makes no step
        return (optimizer, loss_fn, batches[:n - n % accum]) if n % accum else None
    return optimizer, loss_fn, batches  # "entry", "never": the optimizer carries the slip


SLIPS = {"every": ACC_EVERY, "undivided": ACC_UNDIVIDED, "accum": ACC_ACCUM_DIVISOR, "dropped": ACC_DROPPED,
         "entry": ACC_ENTRY, "never": ACC_NEVER}


def _sgd_with(**settings):
    """make_opt(params, kind=SGD): SGD, or the SGD subclass a diagnostic asks for, with these settings."""
    return lambda params, kind=torch.optim.SGD: kind(params, **settings)


ACC_CASES = {
    "7 micro-batches, accum_steps=3": (7, 3, _sgd_with(lr=0.1, momentum=0.9), _net),
    "5 micro-batches, accum_steps=2": (5, 2, _sgd_with(lr=0.2), _net),
    "5 micro-batches, accum_steps=2, BatchNorm and Dropout": (5, 2, _sgd_with(lr=0.1), _stateful),
}


@item("train_accumulated", points=5)
@pytest.mark.parametrize("case", list(ACC_CASES))
def test_accumulated_matches_the_reference(student, reference, device, case):
    """Micro-batches grouped with a smaller last group, stale gradients on entry, momentum or plain SGD."""
    n, accum, make_opt, make = ACC_CASES[case]
    mine, theirs = _twins(device, make)
    _stale_gradients(mine, theirs)
    start, entry = copy.deepcopy(mine), grads_of(mine)  # deepcopy does not copy .grad
    opt_mine, opt_ref = make_opt(mine.parameters()), make_opt(theirs.parameters())
    spy, forwards = StepSpy(opt_mine, mine), ForwardSpy(mine)
    loss_fn = nn.MSELoss()
    batches = [(torch.randn(3, 5, device=device), torch.randn(3, 3, device=device)) for _ in range(n)]
    seed = torch.initial_seed()
    torch.manual_seed(seed)
    out = student()(mine, loss_fn, opt_mine, batches, accum)
    torch.manual_seed(seed)
    expected = reference()(theirs, loss_fn, opt_ref, batches, accum)
    check(isinstance(out, (list, tuple)), ACC_TYPE, kind=_kind(out))
    groups = -(-n // accum)
    size = n - (groups - 1) * accum
    if not same(state_of(mine), state_of(theirs), "train", device):
        if forwards.count != n:
            fail(forward_passes("train_accumulated", forwards.count, n, "batch"))
        got = params_of(mine)
        for slip, text in SLIPS.items():  # the reference asked again, for the hint only
            replay = copy.deepcopy(start)
            set_grads(replay, entry)
            inputs = _slip_inputs(slip, replay, make_opt, loss_fn, batches, accum)
            if inputs is None:
                continue
            optimizer, slip_loss, slip_batches = inputs
            torch.manual_seed(seed)
            ran = for_hint(reference(), replay, slip_loss, optimizer, slip_batches, accum)
            if ran is not None and same(got, params_of(replay), "train", device):
                fail(text, case=case, size=size, accum=accum)
        if len(spy.snapshots) != groups:
            fail(ACC_STEPS, case=case, steps=len(spy.snapshots), groups=groups)
        fail(ACC_PARAMS, case=case, actual=brief(got[0]), expected=brief(params_of(theirs)[0]))
    check(len(out) == n, ACC_LEN, case=case, count=len(out), n=n)
    check(all(_is_float(v) for v in out), ACC_TYPE, kind=_floats(list(out)))
    got = _losses(out)
    want = _losses(expected)
    if not close(got, want, "op", device):
        sizes = _losses(_group_sizes(n, accum))
        text = ACC_SCALED if close(got, want / sizes, "op", device) else ACC_LOSSES
        fail(text, case=case, actual=_floats(out), expected=_floats(expected))
