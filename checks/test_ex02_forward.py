"""Checks for ex02_forward: linear_forward and the four models' forward passes.

Every model verdict copies the reference model's weights into the submission (matched by
registration order and shape, so an nn.Sequential or other attribute names pass) and compares
the two outputs on the same inputs, with negative values so that the activations matter. To
name the mistake, the submission's output is also compared with outputs computed from the
reference's own layers with one thing changed (an activation left out, added or swapped, a
softmax on the logits); those variants only choose the hint.
"""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from grading.compare import brief, close, max_abs_diff
from grading.models import build, copy_parameters
from grading.text import Text
from grading.verdict import check, fail

item = pytest.mark.item

# ---------------------------------------------------------------- texts: linear_forward

LF_SHAPE = Text(
    "linear_forward(X, w, b) with X {x_shape}, w {w_shape}, b {b_shape} returned {shape}; it must return "
    "shape {want}, that is (N, 1). X @ w already has that shape: do not squeeze it, sum it or transpose w.",
    "linear_forward(X, w, b) com X {x_shape}, w {w_shape}, b {b_shape} devolveu {shape}; deve devolver "
    "formato {want}, ou seja (N, 1). X @ w já tem esse formato: não use squeeze, soma nem transponha w.",
)
LF_NOT_TENSOR = Text(
    "linear_forward must return a tensor; it returned {kind}.",
    "linear_forward deve devolver um tensor; devolveu {kind}.",
)
LF_NO_BIAS = Text(
    "linear_forward returned X @ w without the bias: add b ({actual}, expected {expected}).",
    "linear_forward devolveu X @ w sem o viés: some b ({actual}, esperado {expected}).",
)
LF_MINUS_BIAS = Text(
    "linear_forward returned X @ w − b: the bias is added, not subtracted ({actual}, expected {expected}).",
    "linear_forward devolveu X @ w − b: o viés é somado, não subtraído ({actual}, esperado {expected}).",
)
LF_WRONG = Text(
    "linear_forward with X {x_shape}, w {w_shape}, b {b_shape} returned {actual}, expected X @ w + b = {expected}.",
    "linear_forward com X {x_shape}, w {w_shape}, b {b_shape} devolveu {actual}, esperado X @ w + b = {expected}.",
)
LF_NO_GRAPH = Text(
    "the result of linear_forward is not connected to w and b by autograd (no grad_fn): compute it with "
    "torch operations on the tensors you were given (no .numpy(), .item(), .detach() or torch.tensor(...) copies), "
    "so that training can backpropagate through it.",
    "o resultado de linear_forward não está ligado a w e b pelo autograd (sem grad_fn): calcule-o com "
    "operações do torch nos tensores recebidos (sem .numpy(), .item(), .detach() ou cópias com torch.tensor(...)), "
    "para que o treino consiga retropropagar por ele.",
)
LF_GRAD_WRONG = Text(
    "the gradient of linear_forward's output with respect to {name} is {actual}, expected {expected}: "
    "the result must be exactly X @ w + b, built from the tensors you were given.",
    "o gradiente da saída de linear_forward em relação a {name} é {actual}, esperado {expected}: "
    "o resultado deve ser exatamente X @ w + b, construído com os tensores recebidos.",
)

# ---------------------------------------------------------------- texts: models

NOT_TENSOR = Text(
    "{model}{args}: forward returned {kind}; it must return a tensor.",
    "{model}{args}: forward devolveu {kind}; deve devolver um tensor.",
)
NO_PARAMETERS = Text(
    "{model}{args} has no registered parameters, so an optimizer would find nothing to train: create the "
    "layers in __init__ and store them as attributes (self.fc1 = nn.Linear(...)) or in an nn.Sequential / "
    "nn.ModuleList, not in a plain Python list and not inside forward.",
    "{model}{args} não tem parâmetros registrados, então um otimizador não acharia nada para treinar: crie as "
    "camadas no __init__ e guarde-as como atributos (self.fc1 = nn.Linear(...)) ou num nn.Sequential / "
    "nn.ModuleList, não numa lista comum do Python nem dentro de forward.",
)
ARCH_EXTRA = Text(
    " {model}{args} should be {layers}: build the layers from the constructor's arguments, not from fixed sizes.",
    " {model}{args} deveria ser {layers}: construa as camadas a partir dos argumentos do construtor, não de tamanhos fixos.",
)
ARCH_FIXED = Text(
    " {model}{args} should be {layers}.",
    " {model}{args} deveria ser {layers}.",
)
SHAPE = Text(
    "{model}{args} on an input of shape {in_shape} returned shape {shape}, expected {want}.",
    "{model}{args} com uma entrada de formato {in_shape} devolveu formato {shape}, esperado {want}.",
)
WRONG = Text(
    "{model}{args}, given the reference weights, returned {actual} on inputs of shape {in_shape}, expected "
    "{expected} (largest difference {diff:.3g}). The forward pass should compute {recipe}.",
    "{model}{args}, com os pesos da referência, devolveu {actual} para entradas de formato {in_shape}, esperado "
    "{expected} (maior diferença {diff:.3g}). O forward deveria calcular {recipe}.",
)
MISSING_ACT = Text(
    "{model}{args} returns what the same layers give without the {act} after {layer}: apply {act} to the output "
    "of {layer} before passing it on.{why}",
    "{model}{args} devolve o que as mesmas camadas dão sem a {act} depois de {layer}: aplique {act} à saída "
    "de {layer} antes de seguir adiante.{why}",
)
NO_ACT_AT_ALL = Text(
    "{model}{args} returns what its layers give with no activation between them: apply {act} after {layers}. "
    "Without a non-linearity, stacked Linear layers collapse into a single linear map.",
    "{model}{args} devolve o que suas camadas dão sem nenhuma ativação entre elas: aplique {act} depois de {layers}. "
    "Sem uma não-linearidade, camadas Linear empilhadas equivalem a um único mapa linear.",
)
SWAPPED_ACT = Text(
    "{model}{args} uses {used} after {layer} where the exercise asks for {act}.",
    "{model}{args} usa {used} depois de {layer} onde o exercício pede {act}.",
)
EXTRA_END = Text(
    "{model}{args} applies {used} to the output of {layer}; the last layer's output is returned as it is, "
    "with no activation.{why}",
    "{model}{args} aplica {used} à saída de {layer}; a saída da última camada é devolvida como está, "
    "sem ativação.{why}",
)
WHY_LOGITS = Text(
    " Return raw logits: nn.CrossEntropyLoss applies log-softmax itself, and argmax does not need it.",
    " Devolva os logits crus: nn.CrossEntropyLoss já aplica log-softmax, e o argmax não precisa dele.",
)
WHY_HIDDEN_XOR = Text(
    " Without it the two Linear layers collapse into one linear map, which cannot separate XOR.",
    " Sem ela as duas camadas Linear equivalem a um único mapa linear, que não separa o XOR.",
)
WHY_PROBABILITY = Text(
    " XorNet returns a probability in (0, 1).",
    " XorNet devolve uma probabilidade em (0, 1).",
)
FLATTEN_FAILED = Text(
    "MnistMLP's forward failed on an input of shape {in_shape} ({error}). forward must accept (N, 1, 28, 28), "
    "(N, 28, 28) and (N, 784), N ≥ 1: flatten each image to 784 values keeping the batch dimension, e.g. "
    "x.reshape(x.shape[0], -1), x.view(-1, 784) or nn.Flatten(); squeeze() also removes N when N = 1.",
    "o forward de MnistMLP falhou com uma entrada de formato {in_shape} ({error}). forward deve aceitar "
    "(N, 1, 28, 28), (N, 28, 28) e (N, 784), N ≥ 1: achate cada imagem em 784 valores mantendo a dimensão do "
    "batch, por exemplo x.reshape(x.shape[0], -1), x.view(-1, 784) ou nn.Flatten(); squeeze() também remove N "
    "quando N = 1.",
)
FLATTEN_SHAPE = Text(
    "MnistMLP on an input of shape {in_shape} returned shape {shape}, expected {want}: flatten each image to 784 "
    "values and keep the batch dimension (x.reshape(x.shape[0], -1) or x.view(-1, 784)); flatten() or squeeze() "
    "of the whole batch loses it.",
    "MnistMLP com uma entrada de formato {in_shape} devolveu formato {shape}, esperado {want}: achate cada imagem "
    "em 784 valores e mantenha a dimensão do batch (x.reshape(x.shape[0], -1) ou x.view(-1, 784)); flatten() ou "
    "squeeze() do batch inteiro a perdem.",
)
FLATTEN_WRONG = Text(
    "MnistMLP gives the right logits for (N, 784) inputs but not for an input of shape {in_shape} ({actual}, "
    "expected {expected}): flatten each image row by row into 784 values (x.reshape(x.shape[0], -1)), "
    "without transposing or mixing images.",
    "MnistMLP dá os logits certos para entradas (N, 784) mas não para uma entrada de formato {in_shape} "
    "({actual}, esperado {expected}): achate cada imagem linha a linha em 784 valores "
    "(x.reshape(x.shape[0], -1)), sem transpor nem misturar imagens.",
)

# ---------------------------------------------------------------- model specifications

_ACT_FN = {
    None: lambda t: t,
    "ReLU": F.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda t: F.softmax(t, dim=1),
    "log_softmax": lambda t: F.log_softmax(t, dim=1),
}

SPECS = {
    # layer names as the exercise suggests them, the activation after each layer, the recipe
    "SumNet": dict(names=["fc1", "fc2"], acts=["ReLU", None], recipe="fc2(relu(fc1(x)))"),
    "XorNet": dict(names=["hidden", "output"], acts=["sigmoid", "sigmoid"],
                   recipe="sigmoid(output(sigmoid(hidden(x))))"),
    "MnistMLP": dict(names=["fc1", "fc2", "fc3", "fc4"], acts=["ReLU", "ReLU", "ReLU", None],
                     recipe="fc4(relu(fc3(relu(fc2(relu(fc1(x.reshape(N, 784))))))))"),
    "MLP": dict(names=["fc1", "fc2"], acts=["ReLU", None], recipe="fc2(relu(fc1(x)))"),
}
_WHY_MISSING = {("XorNet", "hidden"): WHY_HIDDEN_XOR, ("XorNet", "output"): WHY_PROBABILITY}
_WHY_EXTRA = {"softmax": WHY_LOGITS, "log_softmax": WHY_LOGITS}


def _chain(layers, acts, x):
    for layer, act in zip(layers, acts):
        x = _ACT_FN[act](layer(x))
    return x


def _variants(model_name, shown):
    """(activations, hint) for every single slip the hint can name."""
    spec = SPECS[model_name]
    names, acts = spec["names"], spec["acts"]
    who = dict(model=model_name, args=shown)
    out = []
    hidden = [i for i, a in enumerate(acts[:-1]) if a is not None]
    if len(hidden) > 1:
        out.append(([None] * (len(acts) - 1) + acts[-1:],
                    NO_ACT_AT_ALL.format(act=acts[hidden[0]], layers=", ".join(names[i] for i in hidden), **who)))
    for i, act in enumerate(acts):
        if act is None:
            continue
        why = _WHY_MISSING.get((model_name, names[i]), Text("", ""))
        out.append((acts[:i] + [None] + acts[i + 1:],
                    MISSING_ACT.format(act=act, layer=names[i], why=why, **who)))
        for used in ("ReLU", "sigmoid", "tanh"):
            if used != act:
                out.append((acts[:i] + [used] + acts[i + 1:],
                            SWAPPED_ACT.format(used=used, layer=names[i], act=act, **who)))
    if acts[-1] is None:
        for used in ("softmax", "log_softmax", "ReLU", "sigmoid"):
            why = _WHY_EXTRA.get(used, Text("", ""))
            out.append((acts[:-1] + [used],
                        EXTRA_END.format(used=used, layer=names[-1], why=why, **who)))
    return out


def _args_text(args: dict) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")"


def _layers_text(ref_model) -> str:
    linears = [m for m in ref_model.modules() if isinstance(m, nn.Linear)]
    return " → ".join(f"Linear({m.in_features}, {m.out_features})" for m in linears)


def _twins(student_cls, reference_cls, model_name, args, device):
    """The reference model and the submission's, holding the same weights, on `device`."""
    theirs = build(reference_cls, **args)
    mine = build(student_cls, **args)
    shown = _args_text(args)
    if not list(mine.parameters()):
        fail(NO_PARAMETERS, model=model_name, args=shown)
    extra = ARCH_EXTRA if args or model_name != "MnistMLP" else ARCH_FIXED
    copy_parameters(theirs, mine, extra.format(model=model_name, args=shown, layers=_layers_text(theirs)))
    return mine.to(device), theirs.to(device)


def _diagnose(model_name, args, theirs, x_flat, actual) -> Text | None:
    layers = [m for m in theirs.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for acts, hint in _variants(model_name, _args_text(args)):
            if close(actual, _chain(layers, acts, x_flat), "op"):
                return hint
    return None


def _mnist_forward(mine, x):
    """MnistMLP's forward on one input layout; a crash there is a flattening problem."""
    try:
        return mine(x.clone())
    except NotImplementedError:
        raise
    except Exception as exc:  # the submission's forward could not take this layout
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")[:200]
        fail(FLATTEN_FAILED, in_shape=tuple(x.shape), error=error)


def _judge(model_name, args, mine, theirs, x, x_flat=None):
    """Fail with the most precise hint unless the submission's output equals the reference's."""
    shown = _args_text(args)
    actual = _mnist_forward(mine, x) if model_name == "MnistMLP" else mine(x)
    with torch.no_grad():
        expected = theirs(x)
    check(torch.is_tensor(actual), NOT_TENSOR, model=model_name, args=shown, kind=type(actual).__name__)
    check(actual.shape == expected.shape, SHAPE, model=model_name, args=shown, in_shape=tuple(x.shape),
          shape=tuple(actual.shape), want=tuple(expected.shape))
    if close(actual, expected, "op"):
        return
    hint = _diagnose(model_name, args, theirs, x if x_flat is None else x_flat, actual.detach())
    if hint is not None:
        fail(hint)
    fail(WRONG, model=model_name, args=shown, actual=brief(actual), expected=brief(expected),
         in_shape=tuple(x.shape), diff=max_abs_diff(actual, expected), recipe=SPECS[model_name]["recipe"])


def _inputs(n, d, device):
    """Inputs of both signs, spread wide enough that every activation changes the output."""
    return (torch.randn(n, d) * 3).to(device)


# ---------------------------------------------------------------- linear_forward

LF_CASES = {
    "N=5, D=3, 0-dim b": (5, 3, ()),
    "N=1, D=4, b of shape (1,)": (1, 4, (1,)),
    "N=7, D=1, 0-dim b": (7, 1, ()),
}


def _lf_inputs(n, d, b_shape, device):
    X = torch.randn(n, d, device=device)
    w = torch.randn(d, 1, device=device)
    b = torch.randn(b_shape, device=device) + 2.0  # far enough from 0 that a lost bias shows
    return X, w, b


@item("linear_forward", points=2)
@pytest.mark.parametrize("case", list(LF_CASES))
def test_linear_forward_matches_reference(student, reference, device, case):
    n, d, b_shape = LF_CASES[case]
    X, w, b = _lf_inputs(n, d, b_shape, device)
    actual = student()(X.clone(), w.clone(), b.clone())
    expected = reference()(X, w, b)
    shapes = dict(x_shape=tuple(X.shape), w_shape=tuple(w.shape), b_shape=tuple(b.shape))
    check(torch.is_tensor(actual), LF_NOT_TENSOR, kind=type(actual).__name__)
    check(actual.shape == expected.shape, LF_SHAPE, shape=tuple(actual.shape), want=tuple(expected.shape), **shapes)
    if close(actual, expected, "op", device):
        return
    found = dict(actual=brief(actual), expected=brief(expected))
    if close(actual, X @ w, "op", device):
        fail(LF_NO_BIAS, **found)
    if close(actual, X @ w - b, "op", device):
        fail(LF_MINUS_BIAS, **found)
    fail(LF_WRONG, **found, **shapes)


@item("linear_forward", points=1)
def test_linear_forward_is_differentiable(student, reference, device):
    grads = []
    inputs = _lf_inputs(6, 3, (), device)
    for fn in (student(), reference()):
        X, w, b = (t.clone().requires_grad_() for t in inputs)
        out = fn(X, w, b)
        check(torch.is_tensor(out) and out.grad_fn is not None, LF_NO_GRAPH)
        weights = torch.linspace(-1, 1, out.numel(), device=device).reshape(out.shape)
        grads.append(torch.autograd.grad((out * weights).sum(), (X, w, b), allow_unused=True))
    for name, g, e in zip(("X", "w", "b"), *grads):
        check(g is not None, LF_NO_GRAPH)
        check(close(g, e, "op", device), LF_GRAD_WRONG, name=name, actual=brief(g), expected=brief(e))


# ---------------------------------------------------------------- SumNet

@item("SumNet", points=2)
def test_sumnet_default(student, reference, device):
    mine, theirs = _twins(student(), reference(), "SumNet", {}, device)
    _judge("SumNet", {}, mine, theirs, _inputs(32, 2, device))


@item("SumNet", points=1)
@pytest.mark.parametrize("args", [{"n_hidden": 7}, {"n_in": 3, "n_hidden": 5, "n_out": 2}], ids=_args_text)
def test_sumnet_sizes(student, reference, device, args):
    mine, theirs = _twins(student(), reference(), "SumNet", args, device)
    _judge("SumNet", args, mine, theirs, _inputs(32, args.get("n_in", 2), device))


# ---------------------------------------------------------------- XorNet

def _xor_inputs(device):
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return torch.cat([corners, torch.randn(28, 2) * 3]).to(device)


@item("XorNet", points=2)
def test_xornet_default(student, reference, device):
    mine, theirs = _twins(student(), reference(), "XorNet", {}, device)
    _judge("XorNet", {}, mine, theirs, _xor_inputs(device))


@item("XorNet", points=1)
@pytest.mark.parametrize("args", [{"n_hidden": 3}, {"n_hidden": 8}], ids=_args_text)
def test_xornet_hidden_size(student, reference, device, args):
    mine, theirs = _twins(student(), reference(), "XorNet", args, device)
    _judge("XorNet", args, mine, theirs, _xor_inputs(device))


# ---------------------------------------------------------------- MnistMLP

@item("MnistMLP", points=2)
def test_mnist_mlp_logits(student, reference, device):
    mine, theirs = _twins(student(), reference(), "MnistMLP", {}, device)
    _judge("MnistMLP", {}, mine, theirs, _inputs(16, 784, device))


LAYOUTS = {"(N, 1, 28, 28)": (1, 28, 28), "(N, 28, 28)": (28, 28), "(N, 784)": (784,)}


@item("MnistMLP", points=2)
@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_mnist_mlp_input_layouts(student, reference, device, layout, n):
    mine, theirs = _twins(student(), reference(), "MnistMLP", {}, device)
    images = _inputs(n, 784, device)
    x = images.reshape(n, *LAYOUTS[layout])
    in_shape = tuple(x.shape)
    actual = _mnist_forward(mine, x)
    with torch.no_grad():
        expected = theirs(x)
    check(torch.is_tensor(actual), NOT_TENSOR, model="MnistMLP", args="()", kind=type(actual).__name__)
    check(actual.shape == expected.shape, FLATTEN_SHAPE, in_shape=in_shape, shape=tuple(actual.shape),
          want=tuple(expected.shape))
    if close(actual, expected, "op"):
        return
    flat_ok = close(_mnist_forward(mine, images), expected, "op")
    if flat_ok:
        fail(FLATTEN_WRONG, in_shape=in_shape, actual=brief(actual), expected=brief(expected))
    _judge("MnistMLP", {}, mine, theirs, x, x_flat=images)


# ---------------------------------------------------------------- MLP

MLP_SIZES = [
    {"input_size": 3, "hidden_size": 5, "output_size": 2},
    {"input_size": 8, "hidden_size": 16, "output_size": 4},
    {"input_size": 1, "hidden_size": 12, "output_size": 3},
]


@item("MLP", points=2)
@pytest.mark.parametrize("args", MLP_SIZES, ids=_args_text)
def test_mlp_matches_reference(student, reference, device, args):
    mine, theirs = _twins(student(), reference(), "MLP", args, device)
    _judge("MLP", args, mine, theirs, _inputs(32, args["input_size"], device))
