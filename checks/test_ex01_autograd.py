"""Checks for ex01_autograd: gradients and gradient descent by autograd.

gradient_descent is also run where the loss barely changes while x still moves, so a loop that
stops early on a plateau shows in the result."""
import pytest
import torch

from grading.compare import brief, close, lowest_precision
from grading.hints import HintUnavailable, hint_only
from grading.text import Text
from grading.training import leaf_update_hint
from grading.verdict import check, fail, names_case

item = pytest.mark.item

WRONG_GRADIENT = Text(
    "gradients({case}) returned {actual}, expected {expected}. Use autograd (backward or "
    "torch.autograd.grad) on the exact function, not a finite-difference estimate.",
    "gradients({case}) devolveu {actual}, esperado {expected}. Use o autograd (backward ou "
    "torch.autograd.grad) na função exata, não uma estimativa por diferenças finitas.",
)
NOT_A_TUPLE = Text(
    "gradients must return a tuple with one gradient per input; it returned {kind}.",
    "gradients deve devolver uma tupla com um gradiente por entrada; devolveu {kind}.",
)
WRONG_META = Text(
    "the gradient for input {index} has shape {shape} and dtype {dtype}; it must match the input: "
    "shape {want_shape}, dtype {want_dtype} (a number gives a 0-dim float32 tensor).",
    "o gradiente da entrada {index} tem formato {shape} e dtype {dtype}; deve ser como a entrada: "
    "formato {want_shape}, dtype {want_dtype} (um número dá um tensor float32 de dimensão 0).",
)
UNUSED_NOT_ZERO = Text(
    "an input that f does not use must get a gradient of zeros, not {actual}. "
    "torch.autograd.grad(..., allow_unused=True) gives None there: replace it with zeros.",
    "uma entrada que f não usa deve receber gradiente zero, não {actual}. "
    "torch.autograd.grad(..., allow_unused=True) dá None nesse caso: troque por zeros.",
)
TOUCHED_CALLER = Text(
    "gradients changed the caller's tensor ({what}). Work on a detached copy "
    "(x.detach().clone().requires_grad_()) so the caller's tensors, requires_grad and .grad stay as they were.",
    "gradients alterou o tensor de quem chamou ({what}). Trabalhe numa cópia desconectada do grafo "
    "(x.detach().clone().requires_grad_()) para que os tensores, requires_grad e .grad de quem chamou fiquem como estavam.",
)
ACCUMULATES = Text(
    "calling gradients twice on the same tensors gave {first} and then {second}: gradients are "
    "accumulating in .grad. Each call must start from fresh gradients.",
    "chamar gradients duas vezes nos mesmos tensores deu {first} e depois {second}: os gradientes "
    "estão se acumulando em .grad. Cada chamada deve começar com gradientes novos.",
)
NOT_DETACHED = Text(
    "the returned gradients still require grad or carry a graph; return them detached (g.detach()).",
    "os gradientes devolvidos ainda exigem grad ou carregam um grafo; devolva-os desconectados do grafo (g.detach()).",
)
GD_WRONG = Text(
    "gradient_descent({case}) returned {actual}, expected {expected}.{why}",
    "gradient_descent({case}) devolveu {actual}, esperado {expected}.{why}",
)
GD_NOT_CLEARED = Text(
    " It matches descent whose gradient is never cleared: clear x.grad after each update "
    "(x.grad = None or x.grad.zero_()).",
    " Bate com uma descida cujo gradiente nunca é limpo: limpe x.grad depois de cada atualização "
    "(x.grad = None ou x.grad.zero_()).",
)
GD_STEPS = Text(
    " It matches {done} steps instead of {asked}: run exactly n_steps updates.",
    " Bate com {done} passos em vez de {asked}: faça exatamente n_steps atualizações.",
)
GD_EARLY = Text(
    " It matches {done} steps instead of {asked}: the loop stopped early (one step short, or a break when the "
    "loss barely changes). Run all n_steps updates, also on a plateau.",
    " Bate com {done} passos em vez de {asked}: o laço parou antes (um passo a menos, ou um break quando a "
    "loss quase não muda). Faça todas as n_steps atualizações, mesmo num platô.",
)
GD_RECORDED = Text(
    "at step {step} f received an x with a grad_fn: the update was recorded by autograd. "
    "Do the update inside `with torch.no_grad():` so x stays a leaf.",
    "no passo {step} f recebeu um x com grad_fn: a atualização foi gravada pelo autograd. "
    "Faça a atualização dentro de `with torch.no_grad():` para que x continue folha.",
)
GD_RESULT = Text(
    "gradient_descent must return x detached, shaped like x0 ({want_shape}, float32 for a number); "
    "it returned shape {shape}, dtype {dtype}, requires_grad={rg}.",
    "gradient_descent deve devolver x desconectado do grafo (detach), com o formato de x0 ({want_shape}, float32 para um número); "
    "devolveu formato {shape}, dtype {dtype}, requires_grad={rg}.",
)
GD_TOUCHED_X0 = Text(
    "gradient_descent modified x0 (now {now}, was {was}); start from a copy (x0.detach().clone()).",
    "gradient_descent modificou x0 (agora {now}, era {was}); comece de uma cópia (x0.detach().clone()).",
)


def _as_tuple(result):
    if not isinstance(result, (tuple, list)):
        fail(NOT_A_TUPLE, kind=type(result).__name__)
    return tuple(result)


def _compare_gradients(gradients, expected_fn, f, inputs, case):
    actual = _as_tuple(gradients(f, *inputs))
    expected = expected_fn(f, *inputs)
    check(len(actual) == len(expected), NOT_A_TUPLE, kind=f"{len(actual)} values for {len(expected)} inputs")
    for index, (a, e) in enumerate(zip(actual, expected)):
        check(torch.is_tensor(a) and a.shape == e.shape and a.dtype == e.dtype, WRONG_META, index=index,
              shape=tuple(getattr(a, "shape", ())), dtype=getattr(a, "dtype", type(a).__name__),
              want_shape=tuple(e.shape), want_dtype=e.dtype)
        check(close(a, e, "op", computed_in=lowest_precision(*inputs)), WRONG_GRADIENT, case=case, actual=brief(a),
              expected=brief(e))
    return actual


CASES = {
    "2x² + 3y³ at (2, 4)": (lambda x, y: 2 * x**2 + 3 * y**3, (2.0, 4.0)),
    "x·y at (-1.5, 0.25)": (lambda x, y: x * y, (-1.5, 0.25)),
    "exp(x) at 10": (lambda x: torch.exp(x), (10.0,)),
}


@item("gradients", points=2)
@pytest.mark.parametrize("case", list(CASES))
@names_case("case")
def test_gradients_of_numbers(student, reference, case):
    f, inputs = CASES[case]
    _compare_gradients(student(), reference(), f, inputs, case)


@item("gradients", points=2)
def test_gradients_of_tensors_keep_shape_and_dtype(student, reference):
    w = torch.randn(2, 3)
    x = torch.randn(3, dtype=torch.float64)
    b = torch.randn(2)
    f = lambda w, x, b: torch.sin(w @ x.float() + b).exp().sum()
    _compare_gradients(student(), reference(), f, (w, x, b), "sum(exp(sin(w @ x + b)))")


@item("gradients", points=1)
def test_gradients_unused_input_gets_zeros(student, reference):
    x, unused = torch.randn(4), torch.randn(2, 2)
    actual = _as_tuple(student()(lambda a, b: (a**2).sum(), x, unused))
    check(len(actual) == 2 and torch.is_tensor(actual[1]), UNUSED_NOT_ZERO, actual=actual[1:] or None)
    check(close(actual[1], torch.zeros(2, 2), "exact"), UNUSED_NOT_ZERO, actual=brief(actual[1]))


@item("gradients", points=2)
def test_gradients_leave_callers_tensors_alone(student):
    gradients = student()
    leaf = torch.randn(3, requires_grad=True)
    leaf.grad = torch.full((3,), 7.0)
    plain = torch.randn(3)
    saved = (leaf.detach().clone(), plain.clone(), leaf.grad.clone(), leaf._version, plain._version)
    gradients(lambda a, b: (a * b).sum(), leaf, plain)
    check(leaf.requires_grad and not plain.requires_grad, TOUCHED_CALLER, what="requires_grad")
    check(plain.grad is None, TOUCHED_CALLER, what=".grad of an input that did not require grad")
    check(leaf.grad is not None and torch.equal(leaf.grad, saved[2]), TOUCHED_CALLER, what=".grad")
    check(torch.equal(leaf.detach(), saved[0]) and torch.equal(plain, saved[1]), TOUCHED_CALLER, what="values")
    check(leaf._version == saved[3] and plain._version == saved[4], TOUCHED_CALLER, what="in-place write")


@item("gradients", points=1)
def test_gradients_do_not_accumulate_and_are_detached(student):
    gradients = student()
    x = torch.randn(3, requires_grad=True)
    f = lambda a: (a**3).sum()
    first = _as_tuple(gradients(f, x))
    second = _as_tuple(gradients(f, x))
    check(close(first[0], second[0], "exact"), ACCUMULATES, first=brief(first[0]), second=brief(second[0]))
    check(all(not g.requires_grad and g.grad_fn is None for g in first + second), NOT_DETACHED)


# ---------------------------------------------------------------- gradient_descent

def _never_cleared(f):
    """f plus a linear term whose gradient is the sum of f's gradients at the earlier points: plain
    descent on it moves x as descent on f does when x.grad is never cleared (each backward adds to
    it). Diagnostic only: the reference itself runs on it, so the check holds no descent of its own."""
    earlier = []

    def f_never_cleared(x):
        value = f(x)
        (grad,) = torch.autograd.grad(value, x, retain_graph=True)
        total = earlier[0] if earlier else torch.zeros_like(grad)
        earlier[:] = [total + grad.detach()]
        return value + (x * total).sum()

    return f_never_cleared


def _same_as(actual, descent, f, x0, lr, n_steps) -> bool:
    """Whether the reference's descent with these arguments gives `actual` (False where the recorded
    answers hold none for this diagnostic)."""
    try:
        return close(actual, descent(f, x0, lr, n_steps), "train")
    except HintUnavailable:
        return False


def _diagnose(actual, descent, f, x0, lr, n_steps) -> Text:
    """The slip that explains `actual`, from the reference asked other questions (only on failure)."""
    with hint_only():
        if n_steps > 1 and _same_as(actual, descent, _never_cleared(f), x0, lr, n_steps):
            return GD_NOT_CLEARED
        for done in (n_steps + 1, *range(n_steps - 1, -1, -1)):
            if _same_as(actual, descent, f, x0, lr, done):
                return (GD_STEPS if done > n_steps else GD_EARLY).format(done=done, asked=n_steps)
    return Text("", "")


class _Spy:
    """Wraps f and notes whether each x it receives carries an autograd history."""

    def __init__(self, f):
        self.f, self.recorded_at = f, None
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        if self.recorded_at is None and getattr(x, "grad_fn", None) is not None:
            self.recorded_at = self.calls
        return self.f(x)


GD_CASES = {
    "(x - 3)², x0=[0, 1, 5], lr=0.1": (lambda x: ((x - 3) ** 2).sum(), [0.0, 1.0, 5.0], 0.1),
    "x⁴ + x, x0=1.5, lr=0.05": (lambda x: (x**4 + x).sum(), 1.5, 0.05),
    # a plateau: the loss changes by 1e-10 a step and the gradient is 1e-8, while x moves by 0.01 a step
    "1e-8·x, x0=[1, -2], lr=1e6": (lambda x: (1e-8 * x).sum(), [1.0, -2.0], 1e6),
}


@item("gradient_descent", points=3)
@pytest.mark.parametrize("n_steps", [1, 2, 3, 10])
@pytest.mark.parametrize("case", list(GD_CASES))
@names_case("case", "n_steps")
def test_gradient_descent_matches_reference(student, reference, case, n_steps):
    f, x0, lr = GD_CASES[case]
    start = torch.tensor(x0) if isinstance(x0, list) else x0
    spy = _Spy(f)
    with leaf_update_hint("gradient_descent"):
        actual = student()(spy, start, lr, n_steps)
    expected = reference()(f, start, lr, n_steps)
    if spy.recorded_at is not None:
        fail(GD_RECORDED, step=spy.recorded_at)
    check(torch.is_tensor(actual), GD_RESULT, want_shape=tuple(expected.shape), shape="-", dtype=type(actual).__name__, rg="-")
    if not close(actual, expected, "train"):
        why = _diagnose(actual, reference(), f, start, lr, n_steps)
        fail(GD_WRONG, case=f"{case}, n_steps={n_steps}", actual=brief(actual), expected=brief(expected), why=why)


@item("gradient_descent", points=2)
def test_gradient_descent_result_and_x0(student, reference):
    gradient_descent = student()
    x0 = torch.tensor([4.0, -2.0], requires_grad=True)
    saved = x0.detach().clone()
    for start in (x0, 5.0):
        with leaf_update_hint("gradient_descent"):
            out = gradient_descent(lambda x: (x**2).sum(), start, 0.1, 3)
        want = reference()(lambda x: (x**2).sum(), start, 0.1, 3)
        ok = torch.is_tensor(out) and out.shape == want.shape and out.dtype == want.dtype
        check(ok and not out.requires_grad and out.grad_fn is None, GD_RESULT, want_shape=tuple(want.shape),
              shape=tuple(getattr(out, "shape", ())), dtype=getattr(out, "dtype", type(out).__name__),
              rg=getattr(out, "requires_grad", "-"))
    check(torch.equal(x0.detach(), saved) and x0.grad is None, GD_TOUCHED_X0, now=brief(x0), was=brief(saved))


@item("gradient_descent", points=1)
def test_gradient_descent_contract_example(student, reference):
    """The curriculum's example: x² from 5.0 with lr 0.1 for 100 steps."""
    f = lambda x: x**2
    with leaf_update_hint("gradient_descent"):
        actual = student()(f, 5.0, 0.1, 100)
    expected = reference()(f, 5.0, 0.1, 100)
    if not close(actual, expected, "train"):
        why = _diagnose(actual, reference(), f, 5.0, 0.1, 100)
        fail(GD_WRONG, case="x², 5.0, 0.1, 100", actual=brief(actual), expected=brief(expected), why=why)
