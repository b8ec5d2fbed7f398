"""Checks for ex06_inplace: in-place operations that autograd can live with.

Every verdict is an outcome: values and gradients against the reference (float64, and
torch.autograd.gradcheck against finite differences), what a tensor's memory holds afterwards
(`data_ptr()`, values: writing through `.data` or a NumPy view counts as in place; `_version` only
picks a hint), whether parameters moved in their own memory and stayed leaves. When PyTorch itself
refuses an in-place operation, its error is translated into a hint that says which tensor autograd
needed and what to write instead.
"""
import re

import pytest
import torch
from torch import nn

from grading.compare import brief, close
from grading.text import Text
from grading.training import LEAF_ERROR
from grading.verdict import check, fail, names_case

item = pytest.mark.item

SAVED_ERROR = "modified by an inplace operation"

# ---------------------------------------------------------------- texts

INPUT_CHANGED = Text(
    "{fn} changed its argument {arg} in place ({how}). {arg} belongs to the caller, and when it is a leaf that "
    "requires grad PyTorch refuses the change outright. Build a new tensor instead: {instead}.",
    "{fn} alterou o argumento {arg} no lugar ({how}). {arg} pertence a quem chamou, e quando ele é uma folha "
    "que exige grad o PyTorch recusa a mudança de cara. Construa um tensor novo: {instead}.",
)
LEAF_REFUSED = Text("PyTorch: \"" + LEAF_ERROR + "\"", "PyTorch: \"" + LEAF_ERROR + "\"")
VERSION_MOVED = Text("{arg}._version went from {before} to {after}", "{arg}._version foi de {before} para {after}")
EXP_OUTPUT = Text(
    "backward() failed (PyTorch: \"{saved} ... output 0 of {op}\"): exp keeps its output eᵗ for backward, because "
    "the derivative of eᵗ is eᵗ itself, and the in-place `+= 1` (add_) wrote over that very tensor. cos, by "
    "contrast, keeps its input, which is why t.cos() followed by `z += 1` survives. Write z = z + 1 "
    "(or torch.exp(t) + 1): a new tensor, with the saved output left intact.",
    "backward() falhou (PyTorch: \"{saved} ... output 0 of {op}\"): exp guarda a saída eᵗ para o backward, porque "
    "a derivada de eᵗ é o próprio eᵗ, e o `+= 1` no lugar (add_) escreveu por cima desse mesmo tensor. Já o cos "
    "guarda a entrada, e por isso t.cos() seguido de `z += 1` sobrevive. Escreva z = z + 1 "
    "(ou torch.exp(t) + 1): um tensor novo, com a saída guardada intacta.",
)
SIGMOID_OUTPUT = Text(
    "backward() failed (PyTorch: \"{saved} ... output 0 of {op}\"): sigmoid keeps its output σ(x) for backward, "
    "because its derivative is σ(x)·(1 − σ(x)), and the in-place multiply (`y *= scale`, y.mul_(scale)) wrote "
    "over that very tensor. Multiply out of place: y * scale or y.mul(scale).",
    "backward() falhou (PyTorch: \"{saved} ... output 0 of {op}\"): sigmoid guarda a saída σ(x) para o backward, "
    "porque a derivada é σ(x)·(1 − σ(x)), e a multiplicação no lugar (`y *= scale`, y.mul_(scale)) escreveu por "
    "cima desse mesmo tensor. Multiplique fora do lugar: y * scale ou y.mul(scale).",
)
OTHER_SAVED = Text(
    "backward() failed (PyTorch: \"{saved} ... output 0 of {op}\"): an in-place operation wrote over a tensor that "
    "autograd had kept for backward. Use out-of-place operations (a = a + b, not a += b) on anything in the graph.",
    "backward() falhou (PyTorch: \"{saved} ... output 0 of {op}\"): uma operação no lugar escreveu por cima de um "
    "tensor que o autograd tinha guardado para o backward. Use operações fora do lugar (a = a + b, não a += b) em "
    "tudo que está no grafo.",
)
NOT_TENSOR = Text("{fn} must return a tensor; it returned {kind}.", "{fn} deve devolver um tensor; devolveu {kind}.")
WRONG_VALUES = Text(
    "{fn}({case}) returned {actual}, expected {expected} ({formula}).",
    "{fn}({case}) devolveu {actual}, esperado {expected} ({formula}).",
)
NO_GRAPH = Text(
    "{fn}'s result carries no graph back to {arg} (no grad_fn): keep every step in torch operations on {arg}, "
    "without .detach(), .item(), NumPy or torch.no_grad().",
    "o resultado de {fn} não carrega grafo de volta a {arg} (sem grad_fn): mantenha cada passo em operações do "
    "torch sobre {arg}, sem .detach(), .item(), NumPy ou torch.no_grad().",
)
WRONG_GRAD = Text(
    "the gradient of {fn} with respect to {arg} is {actual}, expected {expected}: compute {formula} with "
    "differentiable torch operations only.",
    "o gradiente de {fn} em relação a {arg} é {actual}, esperado {expected}: calcule {formula} só com operações "
    "diferenciáveis do torch.",
)
GRADCHECK = Text(
    "torch.autograd.gradcheck in float64 found that {fn}'s gradient disagrees with finite differences: "
    "every step must be a differentiable torch operation.",
    "torch.autograd.gradcheck em float64 achou o gradiente de {fn} diferente das diferenças finitas: "
    "cada passo deve ser uma operação diferenciável do torch.",
)

SGD_OUTSIDE_NO_GRAD = Text(
    "PyTorch refused the update (\"" + LEAF_ERROR + "\"): autograd was recording, and it cannot record a change "
    "made in place to a leaf that requires grad. Do the update inside `with torch.no_grad():` "
    "(p -= lr * p.grad), where nothing is recorded.",
    "o PyTorch recusou a atualização (\"" + LEAF_ERROR + "\"): o autograd estava gravando, e ele não consegue "
    "gravar uma mudança no lugar numa folha que exige grad. Faça a atualização dentro de `with torch.no_grad():` "
    "(p -= lr * p.grad), onde nada é gravado.",
)
SGD_REBOUND = Text(
    "the parameters did not move: `p = p - lr * p.grad` builds a new tensor and only rebinds the name p, while the "
    "model keeps the old one. Update the parameter itself, in place: p -= lr * p.grad (or p.sub_(lr * p.grad)) "
    "inside torch.no_grad().",
    "os parâmetros não se moveram: `p = p - lr * p.grad` constrói um tensor novo e só religa o nome p, enquanto "
    "o modelo fica com o antigo. Atualize o próprio parâmetro, no lugar: p -= lr * p.grad (ou "
    "p.sub_(lr * p.grad)) dentro de torch.no_grad().",
)
SGD_NEW_MEMORY = Text(
    "after sgd_update_ parameter {index} holds the right values, but in new memory: `p.data = p.data - lr * p.grad` "
    "(or p.set_(...)) builds a new tensor and swaps it in, so whatever still holds the old memory (the optimizer's "
    "state, a view, a model sharing the weights) no longer sees the parameter. Update it in place: "
    "`with torch.no_grad(): p -= lr * p.grad` (or p.sub_(lr * p.grad), p.add_(p.grad, alpha=-lr)).",
    "depois de sgd_update_ o parâmetro {index} tem os valores certos, mas em memória nova: "
    "`p.data = p.data - lr * p.grad` (ou p.set_(...)) constrói um tensor novo e o troca de lugar, então o que "
    "ainda guarda a memória antiga (o estado do otimizador, uma view, um modelo que divide os pesos) deixa de ver "
    "o parâmetro. Atualize-o no lugar: `with torch.no_grad(): p -= lr * p.grad` (ou p.sub_(lr * p.grad), "
    "p.add_(p.grad, alpha=-lr)).",
)
SGD_WRONG = Text(
    "after sgd_update_ the parameters are {actual}, expected {expected}: each parameter moves by −lr·p.grad, "
    "exactly once.",
    "depois de sgd_update_ os parâmetros são {actual}, esperado {expected}: cada parâmetro anda −lr·p.grad, "
    "exatamente uma vez.",
)
SGD_NOT_CLEARED = Text(
    "after sgd_update_ the gradients were still there{how}: backward() adds into .grad, so the next step would "
    "use old and new gradients together. Clear each one right after its update (p.grad = None or "
    "p.grad.zero_()), in the same loop.",
    "depois de sgd_update_ os gradientes continuavam lá{how}: backward() soma em .grad, então o próximo passo "
    "usaria gradientes velhos e novos juntos. Limpe cada um logo depois da atualização (p.grad = None ou "
    "p.grad.zero_()), no mesmo laço.",
)
SGD_GENERATOR = Text(
    " when params was model.parameters(), a generator that can be gone through only once (with a list they were "
    "cleared)",
    " quando params era model.parameters(), um gerador que só pode ser percorrido uma vez (com uma lista eles "
    "foram limpos)",
)
SGD_NONE_GRAD = Text(
    "sgd_update_ failed on a parameter whose .grad is None ({error}): a parameter that took no part in the loss, "
    "or is frozen, has no gradient. Skip it: `if p.grad is None: continue`.",
    "sgd_update_ falhou num parâmetro cujo .grad é None ({error}): um parâmetro que não participou da loss, ou "
    "está congelado, não tem gradiente. Pule-o: `if p.grad is None: continue`.",
)
SGD_TOUCHED_NONE = Text(
    "sgd_update_ changed a parameter that had no gradient; only parameters with a .grad move.",
    "sgd_update_ alterou um parâmetro que não tinha gradiente; só parâmetros com .grad se movem.",
)
SGD_NOT_LEAF = Text(
    "after sgd_update_ parameter {index} {what}; it must stay the same leaf tensor with requires_grad as it was, "
    "or the next backward() cannot reach it. Do not switch requires_grad off to get around PyTorch's error: "
    "update inside `with torch.no_grad():` instead.",
    "depois de sgd_update_ o parâmetro {index} {what}; ele deve continuar a mesma folha com requires_grad como "
    "estava, senão o próximo backward() não o alcança. Não desligue requires_grad para contornar o erro do "
    "PyTorch: atualize dentro de `with torch.no_grad():`.",
)
HAS_REQUIRES_GRAD = Text("has requires_grad={flag}", "tem requires_grad={flag}")
NO_LONGER_LEAF = Text("is no longer a leaf (the update was recorded)", "não é mais folha (a atualização foi gravada)")

STD_UNBIASED = Text(
    "standardize returned {actual}, expected {expected}: that is the unbiased std (dividing by N − 1). Use the "
    "population std, x.std(dim=0, correction=0).",
    "standardize devolveu {actual}, esperado {expected}: esse é o desvio padrão não viesado (dividindo por N − 1). "
    "Use o desvio padrão populacional, x.std(dim=0, correction=0).",
)
STD_NOT_IN_PLACE = Text(
    "standardize made a new tensor although x does not require grad{how}: no memory saved. When x.requires_grad "
    "is False, write into x itself (x.sub_(mean).div_(std + eps)) and return x.",
    "standardize criou um tensor novo embora x não exija grad{how}: nenhuma memória economizada. Quando "
    "x.requires_grad é False, escreva no próprio x (x.sub_(mean).div_(std + eps)) e devolva x.",
)
STD_X_NOT_RESULT = Text(" (x does not hold the result)", " (x não guarda o resultado)")
STD_LEAF = Text(
    "PyTorch refused standardize's in-place work on x (\"" + LEAF_ERROR + "\"): x requires grad, and a leaf that "
    "requires grad cannot be changed in place while autograd records (and std keeps its input x for backward). "
    "When x requires grad, compute (x - mean) / (std + eps) out of place.",
    "o PyTorch recusou o trabalho no lugar de standardize sobre x (\"" + LEAF_ERROR + "\"): x exige grad, e uma "
    "folha que exige grad não pode ser alterada no lugar enquanto o autograd grava (e std guarda a entrada x "
    "para o backward). Quando x exige grad, calcule (x - mean) / (std + eps) fora do lugar.",
)
STD_CHANGED_X = Text(
    "standardize changed x in place although x requires grad ({how}): std keeps its input x for backward (and x "
    "belongs to the caller), so the gradient breaks. When x requires grad, compute (x - mean) / (std + eps) out "
    "of place.",
    "standardize alterou x no lugar embora x exija grad ({how}): std guarda a entrada x para o backward (e x "
    "pertence a quem chamou), então o gradiente quebra. Quando x exige grad, calcule (x - mean) / (std + eps) fora "
    "do lugar.",
)


# ---------------------------------------------------------------- helpers


def _kind(value) -> str:
    return f"tensor {tuple(value.shape)}" if torch.is_tensor(value) else type(value).__name__


def _op_of(error) -> str:
    found = re.search(r"output \d+ of (\w+)", str(error))
    return found.group(1) if found else "?"


def _forward(fn, args, name, arg, instead):
    """Call student code; PyTorch's refusal to change a leaf in place becomes a hint."""
    try:
        return fn(*args)
    except RuntimeError as error:
        if LEAF_ERROR in str(error):
            fail(INPUT_CHANGED, fn=name, arg=arg, how=LEAF_REFUSED, instead=instead)
        raise


def _backward(out, grad_out, saved_hint):
    """out.backward(grad_out); PyTorch's complaint about an overwritten saved tensor becomes a hint."""
    try:
        out.backward(grad_out)
    except RuntimeError as error:
        if SAVED_ERROR in str(error):
            fail(saved_hint, saved=SAVED_ERROR, op=_op_of(error))
        raise


def _unchanged(tensor, before_values, before_version, fn, arg, instead):
    if tensor._version != before_version or not close(tensor, before_values, "exact"):
        how = VERSION_MOVED.format(arg=arg, before=before_version, after=tensor._version)
        fail(INPUT_CHANGED, fn=fn, arg=arg, how=how, instead=instead)


def _gradcheck(fn, inputs, name):
    try:
        ok = torch.autograd.gradcheck(fn, inputs, raise_exception=False)
    except RuntimeError as error:
        if SAVED_ERROR in str(error) or LEAF_ERROR in str(error):
            ok = False
        else:
            raise
    check(ok, GRADCHECK, fn=name)


def _result(out, expected, name, case, formula):
    check(torch.is_tensor(out), NOT_TENSOR, fn=name, kind=_kind(out))
    check(close(out, expected, "op"), WRONG_VALUES, fn=name, case=case, actual=brief(out),
          expected=brief(expected), formula=formula)


# ---------------------------------------------------------------- exp_plus_one

EXP_INSTEAD = "torch.exp(t) + 1"


@item("exp_plus_one", points=2)
def test_exp_plus_one_gradient(student, reference):
    exp_plus_one = student()
    t = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    out = _forward(exp_plus_one, (t,), "exp_plus_one", "t", EXP_INSTEAD)
    leaf = t.detach().clone().requires_grad_(True)
    expected = reference()(leaf)
    _result(out, expected, "exp_plus_one", "t of shape (3, 4)", "exp(t) + 1")
    check(out.grad_fn is not None, NO_GRAPH, fn="exp_plus_one", arg="t")
    grad_out = torch.randn_like(expected)
    _backward(out, grad_out, EXP_OUTPUT)
    expected.backward(grad_out)
    check(t.grad is not None and close(t.grad, leaf.grad, "op"), WRONG_GRAD, fn="exp_plus_one", arg="t",
          actual=brief(t.grad) if t.grad is not None else "None", expected=brief(leaf.grad), formula="exp(t) + 1")
    _gradcheck(exp_plus_one, (torch.randn(5, dtype=torch.float64, requires_grad=True),), "exp_plus_one")


@item("exp_plus_one", points=1)
@pytest.mark.parametrize("kind", ["no grad", "inside a graph"])
@names_case("kind")
def test_exp_plus_one_leaves_t_alone(student, reference, kind):
    base = torch.randn(4, 3, requires_grad=kind != "no grad")
    t = base * 1.0 if kind != "no grad" else base
    values, version = t.detach().clone(), t._version
    out = _forward(student(), (t,), "exp_plus_one", "t", EXP_INSTEAD)
    _unchanged(t, values, version, "exp_plus_one", "t", EXP_INSTEAD)
    _result(out, reference()(values), "exp_plus_one", f"t {kind}", "exp(t) + 1")


# ---------------------------------------------------------------- scaled_sigmoid

SIG_INSTEAD = "torch.sigmoid(x) * scale"
SCALES = {
    "scale=2.5": lambda: 2.5,
    "scale a 0-dim tensor that requires grad": lambda: torch.tensor(-1.5, dtype=torch.float64, requires_grad=True),
    "scale of shape (3,) that requires grad": lambda: torch.randn(3, dtype=torch.float64, requires_grad=True),
}


@item("scaled_sigmoid", points=2)
@pytest.mark.parametrize("case", list(SCALES))
@names_case("case")
def test_scaled_sigmoid_gradient(student, reference, case):
    scaled_sigmoid = student()
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    scale = SCALES[case]()
    out = _forward(scaled_sigmoid, (x, scale), "scaled_sigmoid", "x", SIG_INSTEAD)
    x_ref = x.detach().clone().requires_grad_(True)
    scale_ref = scale.detach().clone().requires_grad_(True) if torch.is_tensor(scale) else scale
    expected = reference()(x_ref, scale_ref)
    _result(out, expected, "scaled_sigmoid", f"x of shape (5, 3), {case}", "sigmoid(x) * scale")
    check(out.grad_fn is not None, NO_GRAPH, fn="scaled_sigmoid", arg="x")
    grad_out = torch.randn_like(expected)
    _backward(out, grad_out, SIGMOID_OUTPUT)
    expected.backward(grad_out)
    pairs = [("x", x, x_ref)] + ([("scale", scale, scale_ref)] if torch.is_tensor(scale) else [])
    for name, mine, theirs in pairs:
        check(mine.grad is not None and close(mine.grad, theirs.grad, "op"), WRONG_GRAD, fn="scaled_sigmoid",
              arg=name, actual=brief(mine.grad) if mine.grad is not None else "None", expected=brief(theirs.grad),
              formula="sigmoid(x) * scale")
    inputs = (torch.randn(4, 3, dtype=torch.float64, requires_grad=True),
              SCALES[case]() if torch.is_tensor(scale) else scale)
    _gradcheck(lambda a, s: scaled_sigmoid(a, s), inputs, "scaled_sigmoid")


@item("scaled_sigmoid", points=1)
def test_scaled_sigmoid_leaves_x_alone(student, reference):
    x = torch.randn(6, 2)
    values, version = x.clone(), x._version
    out = _forward(student(), (x, 3.0), "scaled_sigmoid", "x", SIG_INSTEAD)
    _unchanged(x, values, version, "scaled_sigmoid", "x", SIG_INSTEAD)
    _result(out, reference()(values, 3.0), "scaled_sigmoid", "x of shape (6, 2), scale=3.0", "sigmoid(x) * scale")


# ---------------------------------------------------------------- sgd_update_


def _model_with_grads(seed=0):
    """A small model after one backward pass: every parameter holds a gradient."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    x, y = torch.randn(8, 4), torch.randn(8, 2)
    nn.functional.mse_loss(model(x), y).backward()
    return model


def _values(model):
    return [p.detach().clone() for p in model.parameters()]


def _all_close(a, b, kind="op"):
    return len(a) == len(b) and all(close(x, y, kind) for x, y in zip(a, b))


def _cleared(model):
    return all(p.grad is None or not bool(p.grad.any()) for p in model.parameters())


def _call_sgd(sgd_update_, params, lr):
    try:
        return sgd_update_(params, lr)
    except RuntimeError as error:
        if LEAF_ERROR in str(error):
            fail(SGD_OUTSIDE_NO_GRAD)
        raise


@item("sgd_update_", points=2)
@pytest.mark.parametrize("lr", [0.1, 0.5])
@names_case("lr")
def test_sgd_update_moves_the_parameters(student, reference, lr):
    seed = torch.initial_seed() % 1000
    mine, theirs = _model_with_grads(seed), _model_with_grads(seed)
    before = _values(mine)
    memory = [p.data_ptr() for p in mine.parameters()]
    _call_sgd(student(), list(mine.parameters()), lr)
    reference()(list(theirs.parameters()), lr)
    after, expected = _values(mine), _values(theirs)
    if _all_close(after, expected):
        moved = [i for i, (p, ptr) in enumerate(zip(mine.parameters(), memory)) if p.data_ptr() != ptr]
        check(not moved, SGD_NEW_MEMORY, index=moved[0] if moved else 0)
        return
    check(not _all_close(after, before, "exact"), SGD_REBOUND)
    fail(SGD_WRONG, actual=brief(after[0]), expected=brief(expected[0]))


@item("sgd_update_", points=2)
@pytest.mark.parametrize("given", ["list", "model.parameters()"])
@names_case("given")
def test_sgd_update_clears_the_gradients(student, given):
    sgd_update_ = student()
    model = _model_with_grads(torch.initial_seed() % 1000)
    _call_sgd(sgd_update_, list(model.parameters()) if given == "list" else model.parameters(), 0.1)
    if _cleared(model):
        return
    how = Text("", "")
    if given != "list":
        twin = _model_with_grads(torch.initial_seed() % 1000)
        _call_sgd(sgd_update_, list(twin.parameters()), 0.1)
        how = SGD_GENERATOR if _cleared(twin) else how
    fail(SGD_NOT_CLEARED, how=how)


@item("sgd_update_", points=1)
def test_sgd_update_skips_parameters_without_gradient_and_keeps_leaves(student, reference):
    """A frozen layer and an unused layer have no gradient."""
    model = _model_with_grads(torch.initial_seed() % 1000)
    frozen, unused = nn.Linear(2, 2), nn.Linear(3, 1)
    frozen.requires_grad_(False)
    params = list(model.parameters()) + list(frozen.parameters()) + list(unused.parameters())
    flags, values = [p.requires_grad for p in params], [p.detach().clone() for p in params]
    try:
        _call_sgd(student(), params, 0.1)
    except (TypeError, AttributeError) as error:
        if "NoneType" in str(error):
            fail(SGD_NONE_GRAD, error=f"{type(error).__name__}: {str(error)[:120]}")
        raise
    for p, v in zip(params[-4:], values[-4:]):
        check(close(p, v, "exact"), SGD_TOUCHED_NONE)
    for index, (p, flag) in enumerate(zip(params, flags)):
        if p.requires_grad != flag:
            fail(SGD_NOT_LEAF, index=index, what=HAS_REQUIRES_GRAD.format(flag=p.requires_grad))
        if not p.is_leaf or p.grad_fn is not None:
            fail(SGD_NOT_LEAF, index=index, what=NO_LONGER_LEAF)


# ---------------------------------------------------------------- standardize


def _data(dtype=torch.float32):
    """Columns with different means and spreads."""
    return torch.randn(8, 3, dtype=dtype) * torch.tensor([1.0, 3.0, 0.2], dtype=dtype) + torch.tensor(
        [5.0, -2.0, 0.5], dtype=dtype)


EPS = {"eps default": {}, "eps=0.1": {"eps": 0.1}}


@item("standardize", points=2)
@pytest.mark.parametrize("case", list(EPS))
@names_case("case")
def test_standardize_values(student, reference, case):
    x = _data()
    out = student()(x.clone(), **EPS[case])
    expected = reference()(x.clone(), **EPS[case])
    check(torch.is_tensor(out), NOT_TENSOR, fn="standardize", kind=_kind(out))
    if close(out, expected, "op"):
        return
    eps = EPS[case].get("eps", 1e-5)
    unbiased = (x - x.mean(dim=0)) / (x.std(dim=0, correction=1) + eps)
    check(not close(out, unbiased, "op"), STD_UNBIASED, actual=brief(out), expected=brief(expected))
    fail(WRONG_VALUES, fn="standardize", case=f"x of shape (8, 3), {case}", actual=brief(out),
         expected=brief(expected), formula="(x − mean) / (std + eps) over dim 0, std with correction=0")


@item("standardize", points=2)
def test_standardize_works_in_x_when_no_grad(student, reference):
    """Judged by x's memory: it now holds the standardized values, and the result lives there too
    (writing through x.data or a NumPy view of x counts; _version only picks the hint)."""
    x = _data()
    before = x.clone()
    expected = reference()(x.clone())
    pointer, version = x.data_ptr(), x._version
    out = student()(x)
    check(torch.is_tensor(out), NOT_TENSOR, fn="standardize", kind=_kind(out))
    in_x = x.data_ptr() == pointer and close(x, expected, "op")
    if not (in_x and out.data_ptr() == pointer and close(out, expected, "op")):
        written = x._version != version or x.data_ptr() != pointer or not close(x, before, "exact")
        how = STD_X_NOT_RESULT if written else Text("", "")
        fail(STD_NOT_IN_PLACE, how=how)


@item("standardize", points=3)
@pytest.mark.parametrize("kind", ["a leaf", "inside a graph"])
@names_case("kind")
def test_standardize_out_of_place_when_x_requires_grad(student, reference, kind):
    standardize = student()
    leaf = _data(torch.float64).requires_grad_(True)
    x = leaf if kind == "a leaf" else leaf * 1.0
    values, version = x.detach().clone(), x._version
    try:
        out = standardize(x)
    except RuntimeError as error:
        if LEAF_ERROR in str(error):
            fail(STD_LEAF)
        raise
    if x._version != version or not close(x, values, "exact"):
        how = VERSION_MOVED.format(arg="x", before=version, after=x._version)
        fail(STD_CHANGED_X, how=how)
    leaf_ref = values.clone().requires_grad_(True)
    expected = reference()(leaf_ref)
    _result(out, expected, "standardize", f"x {kind} that requires grad", "(x − mean) / (std + eps)")
    check(out.grad_fn is not None, NO_GRAPH, fn="standardize", arg="x")
    grad_out = torch.randn_like(expected)
    _backward(out, grad_out, OTHER_SAVED)
    expected.backward(grad_out)
    check(leaf.grad is not None and close(leaf.grad, leaf_ref.grad, "op"), WRONG_GRAD, fn="standardize", arg="x",
          actual=brief(leaf.grad) if leaf.grad is not None else "None", expected=brief(leaf_ref.grad),
          formula="(x − mean) / (std + eps)")
    _gradcheck(standardize, (_data(torch.float64)[:5].requires_grad_(True),), "standardize")
