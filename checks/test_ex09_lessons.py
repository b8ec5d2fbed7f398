"""Checks for ex09_lessons (optional): the XOR net as a Lightning module trained by a real
Trainer, and a training loop that logs to TensorBoard, read back from its event files.

These checks need the lessons extra (lightning, tensorboard); without it every check here is
skipped, and skipped checks are not counted in the score. lightning and tensorboard are imported
only inside the checks (importing lightning takes seconds).

Verdicts compare outcomes with the reference run on the same weights and data: the trained
weights after `Trainer.fit`, the scalars found in the event files. The writer the checks hand to
`train_with_tensorboard` behaves like one that logs to remote storage (S3, GCS): events reach the
files only when the writer is flushed or closed. Its model has BatchNorm and Dropout and arrives in
evaluation mode, both runs start from the same seed, and parameters and running statistics are
compared, so a missing model.train() or an extra forward pass shows; one run has lr=0, where the
loss does not fall, so a loop that stops early shows too.
"""
import contextlib
import copy
import importlib
import importlib.util
import logging
import time
import warnings

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grading.compare import brief, close
from grading.models import build, copy_parameters
from grading.text import Text
from grading.training import ForwardSpy, check_every_epoch, forward_passes, params_of, same, state_of, stateful_net
from grading.verdict import check, fail

item = pytest.mark.item
TIMEOUT = 90  # the first check to load the module pays for importing lightning

EXTRA_MISSING = (
    "{missing} not installed — install the lessons extra: pip install -e '.[lessons]' · "
    "faltam {missing} — instale o extra lessons: pip install -e '.[lessons]'"
)


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@pytest.fixture(autouse=True)
def _lessons_extra():
    """Skip (not fail, not count) every check here when the lessons extra is missing."""
    missing = [name for name in ("lightning", "tensorboard") if not _installed(name)]
    if missing:
        pytest.skip(EXTRA_MISSING.format(missing=", ".join(missing)))


# ================================================================ XorLightning

NOT_LIGHTNING = Text(
    "XorLightning must subclass LightningModule (from lightning import LightningModule) so that a Trainer can "
    "fit it; its bases are {bases}.",
    "XorLightning deve ser subclasse de LightningModule (from lightning import LightningModule) para que um "
    "Trainer consiga treiná-la; suas bases são {bases}.",
)
XL_ARCH = Text(
    " XorLightning{args} should be Linear(2, {n}) → sigmoid → Linear({n}, 1) → sigmoid; build the layers from "
    "n_hidden.",
    " XorLightning{args} deveria ser Linear(2, {n}) → sigmoid → Linear({n}, 1) → sigmoid; construa as camadas a "
    "partir de n_hidden.",
)
XL_NOT_TENSOR = Text(
    "XorLightning's forward returned {kind}; it must return a tensor of shape (N, 1).",
    "o forward de XorLightning devolveu {kind}; deve devolver um tensor de formato (N, 1).",
)
XL_FORWARD_SHAPE = Text(
    "XorLightning's forward on an input of shape {in_shape} returned shape {shape}, expected {want}.",
    "o forward de XorLightning com uma entrada de formato {in_shape} devolveu formato {shape}, esperado {want}.",
)
XL_NO_HIDDEN_SIGMOID = Text(
    "XorLightning's forward returns what the layers give without the sigmoid after the hidden layer, like the "
    "lesson's SimpleNet: apply torch.sigmoid to the hidden layer's output. Without it the two Linear layers "
    "collapse into one linear map, which cannot separate XOR.",
    "o forward de XorLightning devolve o que as camadas dão sem a sigmoid depois da camada escondida, como a "
    "SimpleNet da aula: aplique torch.sigmoid à saída da camada escondida. Sem ela as duas camadas Linear "
    "equivalem a um único mapa linear, que não separa o XOR.",
)
XL_NO_OUTPUT_SIGMOID = Text(
    "XorLightning's forward returns the output layer's raw value: apply torch.sigmoid to it, the output is a "
    "probability in (0, 1).",
    "o forward de XorLightning devolve o valor cru da camada de saída: aplique torch.sigmoid a ele, a saída é "
    "uma probabilidade em (0, 1).",
)
XL_FORWARD_WRONG = Text(
    "XorLightning's forward, given the reference weights, returned {actual}, expected {expected}: it should "
    "compute sigmoid(output(sigmoid(hidden(x)))).",
    "o forward de XorLightning, com os pesos da referência, devolveu {actual}, esperado {expected}: deveria "
    "calcular sigmoid(output(sigmoid(hidden(x)))).",
)
STEP_NONE = Text(
    "training_step returned None: return the loss tensor. With automatic optimization the Trainer calls "
    "backward() and the optimizer step on what training_step returns, and it skips the batch when that is None.",
    "training_step devolveu None: devolva o tensor da loss. Com a otimização automática o Trainer chama "
    "backward() e o passo do otimizador sobre o que training_step devolve, e pula o batch quando é None.",
)
STEP_KIND = Text(
    "training_step returned {kind}; return the loss tensor itself (or a dict {{'loss': loss}}).",
    "training_step devolveu {kind}; devolva o próprio tensor da loss (ou um dict {{'loss': loss}}).",
)
STEP_DETACHED = Text(
    "training_step returned a loss with no autograd history ({what}): the Trainer cannot call backward() on it. "
    "Return the loss exactly as the loss function computed it — no .item(), .detach() or torch.tensor(...) copy.",
    "training_step devolveu uma loss sem histórico do autograd ({what}): o Trainer não consegue chamar backward() "
    "nela. Devolva a loss exatamente como a função de loss a calculou — sem .item(), .detach() ou cópia com "
    "torch.tensor(...).",
)
STEP_WRONG = Text(
    "training_step on the batch (x, y) returned the loss {actual}, expected {expected}: the mean squared error "
    "(nn.MSELoss) of self(x) against y.",
    "training_step no batch (x, y) devolveu a loss {actual}, esperado {expected}: o erro quadrático médio "
    "(nn.MSELoss) de self(x) contra y.",
)
OPT_NONE = Text(
    "configure_optimizers returned {kind}; return the optimizer (torch.optim.Adam(self.parameters(), lr=self.lr)).",
    "configure_optimizers devolveu {kind}; devolva o otimizador (torch.optim.Adam(self.parameters(), lr=self.lr)).",
)
OPT_COUNT = Text(
    "configure_optimizers gave {count} optimizers; XorLightning uses exactly one.",
    "configure_optimizers deu {count} otimizadores; XorLightning usa exatamente um.",
)
OPT_PARAMS = Text(
    "the optimizer from configure_optimizers does not hold the parameters {missing}, so they would never be "
    "trained: build it over self.parameters().",
    "o otimizador de configure_optimizers não contém os parâmetros {missing}, então eles nunca seriam "
    "treinados: construa-o sobre self.parameters().",
)
OPT_FOREIGN = Text(
    "the optimizer from configure_optimizers holds {count} tensor(s) that are not this module's parameters: "
    "build it over self.parameters().",
    "o otimizador de configure_optimizers contém {count} tensor(es) que não são parâmetros deste módulo: "
    "construa-o sobre self.parameters().",
)
OPT_TYPE = Text(
    "configure_optimizers returned a {kind}; the lesson trains XorLightning with {want} (torch.optim.{want}).",
    "configure_optimizers devolveu um {kind}; a aula treina a XorLightning com {want} (torch.optim.{want}).",
)
OPT_LR = Text(
    "XorLightning(lr={lr}) gave its optimizer the learning rate {actual}: use the lr given to the constructor "
    "(self.lr).",
    "XorLightning(lr={lr}) deu ao otimizador a taxa de aprendizado {actual}: use o lr passado ao construtor "
    "(self.lr).",
)
TRAINER_FAILED = Text(
    "Trainer.fit failed on XorLightning ({error}).{why}",
    "Trainer.fit falhou na XorLightning ({error}).{why}",
)
WHY_DOUBLE_BACKWARD = Text(
    " training_step must not call loss.backward() (nor zero_grad or step): with automatic optimization the "
    "Trainer does that with the loss you return.",
    " training_step não deve chamar loss.backward() (nem zero_grad ou step): com a otimização automática o "
    "Trainer faz isso com a loss que você devolve.",
)
WHY_NO_GRAPH = Text(
    " The loss training_step returns has no autograd history: return it as the loss function computed it.",
    " A loss que training_step devolve não tem histórico do autograd: devolva-a como a função de loss a calculou.",
)
NEVER_UPDATED = Text(
    "after Trainer.fit ({steps} steps) no weight of XorLightning had changed: training_step must return the "
    "loss (returning None makes the Trainer skip the batch) and configure_optimizers must return the optimizer.",
    "depois de Trainer.fit ({steps} passos) nenhum peso da XorLightning tinha mudado: training_step deve devolver "
    "a loss (devolver None faz o Trainer pular o batch) e configure_optimizers deve devolver o otimizador.",
)
SOME_FROZEN = Text(
    "after Trainer.fit the parameters {names} had not changed: the optimizer must cover every parameter "
    "(self.parameters()).",
    "depois de Trainer.fit os parâmetros {names} não tinham mudado: o otimizador deve cobrir todos os "
    "parâmetros (self.parameters()).",
)
TRAINED_WRONG = Text(
    "after Trainer.fit ({epochs} epochs of the four XOR pairs, batches of 2, same starting weights) XorLightning "
    "outputs {actual}, the reference {expected}: one MSE loss per batch returned by training_step, Adam over "
    "self.parameters() with lr=self.lr.",
    "depois de Trainer.fit ({epochs} épocas dos quatro pares do XOR, batches de 2, mesmos pesos iniciais) a "
    "XorLightning dá {actual}, a referência {expected}: uma loss MSE por batch devolvida por training_step, Adam "
    "sobre self.parameters() com lr=self.lr.",
)

WHAT_NUMBER = Text("a Python {kind}", "um {kind} do Python")
WHAT_NO_GRAD_FN = Text("a tensor without grad_fn", "um tensor sem grad_fn")

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [[0.0], [1.0], [1.0], [0.0]]


@contextlib.contextmanager
def _quiet():
    """Lightning's info lines and warnings (no GPU, few workers) are not the student's concern."""
    names = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning", "lightning_fabric")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _lightning_package(cls):
    """'lightning' or 'pytorch_lightning', whichever LightningModule the class derives from."""
    for klass in cls.__mro__:
        if klass.__name__ == "LightningModule":
            root = klass.__module__.split(".")[0]
            if root in ("lightning", "pytorch_lightning"):
                return root
    return None


def _require_lightning_module(cls):
    if not isinstance(cls, type) or _lightning_package(cls) is None:
        bases = [b.__name__ for b in getattr(cls, "__mro__", (type(cls),))[1:-1]] or [type(cls).__name__]
        fail(NOT_LIGHTNING, bases=", ".join(bases))


def _xl_twins(student_cls, reference_cls, **args):
    _require_lightning_module(student_cls)
    with _quiet():
        theirs = build(reference_cls, **args)
        mine = build(student_cls, **args)
    shown = "(" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")"
    copy_parameters(theirs, mine, XL_ARCH.format(args=shown, n=args.get("n_hidden", 4)))
    return mine, theirs


def _pairs(mine, theirs):
    """Parameters matched as copy_parameters matched them: by order, else by (distinct) shape."""
    a, b = list(mine.named_parameters()), list(theirs.named_parameters())
    if [p.shape for _, p in a] == [p.shape for _, p in b]:
        return list(zip(a, b))
    by_shape = {tuple(p.shape): (n, p) for n, p in a}
    return [(by_shape[tuple(p.shape)], (n, p)) for n, p in b]


@item("XorLightning", points=1, timeout=TIMEOUT)
def test_xor_lightning_forward(student, reference):
    mine, theirs = _xl_twins(student(), reference(), n_hidden=4)
    x = torch.cat([torch.tensor(XOR_X), torch.randn(12, 2) * 3])
    actual = mine(x)
    with torch.no_grad():
        expected = theirs(x)
    check(torch.is_tensor(actual), XL_NOT_TENSOR, kind=type(actual).__name__)
    check(actual.shape == expected.shape, XL_FORWARD_SHAPE, in_shape=tuple(x.shape), shape=tuple(actual.shape),
          want=tuple(expected.shape))
    if close(actual, expected, "op"):
        return
    with torch.no_grad():
        hidden, output = theirs.hidden, theirs.output
        if close(actual, torch.sigmoid(output(hidden(x))), "op"):
            fail(XL_NO_HIDDEN_SIGMOID)
        if close(actual, output(torch.sigmoid(hidden(x))), "op"):
            fail(XL_NO_OUTPUT_SIGMOID)
    fail(XL_FORWARD_WRONG, actual=brief(actual), expected=brief(expected))


def _loss_of(result):
    return result.get("loss") if isinstance(result, dict) else result


@item("XorLightning", points=2, timeout=TIMEOUT)
def test_xor_lightning_training_step_returns_the_loss(student, reference):
    mine, theirs = _xl_twins(student(), reference(), n_hidden=4)
    x, y = torch.tensor(XOR_X), torch.tensor(XOR_Y)
    with _quiet():
        returned = mine.training_step((x.clone(), y.clone()), 0)
        expected = _loss_of(theirs.training_step((x, y), 0))
    loss = _loss_of(returned)
    check(loss is not None, STEP_NONE)
    if isinstance(loss, (int, float)):
        fail(STEP_DETACHED, what=WHAT_NUMBER.format(kind=type(loss).__name__))
    check(torch.is_tensor(loss), STEP_KIND, kind=type(loss).__name__)
    if loss.grad_fn is None:
        fail(STEP_DETACHED, what=WHAT_NO_GRAD_FN)
    if not (loss.numel() == 1 and close(loss.reshape(()), expected, "op")):
        value = loss.detach()
        fail(STEP_WRONG, actual=brief(value) if value.numel() != 1 else f"{float(value):.4g}",
             expected=f"{float(expected.detach()):.4g}")


def _optimizers_of(result):
    """Every optimizer in any form Lightning accepts from configure_optimizers."""
    if result is None:
        return None
    if isinstance(result, dict):
        return [result.get("optimizer")]
    if isinstance(result, (list, tuple)):
        if len(result) == 2 and isinstance(result[0], (list, tuple)):
            result = result[0]
        return [entry.get("optimizer") if isinstance(entry, dict) else entry for entry in result]
    return [result]


@item("XorLightning", points=1, timeout=TIMEOUT)
def test_xor_lightning_configure_optimizers(student, reference):
    _require_lightning_module(student())
    lr = 0.05
    with _quiet():
        model = build(student(), n_hidden=4, lr=lr)
        result = model.configure_optimizers()
        want = _optimizers_of(build(reference(), n_hidden=4, lr=lr).configure_optimizers())[0]
    optimizers = _optimizers_of(result)
    check(optimizers, OPT_NONE, kind=type(result).__name__)
    check(len(optimizers) == 1, OPT_COUNT, count=len(optimizers))
    opt = optimizers[0]
    check(isinstance(opt, torch.optim.Optimizer), OPT_NONE, kind=type(opt).__name__)
    given = {id(p) for group in opt.param_groups for p in group["params"]}
    own = dict(model.named_parameters())
    missing = [name for name, p in own.items() if id(p) not in given]
    foreign = len(given - {id(p) for p in own.values()})
    check(not missing, OPT_PARAMS, missing=", ".join(missing))
    check(not foreign, OPT_FOREIGN, count=foreign)
    check(type(opt) is type(want), OPT_TYPE, kind=type(opt).__name__, want=type(want).__name__)
    lrs = sorted({float(group["lr"]) for group in opt.param_groups})
    check(lrs == [float(want.param_groups[0]["lr"])], OPT_LR, lr=lr, actual=", ".join(f"{v:g}" for v in lrs))


def _fit(model, epochs, root):
    """A real Trainer on the CPU: no logger, checkpoints, progress bar or model summary."""
    package = _lightning_package(type(model))
    trainer_cls = importlib.import_module("lightning.pytorch" if package == "lightning" else "pytorch_lightning").Trainer
    loader = DataLoader(TensorDataset(torch.tensor(XOR_X), torch.tensor(XOR_Y)), batch_size=2)
    with _quiet():
        trainer = trainer_cls(max_epochs=epochs, accelerator="cpu", devices=1, logger=False,
                              enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                              num_sanity_val_steps=0, default_root_dir=str(root))
        trainer.fit(model, train_dataloaders=loader)
    return len(loader) * epochs


@item("XorLightning", points=2, timeout=TIMEOUT)
def test_xor_lightning_trains_with_a_trainer(student, reference, tmp_path):
    epochs = 30
    mine, theirs = _xl_twins(student(), reference(), n_hidden=4, lr=0.05)
    start = params_of(mine)
    try:
        steps = _fit(mine, epochs, tmp_path / "student")
    except NotImplementedError:
        raise
    except Exception as exc:  # the Trainer could not train the submission
        message = str(exc).splitlines()[0] if str(exc) else ""
        why = Text("", "")
        if "backward through the graph a second time" in message:
            why = WHY_DOUBLE_BACKWARD
        elif "does not require grad" in message or "must return a Tensor" in message:
            why = WHY_NO_GRAPH
        error = f"{type(exc).__name__}: {message.split('. ')[0].split(' (')[0]}"[:160]
        fail(TRAINER_FAILED, error=error, why=why)
    _fit(theirs, epochs, tmp_path / "reference")
    after = params_of(mine)
    unchanged = [name for (name, _), a, b in zip(mine.named_parameters(), start, after) if torch.equal(a, b)]
    check(len(unchanged) < len(after), NEVER_UPDATED, steps=steps)
    check(not unchanged, SOME_FROZEN, names=", ".join(unchanged))
    x = torch.tensor(XOR_X)
    with torch.no_grad():
        actual, expected = mine(x), theirs(x)
    pairs = _pairs(mine, theirs)
    ok = close(actual, expected, "train") and same([p for (_, p), _ in pairs], [q for _, (_, q) in pairs], "train")
    check(ok, TRAINED_WRONG, epochs=epochs, actual=brief(actual), expected=brief(expected))


# ================================================================ train_with_tensorboard

TB_RETURN = Text(
    "train_with_tensorboard must return a list of {n} floats, one loss per epoch; it returned {got}.",
    "train_with_tensorboard deve devolver uma lista de {n} floats, uma loss por época; devolveu {got}.",
)
TB_BATCH_MEAN = Text(
    "the epoch losses {actual} are the means of the batch losses; the last batch is smaller ({sizes}), so weight "
    "each batch loss by its size: Σ(loss × batch size) / number of samples = {expected}.",
    "as losses das épocas {actual} são médias das losses dos batches; o último batch é menor ({sizes}), então "
    "pese cada loss pelo tamanho do batch: Σ(loss × tamanho do batch) / número de amostras = {expected}.",
)
TB_LAST_BATCH = Text(
    "the epoch losses {actual} are each epoch's last batch loss; expected the mean loss per sample over the "
    "epoch, {expected}.",
    "as losses das épocas {actual} são a loss do último batch de cada época; esperado a loss média por amostra "
    "na época, {expected}.",
)
TB_LOSSES_WRONG = Text(
    "train_with_tensorboard returned the epoch losses {actual}, expected {expected} (same model, data, optimizer): "
    "per batch forward, loss, zero_grad, backward, step; per epoch the mean loss per sample.",
    "train_with_tensorboard devolveu as losses das épocas {actual}, esperado {expected} (mesmo modelo, dados e "
    "otimizador): por batch forward, loss, zero_grad, backward, step; por época a loss média por amostra.",
)
TB_TRAIN_MODE = Text(
    "the model was in evaluation mode during training (BatchNorm used its running statistics, Dropout stayed "
    "off), since it came in that way: call model.train() at the start of train_with_tensorboard.",
    "o modelo estava em modo de avaliação durante o treino (o BatchNorm usou as estatísticas acumuladas, o "
    "Dropout ficou desligado), pois chegou assim: chame model.train() no início de train_with_tensorboard.",
)
TB_PARAMS = Text(
    "the returned losses are right but the trained weights or running statistics differ from the reference: "
    "make exactly one optimizer.step() per batch.",
    "as losses devolvidas estão certas mas os pesos treinados ou as estatísticas acumuladas diferem da "
    "referência: faça exatamente um optimizer.step() por batch.",
)
TB_TAG_MISSING = Text(
    "the event files of the writer you were given hold no scalar under the tag \"{tag}\" (tags found: {found}). "
    "Log with writer.add_scalar(\"{tag}\", value, step) on the writer passed in — do not create your own "
    "SummaryWriter.",
    "os arquivos de eventos do writer recebido não têm nenhum escalar com a tag \"{tag}\" (tags encontradas: "
    "{found}). Registre com writer.add_scalar(\"{tag}\", valor, passo) no writer recebido — não crie seu próprio "
    "SummaryWriter.",
)
TB_EPOCH_STEPS = Text(
    "\"Loss/train\" was logged at steps {actual}, expected {expected}: one value per epoch, at step epoch "
    "(0, 1, 2, …, counting from 0 like range(epochs)).",
    "\"Loss/train\" foi registrada nos passos {actual}, esperado {expected}: um valor por época, no passo epoch "
    "(0, 1, 2, …, contando a partir de 0 como range(epochs)).",
)
TB_BATCH_STEPS_RESET = Text(
    "\"Loss/train_batch\" was logged at steps {actual}: the step restarts every epoch, so the epochs draw on top "
    "of each other. Use the global step epoch * len(loader) + batch_index: {expected}.",
    "\"Loss/train_batch\" foi registrada nos passos {actual}: o passo recomeça a cada época, então as épocas se "
    "sobrepõem no gráfico. Use o passo global epoch * len(loader) + batch_index: {expected}.",
)
TB_BATCH_STEPS = Text(
    "\"Loss/train_batch\" was logged at steps {actual}, expected the global steps {expected} "
    "(epoch * len(loader) + batch_index, one per batch).",
    "\"Loss/train_batch\" foi registrada nos passos {actual}, esperado os passos globais {expected} "
    "(epoch * len(loader) + batch_index, um por batch).",
)
TB_VALUES = Text(
    "the values logged under \"{tag}\" are {actual}, expected {expected}: {what}",
    "os valores registrados em \"{tag}\" são {actual}, esperado {expected}: {what}",
)
TB_EPOCH_WHAT = Text("each epoch's mean loss per sample, the same number the function returns.",
                     "a loss média por amostra de cada época, o mesmo número que a função devolve.")
TB_BATCH_WHAT = Text("each batch's loss (loss.item()), computed before its optimizer step.",
                     "a loss de cada batch (loss.item()), calculada antes do seu passo do otimizador.")
TB_UNFLUSHED = Text(
    "{count} of the {total} scalars logged had not reached the event files when train_with_tensorboard returned: "
    "call writer.flush() (or writer.close()) before returning. A SummaryWriter buffers events; on remote storage, "
    "or when the program stops, unflushed events are lost.",
    "{count} dos {total} escalares registrados não tinham chegado aos arquivos de eventos quando "
    "train_with_tensorboard retornou: chame writer.flush() (ou writer.close()) antes de retornar. Um SummaryWriter "
    "guarda eventos num buffer; num armazenamento remoto, ou quando o programa para, eventos sem flush se perdem.",
)
TB_GRAPH = Text(
    "the value logged under \"{tag}\" at step {step} is a tensor still attached to the autograd graph "
    "({grad_fn}): log Python floats (loss.item()). Keeping loss tensors — in the writer or in a running total — "
    "keeps every batch's graph alive.",
    "o valor registrado em \"{tag}\" no passo {step} é um tensor ainda ligado ao grafo do autograd ({grad_fn}): "
    "registre floats do Python (loss.item()). Guardar tensores de loss — no writer ou numa soma acumulada — "
    "mantém vivo o grafo de cada batch.",
)
TB_NOTHING = Text(
    "train_with_tensorboard logged nothing to the writer it was given: log with writer.add_scalar on the writer "
    "passed in — do not create your own SummaryWriter.",
    "train_with_tensorboard não registrou nada no writer recebido: registre com writer.add_scalar no writer "
    "recebido — não crie seu próprio SummaryWriter.",
)


def _caller_writer(log_dir):
    """The writer a caller hands in: a SummaryWriter whose scalars reach the event files only on flush()
    or close(), like a writer to remote storage. It also notes what it was handed (for the hints)."""
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import scalar

    class CallerWriter(SummaryWriter):
        def __init__(self, log_dir):
            self.pending, self.handed = [], []
            super().__init__(log_dir=str(log_dir))

        def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, **options):
            scalar(tag, scalar_value)  # a value add_scalar cannot take fails here, at the student's call
            graph = torch.is_tensor(scalar_value) and scalar_value.grad_fn is not None
            self.handed.append((tag, global_step, type(scalar_value.grad_fn).__name__ if graph else None))
            value = scalar_value.detach().clone() if torch.is_tensor(scalar_value) else scalar_value
            self.pending.append((tag, value, global_step, time.time() if walltime is None else walltime, options))

        def _drain(self):
            pending, self.pending = self.pending, []
            for tag, value, step, walltime, options in pending:
                super().add_scalar(tag, value, step, walltime, **options)

        def flush(self):
            self._drain()
            super().flush()

        def close(self):
            self._drain()
            super().close()

    return CallerWriter(log_dir)


def _read_scalars(log_dir) -> dict:
    """{tag: [(step, value), ...]} from the event files, in the order they were written."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "tensors": 0}, purge_orphaned_data=False)
    events.Reload()
    tags = events.Tags()
    found = {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in tags.get("scalars", [])}
    for tag in tags.get("tensors", []):  # add_scalar(..., new_style=True) stores a tensor
        values = [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in events.Tensors(tag)]
        if all(v.size == 1 for _, v in values):
            found.setdefault(tag, []).extend((step, float(v.reshape(()))) for step, v in values)
    return found


def _tb_setup(plateau=False):
    """10 samples in batches of 4, 4, 2 (the loader's own generator leaves Dropout's random stream alone).
    The model has BatchNorm and Dropout and arrives in evaluation mode; for the plateau run (lr=0) it
    has neither, so every epoch's loss is the same."""
    X, y = torch.randn(10, 3), torch.randn(10, 1)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, generator=torch.Generator().manual_seed(0))
    if plateau:
        return nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1)), loader
    return stateful_net(3, 6, 1).eval(), loader


def _run_logged(fn, model, loader, epochs, log_dir, device, lr=0.1):
    """Run one implementation with the caller's writer; (returned, scalars on disk, writer)."""
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    writer = _caller_writer(log_dir)
    try:
        returned = fn(model, loader, nn.MSELoss(), optimizer, epochs, writer, device)
        writer.unflushed = len(writer.pending)
    finally:
        writer.close()
    return returned, _read_scalars(log_dir), writer


@pytest.fixture
def run_tb(student, reference, tmp_path, device, monkeypatch):
    """The submission and the reference, each trained 3 epochs from the same weights, their logs read back.

    Returned as a function the check calls, so that the submission runs inside the check
    (a failure there is the check's verdict, not a fixture error)."""
    def run(plateau=False):
        monkeypatch.chdir(tmp_path)  # a submission that makes its own SummaryWriter writes under tmp_path/runs
        model, loader = _tb_setup(plateau)
        twin = copy.deepcopy(model)
        forwards = ForwardSpy(model)
        epochs, lr = (4, 0.0) if plateau else (3, 0.1)
        seed = torch.initial_seed()
        torch.manual_seed(seed)
        mine = _run_logged(student("train_with_tensorboard"), model, loader, epochs, tmp_path / "student", device, lr)
        torch.manual_seed(seed)
        theirs = _run_logged(reference("train_with_tensorboard"), twin, loader, epochs, tmp_path / "reference",
                             device, lr)
        return dict(mine=mine, theirs=theirs, model=model, twin=twin, loader=loader, epochs=epochs, device=device,
                    forwards=forwards)

    return run


def _floats(values) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in values) + "]"


def _series(scalars, tag):
    if tag not in scalars:
        fail(TB_TAG_MISSING, tag=tag, found=", ".join(sorted(scalars)) or "—")
    return [s for s, _ in scalars[tag]], [v for _, v in scalars[tag]]


@item("train_with_tensorboard", points=2, timeout=TIMEOUT)
def test_tensorboard_trains_like_the_reference(run_tb):
    tb_runs = run_tb()
    (returned, _, _), (expected, ref_scalars, _) = tb_runs["mine"], tb_runs["theirs"]
    epochs = tb_runs["epochs"]
    ok = isinstance(returned, (list, tuple)) and len(returned) == epochs and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in returned)
    got = (f"{type(returned).__name__}[{len(returned)}]: " + ", ".join(type(v).__name__ for v in returned)
           if isinstance(returned, (list, tuple)) else type(returned).__name__)
    check(ok, TB_RETURN, n=epochs, got=got)
    actual, want = torch.tensor(returned, dtype=torch.float32), torch.tensor(expected, dtype=torch.float32)
    forwards, n_batches = tb_runs["forwards"], epochs * len(tb_runs["loader"])
    state_ok = same(state_of(tb_runs["model"]), state_of(tb_runs["twin"]), "train", tb_runs["device"])
    if not (state_ok and close(actual, want, "train")):
        if forwards.modes and not all(forwards.modes):
            fail(TB_TRAIN_MODE)
        if forwards.count != n_batches:
            fail(forward_passes("train_with_tensorboard", forwards.count, n_batches, "batch"))
    if not close(actual, want, "train"):
        _, batch_values = _series(ref_scalars, "Loss/train_batch")
        n = len(tb_runs["loader"])
        per_epoch = [batch_values[i:i + n] for i in range(0, len(batch_values), n)]
        found = dict(actual=_floats(returned), expected=_floats(expected))
        if close(actual, torch.tensor([sum(b) / len(b) for b in per_epoch]), "train"):
            sizes = ", ".join(str(len(inputs)) for inputs, _ in tb_runs["loader"])
            fail(TB_BATCH_MEAN, sizes=sizes, **found)
        if close(actual, torch.tensor([b[-1] for b in per_epoch]), "train"):
            fail(TB_LAST_BATCH, **found)
        fail(TB_LOSSES_WRONG, **found)
    check(state_ok, TB_PARAMS)


@item("train_with_tensorboard", points=2, timeout=TIMEOUT)
def test_tensorboard_logs_the_epoch_loss(run_tb):
    tb_runs = run_tb()
    (_, scalars, writer), (_, ref_scalars, _) = tb_runs["mine"], tb_runs["theirs"]
    check(writer.handed, TB_NOTHING)
    steps, values = _series(scalars, "Loss/train")
    want_steps, want_values = _series(ref_scalars, "Loss/train")
    check(steps == want_steps, TB_EPOCH_STEPS, actual=steps, expected=want_steps)
    if not close(torch.tensor(values), torch.tensor(want_values), "train"):
        fail(TB_VALUES, tag="Loss/train", actual=_floats(values), expected=_floats(want_values), what=TB_EPOCH_WHAT)


@item("train_with_tensorboard", points=1, timeout=TIMEOUT)
def test_tensorboard_logs_batch_losses_at_global_steps(run_tb):
    tb_runs = run_tb()
    (_, scalars, _), (_, ref_scalars, _) = tb_runs["mine"], tb_runs["theirs"]
    steps, values = _series(scalars, "Loss/train_batch")
    want_steps, want_values = _series(ref_scalars, "Loss/train_batch")
    if steps != want_steps:
        per_epoch = len(tb_runs["loader"])
        if steps == [s % per_epoch for s in want_steps]:
            fail(TB_BATCH_STEPS_RESET, actual=steps, expected=want_steps)
        fail(TB_BATCH_STEPS, actual=steps, expected=want_steps)
    if not close(torch.tensor(values), torch.tensor(want_values), "train"):
        fail(TB_VALUES, tag="Loss/train_batch", actual=_floats(values), expected=_floats(want_values),
             what=TB_BATCH_WHAT)


@item("train_with_tensorboard", points=1, timeout=TIMEOUT)
def test_tensorboard_flushes_the_writer(run_tb):
    tb_runs = run_tb()
    _, _, writer = tb_runs["mine"]
    check(writer.handed, TB_NOTHING)
    check(writer.unflushed == 0, TB_UNFLUSHED, count=writer.unflushed, total=len(writer.handed))


@item("train_with_tensorboard", points=1, timeout=TIMEOUT)
def test_tensorboard_logs_plain_numbers(run_tb):
    tb_runs = run_tb()
    _, _, writer = tb_runs["mine"]
    check(writer.handed, TB_NOTHING)
    for tag, step, grad_fn in writer.handed:
        check(grad_fn is None, TB_GRAPH, tag=tag, step=step, grad_fn=grad_fn)


@item("train_with_tensorboard", points=1, timeout=TIMEOUT)
def test_tensorboard_runs_every_epoch(run_tb):
    """lr=0 on a model without Dropout: the loss is the same every epoch, and every epoch still runs."""
    tb_runs = run_tb(plateau=True)
    (returned, _, _), (expected, _, _) = tb_runs["mine"], tb_runs["theirs"]
    check_every_epoch("train_with_tensorboard", returned, tb_runs["epochs"], "lr=0")
    check(isinstance(returned, (list, tuple)) and len(returned) == len(expected), TB_RETURN, n=len(expected),
          got=type(returned).__name__)
