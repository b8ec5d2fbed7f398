"""Checks for ex07_projects: reproducibility, device choice, loaders over the shipped data and
three small projects judged on held-out data.

Each function is graded on its own. While a train_* function runs, the submission's helpers
(set_seed, get_device, the loaders, mnist_datasets) and its model classes from ex02 are
swapped for the reference's, so a slip there costs only that item's points, not the project's.
The trained models are judged on the shipped test data by the check itself; their architecture
is matched against the reference classes.

torchvision is imported only by the MNIST checks.
"""
import math
import numbers
import os
import random

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from grading.compare import all_finite, brief, close
from grading.data import datasets_dir
from grading.models import copy_parameters
from grading.text import Text
from grading.verdict import CheckFailed, check, fail

item = pytest.mark.item
MODULE = "ex07_projects"

# The contract's targets (the specification, not tolerances).
SUM_TEST_MSE_BELOW = 0.01
XOR_MARGIN_AT_LEAST = 0.3
MNIST_ACCURACY_AT_LEAST = 0.90
# The accuracy a submission reports may differ from the check's by a few test images whose
# prediction flips with the device or the batch size used to evaluate.
MNIST_REPORT_SLACK = 0.01
# Contract: train_mnist finishes in under 60 s on a 2-core CPU (the reference takes a few).
MNIST_TIMEOUT_S = 60

# ---------------------------------------------------------------- hints

NOT_SEEDED = Text(
    "after set_seed(7), {generator} gave {first}; after another set_seed(7) it gave {second}. "
    "set_seed must seed {generator} too: {how}.",
    "depois de set_seed(7), {generator} deu {first}; depois de outro set_seed(7) deu {second}. "
    "set_seed também deve semear {generator}: {how}.",
)
SAME_FOR_EVERY_SEED = Text(
    "set_seed(7) and set_seed(8) give the same {generator} numbers ({first}): seed with the "
    "argument `seed`, not a fixed number.",
    "set_seed(7) e set_seed(8) dão os mesmos números de {generator} ({first}): semeie com o "
    "argumento `seed`, não com um número fixo.",
)
HASHSEED = Text(
    "after set_seed(5), os.environ['PYTHONHASHSEED'] is {actual}; it must be the string '5': "
    "os.environ['PYTHONHASHSEED'] = str(seed).",
    "depois de set_seed(5), os.environ['PYTHONHASHSEED'] é {actual}; deve ser a string '5': "
    "os.environ['PYTHONHASHSEED'] = str(seed).",
)
CUDNN = Text(
    "on a machine with CUDA, after set_seed torch.backends.cudnn.deterministic is {det}, "
    "torch.are_deterministic_algorithms_enabled() is {algos} and torch.backends.cudnn.benchmark is {bench}: "
    "make cuDNN deterministic (torch.backends.cudnn.deterministic = True, or "
    "torch.use_deterministic_algorithms(True)) and switch benchmarking off (torch.backends.cudnn.benchmark = False).",
    "numa máquina com CUDA, depois de set_seed torch.backends.cudnn.deterministic é {det}, "
    "torch.are_deterministic_algorithms_enabled() é {algos} e torch.backends.cudnn.benchmark é {bench}: "
    "torne o cuDNN determinístico (torch.backends.cudnn.deterministic = True, ou "
    "torch.use_deterministic_algorithms(True)) e desligue o benchmark (torch.backends.cudnn.benchmark = False).",
)
NOT_A_DEVICE = Text(
    "get_device must return a torch.device (for example torch.device('cuda')), not {kind}.",
    "get_device deve devolver um torch.device (por exemplo torch.device('cuda')), não {kind}.",
)
WRONG_DEVICE = Text(
    "on {machine}, get_device() returned {actual}; expected {expected}. Ask "
    "torch.cuda.is_available() first, then torch.backends.mps.is_available(), else use the CPU.",
    "em {machine}, get_device() devolveu {actual}; esperado {expected}. Pergunte "
    "torch.cuda.is_available() primeiro, depois torch.backends.mps.is_available(), senão use a CPU.",
)
NOT_A_LOADER = Text(
    "{call} must return a torch.utils.data.DataLoader, not {kind}.",
    "{call} deve devolver um torch.utils.data.DataLoader, não {kind}.",
)
NOT_PAIRS = Text(
    "each batch of {call} must be a pair (inputs, targets) of tensors; got {kind}. A "
    "TensorDataset(inputs, targets) gives such pairs.",
    "cada batch de {call} deve ser um par (entradas, alvos) de tensores; veio {kind}. Um "
    "TensorDataset(entradas, alvos) dá esses pares.",
)
WRONG_DTYPE = Text(
    "{call}: a batch has inputs of dtype {xdtype} and targets of dtype {ydtype}; both must be "
    "torch.float32 (dtype=torch.float32 or .float()).",
    "{call}: um batch tem entradas de dtype {xdtype} e alvos de dtype {ydtype}; os dois devem ser "
    "torch.float32 (dtype=torch.float32 ou .float()).",
)
WRONG_SHAPE = Text(
    "{call}: a batch has inputs of shape {xshape} and targets of shape {yshape}; expected "
    "({n}, 2) and ({n}, 1). Keep each target as a column of one value (shape (N, 1), not (N,)).",
    "{call}: um batch tem entradas de formato {xshape} e alvos de formato {yshape}; esperado "
    "({n}, 2) e ({n}, 1). Mantenha cada alvo como uma coluna de um valor (formato (N, 1), não (N,)).",
)
WRONG_BATCHES = Text(
    "{call} gave batches of sizes {sizes}; expected {expected}: pass batch_size to the DataLoader.",
    "{call} deu batches de tamanhos {sizes}; esperado {expected}: passe batch_size ao DataLoader.",
)
XOR_PAIRS = Text(
    "{call} gave the pairs {actual} (input → target); expected the four XOR pairs {expected}, "
    "each once per pass.",
    "{call} deu os pares {actual} (entrada → alvo); esperado os quatro pares do XOR {expected}, "
    "cada um uma vez por passada.",
)
SUM_COUNT = Text(
    "{call} gave {actual} rows; sum_pairs/{split}.csv has {expected} (every row but the header).",
    "{call} deu {actual} linhas; sum_pairs/{split}.csv tem {expected} (todas as linhas menos o cabeçalho).",
)
SUM_ROW = Text(
    "{call}: row {row} is inputs {x} → target {y}; the file's row {row} is a={a}, b={b}, sum={s}. "
    "Read datasets_dir()/sum_pairs/{split}.csv in order, skip its header, inputs (a, b), target sum.",
    "{call}: a linha {row} é entradas {x} → alvo {y}; a linha {row} do arquivo é a={a}, b={b}, sum={s}. "
    "Leia datasets_dir()/sum_pairs/{split}.csv em ordem, pule o cabeçalho, entradas (a, b), alvo sum.",
)
SUM_ORDER = Text(
    " The same rows are all there, in another order: with shuffle=False keep the file's order "
    "(pass shuffle=shuffle to the DataLoader).",
    " As mesmas linhas estão lá, em outra ordem: com shuffle=False mantenha a ordem do arquivo "
    "(passe shuffle=shuffle ao DataLoader).",
)
SUM_SET = Text(
    "{call} does not give every row of sum_pairs/{split}.csv exactly once per pass.",
    "{call} não dá cada linha de sum_pairs/{split}.csv exatamente uma vez por passada.",
)
NOT_SHUFFLED = Text(
    "{call} gave the rows in the file's order: with shuffle=True the DataLoader must shuffle them.",
    "{call} deu as linhas na ordem do arquivo: com shuffle=True o DataLoader deve embaralhá-las.",
)
MNIST_NOT_PAIR = Text(
    "mnist_datasets must return (train, test), two datasets; it returned {kind}.",
    "mnist_datasets deve devolver (train, test), dois datasets; devolveu {kind}.",
)
MNIST_LENGTH = Text(
    "mnist_datasets: the {split} set has {actual} images; the shipped {split} split has {expected}.{why}",
    "mnist_datasets: o conjunto de {split} tem {actual} imagens; a parte de {split} do kit tem {expected}.{why}",
)
MNIST_SWAPPED = Text(
    " Train and test are swapped: train=True gives the train split.",
    " Treino e teste estão trocados: train=True dá a parte de treino.",
)
MNIST_ITEM = Text(
    "mnist_datasets: {split}[{index}] must be (image, label) with the image a float32 tensor of "
    "shape (1, 28, 28); got {got}. Use transforms.ToTensor() (then Normalize).",
    "mnist_datasets: {split}[{index}] deve ser (imagem, rótulo) com a imagem um tensor float32 de "
    "formato (1, 28, 28); veio {got}. Use transforms.ToTensor() (depois Normalize).",
)
MNIST_LABEL = Text(
    "mnist_datasets: {split}[{index}] has label {actual}, expected {expected}: read the shipped "
    "files in their order with torchvision.datasets.MNIST.",
    "mnist_datasets: {split}[{index}] tem rótulo {actual}, esperado {expected}: leia os arquivos "
    "do kit na ordem deles com torchvision.datasets.MNIST.",
)
MNIST_PIXELS = Text(
    "mnist_datasets: the pixels of {split}[{index}] lie in [{lo:.3f}, {hi:.3f}] with mean {mean:.3f}; "
    "expected [{want_lo:.3f}, {want_hi:.3f}] with mean {want_mean:.3f}, as given by ToTensor() and "
    "then Normalize((0.1307,), (0.3081,)).{why}",
    "mnist_datasets: os pixels de {split}[{index}] ficam em [{lo:.3f}, {hi:.3f}] com média {mean:.3f}; "
    "esperado [{want_lo:.3f}, {want_hi:.3f}] com média {want_mean:.3f}, como dão ToTensor() e "
    "depois Normalize((0.1307,), (0.3081,)).{why}",
)
MNIST_NO_NORMALIZE = Text(
    " These are ToTensor()'s values in [0, 1]: the Normalize step is missing.",
    " Estes são os valores de ToTensor() em [0, 1]: falta o passo Normalize.",
)
MNIST_ROOT_IGNORED = Text(
    "mnist_datasets(root=...) must read MNIST/raw/ under the folder it is given; {what}.",
    "mnist_datasets(root=...) deve ler MNIST/raw/ dentro da pasta recebida; {what}.",
)
MNIST_DOWNLOADS = Text(
    "mnist_datasets tried to download MNIST: pass download=False, the data ships with the kit.",
    "mnist_datasets tentou baixar o MNIST: passe download=False, os dados vêm com o kit.",
)
NOT_A_MODEL = Text(
    "{call} must return the trained {cls} (an nn.Module); it returned {kind}.",
    "{call} deve devolver a {cls} treinada (um nn.Module); devolveu {kind}.",
)
NOT_FINITE = Text(
    "the model returned by {call} has nan or inf weights: training diverged, the learning rate is "
    "far too large.",
    "o modelo devolvido por {call} tem pesos nan ou inf: o treino divergiu, a taxa de aprendizado "
    "está grande demais.",
)
ARCH_NOTE = Text(" ({call} must train a {cls} from ex02_forward.)", " ({call} deve treinar uma {cls} de ex02_forward.)")
SUM_MSE = Text(
    "train_sum_net(seed=0): the mean squared error on the test pairs is {test:.4g} (on the train "
    "pairs {train:.4g}); it must be below {need}.{why}",
    "train_sum_net(seed=0): o erro quadrático médio nos pares de teste é {test:.4g} (nos pares de "
    "treino {train:.4g}); deve ficar abaixo de {need}.{why}",
)
UNDERTRAINED = Text(
    " The net has not learned the training data yet: train for more epochs, or raise a learning "
    "rate that is too small.",
    " A rede ainda não aprendeu os dados de treino: treine por mais épocas, ou aumente uma taxa "
    "de aprendizado pequena demais.",
)
DIVERGED = Text(
    " The error blew up: training diverged, lower the learning rate.",
    " O erro explodiu: o treino divergiu, diminua a taxa de aprendizado.",
)
OVERFIT = Text(
    " It fits the train pairs but not the test pairs: train on the train split and stop earlier.",
    " Ela se ajusta aos pares de treino mas não aos de teste: treine na parte de treino e pare antes.",
)
XOR_MARGIN = Text(
    "train_xor_net(seed=0): the outputs for {inputs} are {outputs} (targets {targets}); each must "
    "sit at least {need} from 0.5 on the right side (≤ {low} for 0, ≥ {high} for 1), the weakest "
    "is {weakest:.3f} away.{why}",
    "train_xor_net(seed=0): as saídas para {inputs} são {outputs} (alvos {targets}); cada uma deve "
    "ficar a pelo menos {need} de 0.5 do lado certo (≤ {low} para 0, ≥ {high} para 1), a mais fraca "
    "está a {weakest:.3f}.{why}",
)
XOR_FLAT = Text(
    " The four outputs are nearly equal: the net has not learned yet. Train longer or with a larger "
    "learning rate (Adam with lr 0.1 for a few hundred full-batch epochs works), and keep the sigmoid "
    "after the hidden layer: without it the net is linear and cannot learn XOR.",
    " As quatro saídas são quase iguais: a rede ainda não aprendeu. Treine mais ou com taxa de "
    "aprendizado maior (Adam com lr 0.1 por algumas centenas de épocas com o batch inteiro funciona), e "
    "mantenha a sigmoid depois da camada escondida: sem ela a rede é linear e não aprende XOR.",
)
XOR_SHORT = Text(
    " Train longer or with a larger learning rate.",
    " Treine por mais tempo ou com taxa de aprendizado maior.",
)
NOT_REPRODUCIBLE = Text(
    "two calls of {call} gave different weights (largest difference {diff:.3g}): call "
    "set_seed(seed) first, before building the model and the loader.",
    "duas chamadas de {call} deram pesos diferentes (maior diferença {diff:.3g}): chame "
    "set_seed(seed) primeiro, antes de criar o modelo e o loader.",
)
MNIST_RESULT = Text(
    "train_mnist must return (model, info) with info a dict; it returned {kind}.",
    "train_mnist deve devolver (model, info) com info um dict; devolveu {kind}.",
)
MNIST_ACCURACY = Text(
    "train_mnist(seed=0): accuracy on the shipped test split is {acc:.3f} ({correct}/{total} images); "
    "it must reach {need}. Its train_losses: {losses}.{why}",
    "train_mnist(seed=0): a acurácia na parte de teste do kit é {acc:.3f} ({correct}/{total} imagens); "
    "deve chegar a {need}. Seus train_losses: {losses}.{why}",
)
MNIST_SHORT = Text(
    " The loss was still falling: train for more epochs (or with a larger learning rate).",
    " A perda ainda estava caindo: treine por mais épocas (ou com taxa de aprendizado maior).",
)
MNIST_SLOW = Text(
    " The loss barely moved: the learning rate is too small (SGD with lr around 0.01–0.05 and "
    "momentum 0.9 works).",
    " A perda quase não mudou: a taxa de aprendizado é pequena demais (SGD com lr perto de "
    "0.01–0.05 e momentum 0.9 funciona).",
)
MNIST_LOGITS = Text(
    "the model from train_mnist gives outputs of shape {shape} for {n} test images; expected ({n}, 10).",
    "o modelo de train_mnist dá saídas de formato {shape} para {n} imagens de teste; esperado ({n}, 10).",
)
MNIST_INFO_KEYS = Text(
    "train_mnist's info dict must hold 'test_accuracy' and 'train_losses'; it has {keys}.",
    "o dict info de train_mnist deve ter 'test_accuracy' e 'train_losses'; ele tem {keys}.",
)
MNIST_CLAIM = Text(
    "train_mnist reports test_accuracy {claimed}, but on the shipped test split its model classifies "
    "{measured:.3f} of the images right: report the fraction (0 to 1) of test images whose argmax "
    "equals the label, measured on mnist_datasets()'s test set after training.",
    "train_mnist informa test_accuracy {claimed}, mas na parte de teste do kit seu modelo acerta "
    "{measured:.3f} das imagens: informe a fração (0 a 1) de imagens de teste cujo argmax é o "
    "rótulo, medida no conjunto de teste de mnist_datasets() depois do treino.",
)
MNIST_CLAIM_TYPE = Text(
    "train_mnist's test_accuracy must be a Python float (a tensor's .item()); got {got}.",
    "test_accuracy de train_mnist deve ser um float do Python (o .item() de um tensor); veio {got}.",
)
MNIST_LOSSES = Text(
    "train_mnist's train_losses must be a non-empty list of finite Python floats, one per epoch; "
    "got {got}.",
    "train_losses de train_mnist deve ser uma lista não vazia de floats finitos do Python, um por "
    "época; veio {got}.",
)

NO_WHY = Text("", "")
BATCHES_OF = Text("batches of {size}, the last one {last}", "batches de {size}, o último com {last}")
A_TENSOR = Text("a {dtype} tensor of shape {shape}", "um tensor {dtype} de formato {shape}")
AN_OBJECT = Text("a {kind}", "um {kind}")
NOT_A_PAIR = Text(" instead of a pair", " em vez de um par")
VALUES_OF_TYPES = Text("{n} values of types {types}", "{n} valores dos tipos {types}")


def _kind(value) -> Text:
    """How a wrong return value is named in a hint."""
    if isinstance(value, (tuple, list)):
        return VALUES_OF_TYPES.format(n=len(value), types=[type(v).__name__ for v in value])
    return Text(type(value).__name__, type(value).__name__)
ROOT_RAISED = Text("with a valid root it raised {error}", "com uma raiz válida lançou {error}")
ROOT_ELSEWHERE = Text(
    "given a folder holding {n_train} train and {n_test} test images it returned {train} and {test}",
    "com uma pasta de {n_train} imagens de treino e {n_test} de teste devolveu {train} e {test}",
)

# ---------------------------------------------------------------- set_seed


@pytest.fixture
def global_state(monkeypatch):
    """set_seed changes process-wide state: put PYTHONHASHSEED (and CUBLAS_WORKSPACE_CONFIG, which
    deterministic algorithms ask for), cuDNN's flags and torch.use_deterministic_algorithms back afterwards."""
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    algorithms = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    torch.use_deterministic_algorithms(False)
    yield monkeypatch
    torch.use_deterministic_algorithms(algorithms[0], warn_only=algorithms[1])


def _pretend(monkeypatch, cuda: bool, mps: bool) -> None:
    """Make torch report the given accelerators (nothing runs on them)."""
    accelerator = torch.device("cuda") if cuda else torch.device("mps") if mps else None
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1 if cuda else 0)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: mps)
    if hasattr(getattr(torch, "mps", None), "is_available"):
        monkeypatch.setattr(torch.mps, "is_available", lambda: mps)
    acc = getattr(torch, "accelerator", None)
    if acc is not None and hasattr(acc, "is_available"):
        monkeypatch.setattr(acc, "is_available", lambda: accelerator is not None)
    if acc is not None and hasattr(acc, "current_accelerator"):
        monkeypatch.setattr(acc, "current_accelerator", lambda check_available=False: accelerator)


GENERATORS = {
    "torch": (lambda: [round(v, 6) for v in torch.rand(3).tolist()], torch.manual_seed, "torch.manual_seed(seed)"),
    "random": (lambda: [round(random.random(), 6) for _ in range(3)], random.seed, "random.seed(seed)"),
    "numpy": (lambda: [round(float(v), 6) for v in np.random.rand(3)], np.random.seed, "np.random.seed(seed)"),
}


@item("set_seed", points=2)
@pytest.mark.parametrize("generator", list(GENERATORS))
def test_set_seed_repeats_each_generator(student, global_state, generator):
    set_seed = student()
    draw, scramble, how = GENERATORS[generator]
    scramble(1111)
    set_seed(7)
    first = draw()
    scramble(2222)
    set_seed(7)
    second = draw()
    check(first == second, NOT_SEEDED, generator=generator, first=first, second=second, how=how)
    scramble(3333)
    set_seed(8)
    check(draw() != first, SAME_FOR_EVERY_SEED, generator=generator, first=first)


@item("set_seed", points=1)
def test_set_seed_hash_seed_and_cudnn(student, global_state):
    _pretend(global_state, cuda=True, mps=False)  # lesson-style `if torch.cuda.is_available():` code counts
    student()(5)
    actual = os.environ.get("PYTHONHASHSEED")
    check(actual == "5", HASHSEED, actual=repr(actual) if actual is not None else "unset")
    det, bench = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    algos = torch.are_deterministic_algorithms_enabled()
    check((det is True or algos) and bench is False, CUDNN, det=det, algos=algos, bench=bench)


# ---------------------------------------------------------------- get_device

MACHINES = {
    "cuda": (True, False, Text("a machine with CUDA", "uma máquina com CUDA")),
    "cuda+mps": (True, True, Text("a machine with CUDA and MPS", "uma máquina com CUDA e MPS")),
    "mps": (False, True, Text("a machine with MPS but no CUDA", "uma máquina com MPS mas sem CUDA")),
    "cpu": (False, False, Text("a machine with neither CUDA nor MPS", "uma máquina sem CUDA nem MPS")),
}
THIS_MACHINE = Text("this machine", "esta máquina")


@item("get_device", points=2)
@pytest.mark.parametrize("machine", list(MACHINES))
def test_get_device_prefers_cuda_then_mps(student, reference, monkeypatch, machine):
    cuda, mps, described = MACHINES[machine]
    _pretend(monkeypatch, cuda=cuda, mps=mps)
    actual = student()()
    expected = reference()()
    check(isinstance(actual, torch.device), NOT_A_DEVICE, kind=repr(actual))
    check(actual.type == expected.type, WRONG_DEVICE, machine=described, actual=repr(actual), expected=repr(expected))


@item("get_device", points=1)
def test_get_device_on_this_machine(student, reference):
    actual, expected = student()(), reference()()
    check(isinstance(actual, torch.device), NOT_A_DEVICE, kind=repr(actual))
    check(actual.type == expected.type, WRONG_DEVICE, machine=THIS_MACHINE, actual=repr(actual), expected=repr(expected))


# ---------------------------------------------------------------- loaders

def _batches(loader, call: str) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """Every batch checked for form; returns all inputs, all targets (in the order given) and the
    batch sizes."""
    check(isinstance(loader, DataLoader), NOT_A_LOADER, call=call, kind=type(loader).__name__)
    xs, ys, sizes = [], [], []
    for batch in loader:
        ok = isinstance(batch, (list, tuple)) and len(batch) == 2 and all(torch.is_tensor(t) for t in batch)
        check(ok, NOT_PAIRS, call=call, kind=_kind(batch))
        x, y = batch
        check(x.dtype == torch.float32 and y.dtype == torch.float32, WRONG_DTYPE, call=call, xdtype=x.dtype, ydtype=y.dtype)
        n = x.shape[0] if x.dim() else 0
        check(x.shape == (n, 2) and y.shape == (n, 1), WRONG_SHAPE, call=call, xshape=tuple(x.shape),
              yshape=tuple(y.shape), n=n)
        xs.append(x)
        ys.append(y)
        sizes.append(n)
    return torch.cat(xs) if xs else torch.zeros(0, 2), torch.cat(ys) if ys else torch.zeros(0, 1), sizes


def _expected_sizes(total: int, batch_size: int) -> list[int]:
    return [min(batch_size, total - start) for start in range(0, total, batch_size)]


def _sorted_rows(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    rows = torch.cat([x, y], dim=1).tolist()
    return torch.tensor(sorted(map(tuple, rows)), dtype=torch.float32).reshape(-1, 3)


def _pairs_text(x, y) -> str:
    return ", ".join(f"({a:g}, {b:g}) → {t:g}" for (a, b), (t,) in zip(x.tolist(), y.tolist()))


@item("xor_loader", points=2)
@pytest.mark.parametrize("batch_size, shuffle", [(1, False), (4, False), (2, True)])
def test_xor_loader_gives_the_four_pairs(student, reference, batch_size, shuffle):
    call = f"xor_loader(batch_size={batch_size}, shuffle={shuffle})"
    want_x, want_y, _ = _batches(reference()(batch_size=4, shuffle=False), "reference")
    x, y, sizes = _batches(student()(batch_size=batch_size, shuffle=shuffle), call)
    expected = _expected_sizes(len(want_x), batch_size)
    check(sizes == expected, WRONG_BATCHES, call=call, sizes=sizes, expected=expected)
    check(close(_sorted_rows(x, y), _sorted_rows(want_x, want_y), "op"), XOR_PAIRS, call=call,
          actual=_pairs_text(x, y), expected=_pairs_text(want_x, want_y))


@pytest.fixture(scope="module")
def _ref_rows_cache():
    return {}


def _reference_rows(reference, split, cache):
    if split not in cache:
        cache[split] = _batches(reference("sum_pairs_loader")(split, batch_size=1000, shuffle=False), "reference")[:2]
    return cache[split]


@item("sum_pairs_loader", points=2)
@pytest.mark.parametrize("split", ["train", "test"])
def test_sum_pairs_loader_reads_the_file_in_order(student, reference, _ref_rows_cache, split):
    call = f"sum_pairs_loader({split!r}, batch_size=16, shuffle=False)"
    want_x, want_y = _reference_rows(reference, split, _ref_rows_cache)
    x, y, sizes = _batches(student()(split, batch_size=16, shuffle=False), call)
    check(len(x) == len(want_x), SUM_COUNT, call=call, actual=len(x), split=split, expected=len(want_x))
    check(sizes == _expected_sizes(len(want_x), 16), WRONG_BATCHES, call=call, sizes=sizes[:5] + ["…"] * (len(sizes) > 5),
          expected=BATCHES_OF.format(size=16, last=_expected_sizes(len(want_x), 16)[-1]))
    got, want = torch.cat([x, y], 1), torch.cat([want_x, want_y], 1)
    if not close(got, want, "op"):
        row = int((~torch.isclose(got, want)).any(dim=1).nonzero()[0])
        same_rows = close(_sorted_rows(x, y), _sorted_rows(want_x, want_y), "op")
        a, b, s = want[row].tolist()
        fail(SUM_ROW.format(call=call, row=row, x=brief(x[row]), y=brief(y[row]), a=f"{a:g}", b=f"{b:g}",
                            s=f"{s:g}", split=split) + (SUM_ORDER if same_rows else NO_WHY))


@item("sum_pairs_loader", points=1)
def test_sum_pairs_loader_defaults_shuffle_and_batch_size(student, reference, _ref_rows_cache):
    for split, args, call, batch_size in (
        ("train", (), "sum_pairs_loader()", 16),
        ("test", ("test", 50, True), "sum_pairs_loader('test', batch_size=50, shuffle=True)", 50),
    ):
        want_x, want_y = _reference_rows(reference, split, _ref_rows_cache)
        x, y, sizes = _batches(student()(*args), call)
        check(len(x) == len(want_x), SUM_COUNT, call=call, actual=len(x), split=split, expected=len(want_x))
        expected = _expected_sizes(len(want_x), batch_size)
        check(sizes == expected, WRONG_BATCHES, call=call, sizes=sizes[:5] + ["…"] * (len(sizes) > 5),
              expected=BATCHES_OF.format(size=batch_size, last=expected[-1]))
        check(close(_sorted_rows(x, y), _sorted_rows(want_x, want_y), "op"), SUM_SET, call=call, split=split)
        check(not close(torch.cat([x, y], 1), torch.cat([want_x, want_y], 1), "op"), NOT_SHUFFLED, call=call)


# ---------------------------------------------------------------- mnist_datasets

def _as_pair(result):
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        fail(MNIST_NOT_PAIR, kind=_kind(result))
    return result


def _sample_indices(n: int) -> list[int]:
    return sorted({0, 1, n // 3, n // 2, n - 1}) if n else []


@item("mnist_datasets", points=2)
def test_mnist_datasets_match_torchvision(student, reference):
    train, test = _as_pair(student()())
    ref_train, ref_test = reference()()
    for split, theirs, want, other in (("train", train, ref_train, ref_test), ("test", test, ref_test, ref_train)):
        n = len(theirs)
        why = MNIST_SWAPPED if n == len(other) != len(want) else NO_WHY
        check(n == len(want), MNIST_LENGTH, split=split, actual=n, expected=len(want), why=why)
        for index in _sample_indices(len(want)):
            sample, (want_image, want_label) = theirs[index], want[index]
            pair = isinstance(sample, (tuple, list)) and len(sample) == 2
            image = sample[0] if pair else sample
            ok = pair and torch.is_tensor(image) and image.dtype == torch.float32 and tuple(image.shape) == (1, 28, 28)
            got = (A_TENSOR.format(dtype=image.dtype, shape=tuple(image.shape)) if torch.is_tensor(image)
                   else AN_OBJECT.format(kind=type(image).__name__)) + (NO_WHY if pair else NOT_A_PAIR)
            check(ok, MNIST_ITEM, split=split, index=index, got=got)
            label = sample[1]
            label = int(label) if isinstance(label, numbers.Integral) or (torch.is_tensor(label) and label.numel() == 1) else label
            check(label == want_label, MNIST_LABEL, split=split, index=index, actual=label, expected=want_label)
            if not close(image, want_image, "op"):
                raw = want.data[index].to(torch.float32) / 255  # what ToTensor() alone gives
                why = MNIST_NO_NORMALIZE if close(image, raw.unsqueeze(0), "op") else NO_WHY
                fail(MNIST_PIXELS, split=split, index=index, lo=float(image.min()), hi=float(image.max()),
                     mean=float(image.mean()), want_lo=float(want_image.min()), want_hi=float(want_image.max()),
                     want_mean=float(want_image.mean()), why=why)


def _mini_mnist(folder, n_train: int, n_test: int) -> None:
    """A valid MNIST/raw/ holding the first images of the shipped files, to tell roots apart."""
    source = datasets_dir() / "MNIST" / "raw"
    target = folder / "MNIST" / "raw"
    target.mkdir(parents=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = (source / f"{prefix}-images-idx3-ubyte").read_bytes()
        labels = (source / f"{prefix}-labels-idx1-ubyte").read_bytes()
        (target / f"{prefix}-images-idx3-ubyte").write_bytes(
            images[:4] + n.to_bytes(4, "big") + images[8:16] + images[16:16 + n * 784])
        (target / f"{prefix}-labels-idx1-ubyte").write_bytes(labels[:4] + n.to_bytes(4, "big") + labels[8:8 + n])


@item("mnist_datasets", points=1)
def test_mnist_datasets_root_and_no_download(student, monkeypatch, tmp_path):
    import torchvision

    attempts = []

    def no_download(self, *args, **kwargs):
        attempts.append(self)
        raise RuntimeError("downloading is not allowed in the checks")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_download)
    mnist_datasets = student()
    mini = tmp_path / "mini"
    _mini_mnist(mini, 20, 10)
    try:
        train, test = _as_pair(mnist_datasets(root=str(mini)))
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - a missing-root error is the student's hint here
        check(not attempts, MNIST_DOWNLOADS)
        fail(MNIST_ROOT_IGNORED, what=ROOT_RAISED.format(error=f"{type(exc).__name__}: {str(exc)[:120]}"))
    check((len(train), len(test)) == (20, 10), MNIST_ROOT_IGNORED, what=ROOT_ELSEWHERE.format(
        n_train=20, n_test=10, train=len(train), test=len(test)))
    empty = tmp_path / "empty"
    empty.mkdir()
    try:
        mnist_datasets(root=str(empty))
    except (NotImplementedError, CheckFailed):
        raise
    except Exception:  # noqa: BLE001 - expected: there is nothing to read there
        pass
    check(not attempts, MNIST_DOWNLOADS)


# ---------------------------------------------------------------- the three projects

HELPERS = ("set_seed", "get_device", "xor_loader", "sum_pairs_loader", "mnist_datasets")
MODELS = ("SumNet", "XorNet", "MnistMLP")


@pytest.fixture
def isolated(impl, ref, monkeypatch):
    """The submission's ex07 with the reference's helpers and ex02 classes swapped in, so a
    train_* function is judged on its own."""
    module, ref_module = impl.module(MODULE), ref.module(MODULE)
    ref_models = ref.module("ex02_forward")
    try:
        models = impl.module("ex02_forward")
    except CheckFailed:
        models = None
    for name in HELPERS:
        if hasattr(module, name) and hasattr(ref_module, name):
            monkeypatch.setattr(module, name, getattr(ref_module, name))
    for name in MODELS:
        theirs = getattr(models, name, None) if models is not None else None
        if theirs is not None and getattr(module, name, None) is theirs:
            monkeypatch.setattr(module, name, getattr(ref_models, name))
        if theirs is not None:
            monkeypatch.setattr(models, name, getattr(ref_models, name))
    return module


def _trained(model, call: str, cls) -> nn.Module:
    check(isinstance(model, nn.Module), NOT_A_MODEL, call=call, cls=cls.__name__, kind=type(model).__name__)
    copy_parameters(model, cls(), extra=ARCH_NOTE.format(call=call, cls=cls.__name__))
    check(all(all_finite(p) for p in model.parameters()), NOT_FINITE, call=call)
    return model


def _device_of(model) -> torch.device:
    return next(iter(model.parameters())).device


def _mse(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        out = model(x.to(_device_of(model))).cpu()
    return float(((out.reshape(y.shape) - y) ** 2).mean()) if out.numel() == y.numel() else float("inf")


def _max_param_diff(a: nn.Module, b: nn.Module) -> float:
    diffs = [float((p.detach().cpu() - q.detach().cpu()).abs().max()) for p, q in zip(a.parameters(), b.parameters())
             if p.shape == q.shape]
    return max(diffs, default=float("inf"))


def _same_weights(a: nn.Module, b: nn.Module) -> bool:
    pa, pb = list(a.parameters()), list(b.parameters())
    return len(pa) == len(pb) and all(close(p.detach().cpu(), q.detach().cpu(), "train") for p, q in zip(pa, pb))


@pytest.fixture(scope="module")
def runs() -> dict:
    """The trainings this module ran, kept by pytest (a module-level dict would be the
    submission's to edit)."""
    return {}


def _run_once(runs: dict, impl, name: str, function, **kwargs):
    """`function(**kwargs)` once per submission: the checks of one item share the trained model
    (an exception, a timeout included, is remembered and raised again)."""
    key = (impl.path, name, tuple(sorted((k, str(v)) for k, v in kwargs.items())))
    if key not in runs:
        try:
            runs[key] = ("ok", function(**kwargs))
        except BaseException as exc:
            runs[key] = ("raised", exc)
            raise
    status, value = runs[key]
    if status == "raised":
        raise value
    return value


@item("train_sum_net", points=2, timeout=60)
def test_train_sum_net_learns_to_add(student, reference, impl, runs, isolated, _ref_rows_cache):
    model = _trained(_run_once(runs, impl, "train_sum_net", student(), seed=0), "train_sum_net(seed=0)", reference("SumNet"))
    test_x, test_y = _reference_rows(reference, "test", _ref_rows_cache)
    train_x, train_y = _reference_rows(reference, "train", _ref_rows_cache)
    test, train = _mse(model, test_x, test_y), _mse(model, train_x, train_y)
    if not test < SUM_TEST_MSE_BELOW:
        # Worse than answering 0 ten times over: the weights ran away rather than stood still.
        runaway = not math.isfinite(train) or train > 10 * float((train_y**2).mean())
        why = DIVERGED if runaway else UNDERTRAINED if train >= SUM_TEST_MSE_BELOW else OVERFIT
        fail(SUM_MSE, test=test, train=train, need=SUM_TEST_MSE_BELOW, why=why)


@item("train_sum_net", points=1, timeout=60)
def test_train_sum_net_follows_its_seed(student, reference, impl, runs, isolated):
    call = "train_sum_net(seed=0)"
    first = _trained(_run_once(runs, impl, "train_sum_net", student(), seed=0), call, reference("SumNet"))
    torch.manual_seed(12345)  # another global state: only set_seed(seed) makes the runs equal
    second = _trained(student()(seed=0), call, reference("SumNet"))
    check(_same_weights(first, second), NOT_REPRODUCIBLE, call=call, diff=_max_param_diff(first, second))


XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


@item("train_xor_net", points=2, timeout=60)
def test_train_xor_net_separates_the_four_pairs(student, reference, impl, runs, isolated):
    model = _trained(_run_once(runs, impl, "train_xor_net", student(), seed=0), "train_xor_net(seed=0)", reference("XorNet"))
    x, targets = _batches(reference("xor_loader")(batch_size=4, shuffle=False), "reference")[:2]
    model.eval()
    with torch.no_grad():
        out = model(x.to(_device_of(model))).cpu().reshape(-1)
    margins = (out - 0.5) * (2 * targets.reshape(-1) - 1)
    weakest = float(margins.min())
    if not weakest >= XOR_MARGIN_AT_LEAST:
        why = XOR_FLAT if float(out.max() - out.min()) < XOR_MARGIN_AT_LEAST else XOR_SHORT
        fail(XOR_MARGIN, inputs=[tuple(map(int, r)) for r in x.tolist()], outputs=[round(v, 3) for v in out.tolist()],
             targets=[int(v) for v in targets.reshape(-1).tolist()], need=XOR_MARGIN_AT_LEAST,
             low=round(0.5 - XOR_MARGIN_AT_LEAST, 2), high=round(0.5 + XOR_MARGIN_AT_LEAST, 2),
             weakest=weakest, why=why)


@item("train_xor_net", points=1, timeout=60)
def test_train_xor_net_follows_its_seed(student, reference, impl, runs, isolated):
    call = "train_xor_net(seed=0)"
    first = _trained(_run_once(runs, impl, "train_xor_net", student(), seed=0), call, reference("XorNet"))
    torch.manual_seed(12345)
    second = _trained(student()(seed=0), call, reference("XorNet"))
    check(_same_weights(first, second), NOT_REPRODUCIBLE, call=call, diff=_max_param_diff(first, second))


# ---------------------------------------------------------------- MNIST

@pytest.fixture(scope="module")
def mnist_test(ref) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's test split as two tensors (decoded once per module)."""
    _, test = ref.get(MODULE, "mnist_datasets")()
    return next(iter(DataLoader(test, batch_size=len(test))))[:2]


def _mnist_model_and_info(student, reference, impl, runs, device):
    result = _run_once(runs, impl, "train_mnist", student(), seed=0, device=device)
    ok = isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], dict)
    check(ok, MNIST_RESULT, kind=_kind(result))
    model, info = result
    return _trained(model, "train_mnist(seed=0)", reference("MnistMLP")), info


def _accuracy(model, images, labels) -> tuple[int, int]:
    model.eval()
    with torch.no_grad():
        logits = model(images.to(_device_of(model))).cpu()
    check(tuple(logits.shape) == (len(labels), 10), MNIST_LOGITS, shape=tuple(logits.shape), n=len(labels))
    return int((logits.argmax(dim=1) == labels).sum()), len(labels)


def _losses_text(info) -> str:
    losses = info.get("train_losses") if isinstance(info, dict) else None
    try:
        return "[" + ", ".join(f"{float(v):.3g}" for v in losses) + "]"
    except (TypeError, ValueError):
        return repr(losses)[:80]


@item("train_mnist", points=3, timeout=MNIST_TIMEOUT_S)
def test_train_mnist_reaches_the_accuracy(student, reference, impl, runs, mnist_test, device, isolated):
    model, info = _mnist_model_and_info(student, reference, impl, runs, device)
    correct, total = _accuracy(model, *mnist_test)
    accuracy = correct / total
    if not accuracy >= MNIST_ACCURACY_AT_LEAST:
        losses = info.get("train_losses")
        why = NO_WHY
        try:
            values = [float(v) for v in losses]
            if values and not all(math.isfinite(v) for v in values):
                why = DIVERGED
            elif len(values) >= 2 and values[-1] > 0.9 * values[0]:
                why = MNIST_SLOW
            elif values:
                why = MNIST_SHORT
        except (TypeError, ValueError):
            pass
        fail(MNIST_ACCURACY, acc=accuracy, correct=correct, total=total, need=MNIST_ACCURACY_AT_LEAST,
             losses=_losses_text(info), why=why)


@item("train_mnist", points=1, timeout=MNIST_TIMEOUT_S)
def test_train_mnist_reports_accuracy_and_losses(student, reference, impl, runs, mnist_test, device, isolated):
    model, info = _mnist_model_and_info(student, reference, impl, runs, device)
    check({"test_accuracy", "train_losses"} <= set(info), MNIST_INFO_KEYS, keys=sorted(map(str, info)))
    correct, total = _accuracy(model, *mnist_test)
    claimed = info["test_accuracy"]
    check(isinstance(claimed, numbers.Real) and not isinstance(claimed, bool), MNIST_CLAIM_TYPE, got=repr(claimed)[:60])
    check(abs(float(claimed) - correct / total) <= MNIST_REPORT_SLACK, MNIST_CLAIM,
          claimed=f"{float(claimed):.4g}", measured=correct / total)
    losses = info["train_losses"]
    ok = isinstance(losses, (list, tuple)) and len(losses) > 0 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in losses)
    check(ok, MNIST_LOSSES, got=repr(losses)[:80])
