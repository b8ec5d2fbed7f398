"""Checks for ex08_regression: the diabetes split, standardisation, a linear fit, regression metrics.

scikit-learn is the judge: the split must equal `train_test_split`, the statistics must equal
`StandardScaler`'s on the training part, the fit must come within 0.1 % (the contract's figure) of
the closed-form `LinearRegression`, and the metrics must equal `sklearn.metrics` on the same
predictions. Short training runs are compared with the reference epoch by epoch, so a slip in the
loop shows at once; one of them has lr=0, where the loss does not fall, so a loop that stops early
shows too. The metrics must be computed without autograd: forward hooks note whether the model's
outputs carried a graph. Other computations (mistakes done on purpose) only choose the hint.
"""
import functools
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from grading.compare import all_finite, brief, close
from grading.hints import HintUnavailable, for_hint, hint_only
from grading.text import Text
from grading.training import GraphSpy, NeverClears, check_every_epoch, check_no_graph, params_of, same
from grading.verdict import CheckFailed, check, fail

item = pytest.mark.item

# The contract: "with the defaults ... within 0.1 % of scikit-learn's closed-form LinearRegression".
FIT_MARGIN = 0.001

# ---------------------------------------------------------------- texts: diabetes_split

SPLIT_TYPE = Text(
    "diabetes_split{call} must return four tensors X_train, X_test, y_train, y_test; it returned {got}.",
    "diabetes_split{call} deve devolver quatro tensores X_train, X_test, y_train, y_test; devolveu {got}.",
)
SPLIT_DTYPE = Text(
    "diabetes_split returned {dtypes}: NumPy arrays are float64, and torch.tensor keeps that. Models "
    "work in float32, so convert with torch.tensor(a, dtype=torch.float32) or torch.from_numpy(a).float().",
    "diabetes_split devolveu {dtypes}: arrays do NumPy são float64, e torch.tensor mantém isso. Modelos "
    "trabalham em float32, então converta com torch.tensor(a, dtype=torch.float32) ou torch.from_numpy(a).float().",
)
SPLIT_FLAT = Text(
    "the targets have shape {shape}: they are left flat. The model predicts a column (N, 1), so y must be "
    "a column too (y.unsqueeze(1) or y.reshape(-1, 1)); a flat y against (N, 1) predictions broadcasts to "
    "an (N, N) error matrix.",
    "os alvos têm formato {shape}: ficaram achatados. O modelo prevê uma coluna (N, 1), então y também deve "
    "ser uma coluna (y.unsqueeze(1) ou y.reshape(-1, 1)); um y achatado contra predições (N, 1) vira, por "
    "broadcasting, uma matriz de erros (N, N).",
)
SPLIT_SHAPES = Text(
    "diabetes_split returned shapes {shapes}, expected {expected} (X_train, X_test, y_train, y_test, in "
    "train_test_split's order, targets as columns (N, 1)).",
    "diabetes_split devolveu formatos {shapes}, esperado {expected} (X_train, X_test, y_train, y_test, na "
    "ordem de train_test_split, alvos como colunas (N, 1)).",
)
SPLIT_TEST_SIZE = Text(
    "diabetes_split({args}) gave {rows} test rows, expected {want}: the test_size is ignored. Pass "
    "test_size=test_size to train_test_split.",
    "diabetes_split({args}) deu {rows} linhas de teste, esperado {want}: o test_size é ignorado. Passe "
    "test_size=test_size para train_test_split.",
)
SPLIT_ROWS = Text(
    "diabetes_split({args}) gave {rows} test rows, expected {want} (train_test_split with test_size={size}).",
    "diabetes_split({args}) deu {rows} linhas de teste, esperado {want} (train_test_split com test_size={size}).",
)
SPLIT_SEED = Text(
    "diabetes_split({args}) equals train_test_split with random_state={used}: the seed is ignored. Pass "
    "random_state=seed.",
    "diabetes_split({args}) é igual a train_test_split com random_state={used}: a semente é ignorada. Passe "
    "random_state=seed.",
)
SPLIT_SCALED = Text(
    "diabetes_split({args}) holds the pre-scaled features that load_diabetes gives by default; the exercise "
    "uses the raw measurements: load_diabetes(return_X_y=True, scaled=False).",
    "diabetes_split({args}) contém os atributos já escalados que load_diabetes dá por padrão; o exercício "
    "usa as medidas brutas: load_diabetes(return_X_y=True, scaled=False).",
)
SPLIT_VALUES = Text(
    "diabetes_split({args}) differs from train_test_split(X, y, test_size={size}, random_state={seed}) on "
    "load_diabetes(return_X_y=True, scaled=False): {which} is {actual}, expected {expected}. Split with "
    "train_test_split itself, and return X_train, X_test, y_train, y_test in that order.",
    "diabetes_split({args}) difere de train_test_split(X, y, test_size={size}, random_state={seed}) em "
    "load_diabetes(return_X_y=True, scaled=False): {which} é {actual}, esperado {expected}. Divida com o "
    "próprio train_test_split e devolva X_train, X_test, y_train, y_test nessa ordem.",
)

# ---------------------------------------------------------------- texts: standardize_split

STD_TYPE = Text(
    "standardize_split must return four tensors (X_train_std, X_test_std, mean, std); it returned {got}.",
    "standardize_split deve devolver quatro tensores (X_train_std, X_test_std, mean, std); devolveu {got}.",
)
STD_LEAK = Text(
    "{case}: {what} is a statistic of the whole data set (train and test together): "
    "test information leaks into the standardisation. Compute mean and std on X_train alone.",
    "{case}: {what} é uma estatística do conjunto inteiro (treino e teste juntos): "
    "informação do teste vaza para a padronização. Calcule média e desvio só em X_train.",
)
RETURNED_MEAN = Text("the mean returned", "a média devolvida")
RETURNED_STD = Text("the std returned", "o desvio-padrão devolvido")
STD_SAMPLE = Text(
    "{case}: std is {actual}, the sample std (divides by N − 1, torch's default); the exercise uses the "
    "population std {expected}: X_train.std(dim=0, correction=0).",
    "{case}: std é {actual}, o desvio-padrão amostral (divide por N − 1, o padrão do torch); o exercício "
    "usa o desvio populacional {expected}: X_train.std(dim=0, correction=0).",
)
STD_STATS = Text(
    "{case}: {what} is {actual}, expected {expected} (scikit-learn's StandardScaler fitted on X_train): "
    "mean and population std over dim 0 of X_train.",
    "{case}: {what} é {actual}, esperado {expected} (o StandardScaler do scikit-learn ajustado em X_train): "
    "média e desvio populacional na dim 0 de X_train.",
)
STAT_MEAN = Text("mean", "a média")
STAT_STD = Text("std", "o desvio-padrão")
STD_OWN = Text(
    "{case}: X_test was scaled with its own statistics (its own mean and std). The test set must go "
    "through the same transformation as the training set: (X_test − mean_train) / std_train.",
    "{case}: X_test foi escalado com as próprias estatísticas (sua média e seu desvio). O teste deve passar "
    "pela mesma transformação do treino: (X_test − média_treino) / desvio_treino.",
)
STD_OUTPUT = Text(
    "{case}: the standardized {which} is {actual}, expected {expected} = ({which} − mean) / std, with the "
    "training part's mean and std.",
    "{case}: {which} padronizado é {actual}, esperado {expected} = ({which} − média) / desvio, com média e "
    "desvio da parte de treino.",
)
STD_IN_PLACE = Text(
    "standardize_split modified its input {which} in place (now {now}, was {was}). Build new tensors "
    "((X − mean) / std) instead of X -= mean or X.sub_(...): the caller still needs the raw data.",
    "standardize_split modificou a entrada {which} no lugar (agora {now}, era {was}). Crie tensores novos "
    "((X − média) / desvio) em vez de X -= média ou X.sub_(...): quem chamou ainda precisa dos dados brutos.",
)

# ---------------------------------------------------------------- texts: fit_linear

FIT_TYPE = Text(
    "fit_linear({args}) must return (model, losses): an nn.Linear and a list of {n} floats, one per "
    "epoch; it returned {got}.",
    "fit_linear({args}) deve devolver (model, losses): um nn.Linear e uma lista de {n} floats, um por "
    "época; devolveu {got}.",
)
FIT_CURVE = Text(
    " Loss curve (first, middle, last epoch): yours [{curve}], the reference's [{ref_curve}].",
    " Curva da loss (primeira, do meio, última época): a sua [{curve}], a da referência [{ref_curve}].",
)
EPOCH_LOSS = Text("epoch {n}: {loss}", "época {n}: {loss}")
FIT_AFTER = Text(
    "fit_linear({args}): each recorded loss is the loss after that epoch's update. Record the loss "
    "computed in the forward pass, before optimizer.step(); do not compute it again after the step.",
    "fit_linear({args}): cada loss guardada é a loss depois da atualização daquela época. Guarde a loss "
    "calculada no forward, antes de optimizer.step(); não a calcule de novo depois do step.",
)
FIT_SEED_IGNORED = Text(
    "fit_linear({args}): the starting weights are those of seed 0: the seed is ignored. Call "
    "torch.manual_seed(seed) with the argument.",
    "fit_linear({args}): os pesos iniciais são os da semente 0: a semente é ignorada. Chame "
    "torch.manual_seed(seed) com o argumento.",
)
FIT_SEED_ORDER = Text(
    "fit_linear({args}): the first loss is {actual}, expected {expected}: the starting weights differ. "
    "Call torch.manual_seed(seed) before building nn.Linear(X.shape[1], 1); the layer draws its weights "
    "when it is built.",
    "fit_linear({args}): a primeira loss é {actual}, esperado {expected}: os pesos iniciais diferem. "
    "Chame torch.manual_seed(seed) antes de construir nn.Linear(X.shape[1], 1); a camada sorteia os pesos "
    "ao ser construída.",
)
FIT_FROZEN = Text(
    "fit_linear({args}): the parameters never moved. Is optimizer.zero_grad() between backward() and "
    "step()? Then step() finds no gradient. Clear the gradients before backward() (or after step()), "
    "and call optimizer.step() every epoch.",
    "fit_linear({args}): os parâmetros nunca se moveram. optimizer.zero_grad() está entre backward() e "
    "step()? Então step() não encontra gradiente. Limpe os gradientes antes de backward() (ou depois de "
    "step()), e chame optimizer.step() a cada época.",
)
FIT_NOT_CLEARED = Text(
    "fit_linear({args}): the losses match descent whose gradients are never cleared: backward() adds "
    "into .grad, so each step uses the sum of all past gradients. Call optimizer.zero_grad() every epoch.",
    "fit_linear({args}): as losses batem com uma descida cujos gradientes nunca são limpos: backward() "
    "soma em .grad, então cada passo usa a soma de todos os gradientes anteriores. Chame "
    "optimizer.zero_grad() a cada época.",
)
FIT_OPTIMIZER = Text(
    "fit_linear({args}): the run matches {name}, another optimizer. The exercise uses plain gradient "
    "descent: optim.SGD(model.parameters(), lr=lr), no momentum.",
    "fit_linear({args}): o treino bate com {name}, outro otimizador. O exercício usa descida do "
    "gradiente simples: optim.SGD(model.parameters(), lr=lr), sem momentum.",
)
FIT_LOSSES = Text(
    "fit_linear({args}): the losses differ from the reference from epoch {epoch} on. The start matches, so "
    "look at the training loop: full-batch gradient descent with plain SGD and the mean squared error, one "
    "update per epoch from fresh gradients, keeping the loss that update came from (the steps are listed in "
    "fit_linear's comments in ex08_regression.py).",
    "fit_linear({args}): as losses diferem da referência a partir da época {epoch}. O início bate, então veja "
    "o laço de treino: descida do gradiente com o batch inteiro, SGD simples e o erro quadrático médio, uma "
    "atualização por época a partir de gradientes novos, guardando a loss de onde veio essa atualização (os "
    "passos estão listados nos comentários de fit_linear em ex08_regression.py).",
)
FIT_PARAMS = Text(
    "fit_linear({args}): the losses are right but the final weights differ (weight {actual}, expected "
    "{expected}): make exactly one optimizer.step() per epoch and return the model you trained.",
    "fit_linear({args}): as losses estão certas mas os pesos finais diferem (peso {actual}, esperado "
    "{expected}): faça exatamente um optimizer.step() por época e devolva o modelo treinado.",
)
FIT_SHORT = Text(
    "with its defaults fit_linear reached a training MSE of {mse}, against {sk} for scikit-learn's "
    "closed-form LinearRegression on the same standardized data ({gap} above; at most 0.1 % is "
    "allowed).",
    "com os valores padrão fit_linear chegou a um MSE de treino de {mse}, contra {sk} do LinearRegression "
    "(forma fechada) do scikit-learn nos mesmos dados padronizados ({gap} acima; no máximo 0,1 % é "
    "permitido).",
)
WHY_DIVERGED = Text(
    " The loss diverged (NaN or inf): the learning rate is too large; the default is lr=0.1.",
    " A loss divergiu (NaN ou inf): a taxa de aprendizado é grande demais; o padrão é lr=0.1.",
)
WHY_FEW = Text(
    " It ran {n} epochs: too few epochs for gradient descent to get there; the default is n_epochs=3000.",
    " Rodou {n} épocas: épocas de menos para a descida do gradiente chegar lá; o padrão é n_epochs=3000.",
)
WHY_OTHER = Text(
    " Keep the defaults lr=0.1, n_epochs=3000, seed=0, and the loop of the short runs.",
    " Mantenha os padrões lr=0.1, n_epochs=3000, seed=0, e o laço das execuções curtas.",
)

# ---------------------------------------------------------------- texts: regression_metrics

MET_TYPE = Text(
    "regression_metrics must return a dict with the keys mse, rmse, mae, r2 and Python floats as values "
    "(use .item()); it returned {got}.",
    "regression_metrics deve devolver um dict com as chaves mse, rmse, mae, r2 e floats do Python como "
    "valores (use .item()); devolveu {got}.",
)
MET_WRONG = Text(
    "{case}: {name} is {actual}, expected {expected} (scikit-learn's {sk} on the same predictions).",
    "{case}: {name} é {actual}, esperado {expected} ({sk} do scikit-learn nas mesmas predições).",
)
WHY_NO_SQRT = Text(
    " It equals the MSE: the square root is missing (rmse = sqrt(mse)).",
    " É igual ao MSE: falta a raiz quadrada (rmse = sqrt(mse)).",
)
WHY_CORRELATION = Text(
    " It equals the squared correlation between predictions and targets. That is R² only for a least-"
    "squares fit scored on its own training data; in general r2 = 1 − SS_res / SS_tot.",
    " É igual à correlação ao quadrado entre predições e alvos. Isso só é o R² de um ajuste por mínimos "
    "quadrados avaliado nos próprios dados de treino; em geral r2 = 1 − SS_res / SS_tot.",
)
WHY_NOT_CENTRED = Text(
    " It uses SS_tot = Σ y², not centred: SS_tot = Σ (y − mean(y))², the squared distance from the mean.",
    " Usa SS_tot = Σ y², não centrado: SS_tot = Σ (y − média(y))², a distância ao quadrado até a média.",
)
WHY_SAMPLE_VAR = Text(
    " It uses the sample variance of y (N − 1): SS_tot is N times the population variance.",
    " Usa a variância amostral de y (N − 1): SS_tot é N vezes a variância populacional.",
)
WHY_MSE = Text(
    " mse is the mean of (model(X) − y)² over all N samples; check that predictions (N, 1) and y (N, 1) "
    "line up (no broadcasting to (N, N)).",
    " mse é a média de (model(X) − y)² sobre as N amostras; confira que predições (N, 1) e y (N, 1) "
    "se alinham (sem broadcasting para (N, N)).",
)
WHY_MAE = Text(
    " mae is the mean of |model(X) − y|.",
    " mae é a média de |model(X) − y|.",
)
NONE = Text("", "")


# ---------------------------------------------------------------- data, with scikit-learn as the truth

@functools.lru_cache(maxsize=None)
def _raw(scaled=False):
    X, y = load_diabetes(return_X_y=True, scaled=scaled)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def _sk_split(test_size=0.2, seed=0, scaled=False):
    """train_test_split on the raw diabetes data, as float32 tensors with (N, 1) targets."""
    X, y = _raw(scaled)
    parts = train_test_split(X, y, test_size=test_size, random_state=seed)
    X_tr, X_te, y_tr, y_te = (torch.tensor(p, dtype=torch.float32) for p in parts)
    return X_tr, X_te, y_tr.reshape(-1, 1), y_te.reshape(-1, 1)


def _sk_standardized():
    """The default split standardized by scikit-learn's StandardScaler fitted on the training part."""
    X_tr, X_te, y_tr, y_te = _sk_split()
    scaler = StandardScaler().fit(X_tr.double().numpy())
    f32 = lambda a: torch.tensor(a, dtype=torch.float32)
    return f32(scaler.transform(X_tr.double().numpy())), f32(scaler.transform(X_te.double().numpy())), y_tr, y_te


def _kind(value) -> str:
    if torch.is_tensor(value):
        return f"tensor {tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_kind(v) for v in value) + ")"
    return type(value).__name__


def _is_float(value) -> bool:
    return isinstance(value, float)


# ---------------------------------------------------------------- diabetes_split

def _four_tensors(out) -> bool:
    return isinstance(out, (tuple, list)) and len(out) == 4 and all(torch.is_tensor(t) for t in out)


def _call_text(kwargs) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs.items())


@item("diabetes_split", points=1)
def test_diabetes_split_gives_float32_tensors_with_column_targets(student):
    out = student()()
    check(_four_tensors(out), SPLIT_TYPE, call="()", got=_kind(out))
    X_tr, X_te, y_tr, y_te = _sk_split()
    if any(t.dtype != torch.float32 for t in out):
        fail(SPLIT_DTYPE, dtypes=", ".join(str(t.dtype).removeprefix("torch.") for t in out))
    for got, want in zip(out[2:], (y_tr, y_te)):
        if got.dim() == 1 and got.shape[0] == want.shape[0]:
            fail(SPLIT_FLAT, shape=tuple(got.shape))
    shapes = [tuple(t.shape) for t in out]
    expected = [tuple(t.shape) for t in (X_tr, X_te, y_tr, y_te)]
    check(shapes == expected, SPLIT_SHAPES, shapes=shapes, expected=expected)


SPLIT_CASES = {
    "defaults": {},
    "test_size=0.3, seed=5": dict(test_size=0.3, seed=5),
    "test_size=0.1, seed=42": dict(test_size=0.1, seed=42),
}


def _same_split(out, expected) -> bool:
    """Values equal; a flat target counts (that slip costs the format check, not this one)."""
    for got, want in zip(out, expected):
        if got.dim() == 0 or got.numel() != want.numel() or got.shape[0] != want.shape[0]:
            return False
        if not close(got.reshape(want.shape).float(), want, "op"):
            return False
    return True


def _diagnose_split(out, kwargs, args) -> Text:
    size, seed = kwargs.get("test_size", 0.2), kwargs.get("seed", 0)
    want = _sk_split(size, seed)
    rows, want_rows = (out[1].shape[0] if out[1].dim() else 0), want[1].shape[0]
    if rows != want_rows:
        if size != 0.2 and rows == _sk_split(0.2, seed)[1].shape[0]:
            return SPLIT_TEST_SIZE.format(args=args, rows=rows, want=want_rows)
        return SPLIT_ROWS.format(args=args, rows=rows, want=want_rows, size=size)
    for used in (0, 42, 1, seed + 1):
        if used != seed and _same_split(out, _sk_split(size, used)):
            return SPLIT_SEED.format(args=args, used=used)
    if _same_split(out, _sk_split(size, seed, scaled=True)):
        return SPLIT_SCALED.format(args=args)
    names = ("X_train", "X_test", "y_train", "y_test")
    which = next((i for i, (g, w) in enumerate(zip(out, want))
                  if g.dim() == 0 or g.numel() != w.numel() or not close(g.reshape(w.shape).float(), w, "op")), 0)
    return SPLIT_VALUES.format(args=args, size=size, seed=seed, which=names[which],
                               actual=brief(out[which]), expected=brief(want[which]))


@item("diabetes_split", points=2)
@pytest.mark.parametrize("case", list(SPLIT_CASES))
def test_diabetes_split_equals_train_test_split(student, case):
    kwargs = SPLIT_CASES[case]
    args = _call_text(kwargs)
    out = student()(**kwargs)
    check(_four_tensors(out), SPLIT_TYPE, call=f"({args})", got=_kind(out))
    expected = _sk_split(kwargs.get("test_size", 0.2), kwargs.get("seed", 0))
    if not _same_split(out, expected):
        fail(_diagnose_split(out, kwargs, args))


# ---------------------------------------------------------------- standardize_split

def _diabetes_parts():
    X_tr, X_te, _, _ = _sk_split()
    return X_tr, X_te


def _shifted_parts():
    """Small synthetic parts whose test rows come from another distribution (a leak shows)."""
    scale = torch.tensor([2.0, 10.0, 1.0, 5.0])
    shift = torch.tensor([5.0, -30.0, 2.0, 10.0])
    X_tr = torch.randn(12, 4) * scale + shift
    X_te = torch.randn(6, 4) * scale * 2 + shift + 7
    return X_tr, X_te


STD_CASES = {
    "diabetes split": (Text("diabetes split", "divisão do diabetes"), _diabetes_parts),
    "shifted synthetic data": (Text("synthetic data, test part shifted", "dados sintéticos, teste deslocado"),
                               _shifted_parts),
}


def _stat(value, n_features):
    """A (D,) view of a returned statistic; (1, D) from keepdim=True is fine too."""
    if torch.is_tensor(value) and value.numel() == n_features and value.dim() <= 2:
        return value.detach().reshape(n_features).float()
    return value


def _std_of(x, correction):
    return x.double().std(dim=0, correction=correction).float()


def _diagnose_stats(label, X_tr, X_te, mean, std, want_mean, want_std) -> Text:
    both = torch.cat([X_tr, X_te])
    if not close(mean, want_mean, "op") and close(mean, both.double().mean(dim=0).float(), "train"):
        return STD_LEAK.format(case=label, what=RETURNED_MEAN)
    if not close(std, want_std, "op"):
        if any(close(std, _std_of(both, c), "train") for c in (0, 1)):
            return STD_LEAK.format(case=label, what=RETURNED_STD)
        if close(std, _std_of(X_tr, 1), "train"):
            return STD_SAMPLE.format(case=label, actual=brief(std), expected=brief(want_std))
        return STD_STATS.format(case=label, what=STAT_STD, actual=brief(std), expected=brief(want_std))
    return STD_STATS.format(case=label, what=STAT_MEAN, actual=brief(mean), expected=brief(want_mean))


@item("standardize_split", points=2)
@pytest.mark.parametrize("case", list(STD_CASES))
def test_standardize_split_uses_training_statistics(student, reference, case):
    label, make = STD_CASES[case]
    X_tr, X_te = make()
    out = student()(X_tr.clone(), X_te.clone())
    check(isinstance(out, (tuple, list)) and len(out) == 4 and all(torch.is_tensor(t) for t in out),
          STD_TYPE, got=_kind(out))
    scaler = StandardScaler().fit(X_tr.double().numpy())
    want_mean = torch.tensor(scaler.mean_, dtype=torch.float32)
    want_std = torch.tensor(scaler.scale_, dtype=torch.float32)
    tr, te = out[0].detach(), out[1].detach()
    mean, std = _stat(out[2], X_tr.shape[1]), _stat(out[3], X_tr.shape[1])
    if not (close(mean, want_mean, "op") and close(std, want_std, "op")):
        fail(_diagnose_stats(label, X_tr, X_te, mean, std, want_mean, want_std))
    ref_tr, ref_te, _, _ = reference()(X_tr.clone(), X_te.clone())
    # The reference's outputs, or the same formula on the (verified) statistics returned: summation
    # order in the statistics moves outputs near zero by more than a rounding error of their own.
    by_own = lambda X: ((X.double() - mean.double()) / std.double()).float()
    ok_tr = close(tr, ref_tr, "op") or close(tr, by_own(X_tr), "op")
    check(ok_tr, STD_OUTPUT, case=label, which="X_train", actual=brief(tr), expected=brief(ref_tr))
    if not (close(te, ref_te, "op") or close(te, by_own(X_te), "op")):
        own_mean, own_std = X_te.double().mean(dim=0), X_te.double().std(dim=0, correction=0)
        own = ((X_te.double() - own_mean) / own_std).float()
        own_sample = ((X_te.double() - own_mean) / X_te.double().std(dim=0)).float()
        if close(te, own, "train") or close(te, own_sample, "train"):
            fail(STD_OWN, case=label)
        fail(STD_OUTPUT, case=label, which="X_test", actual=brief(te), expected=brief(ref_te))


@item("standardize_split", points=1)
def test_standardize_split_leaves_its_inputs_unchanged(student):
    for _, make in STD_CASES.values():
        X_tr, X_te = make()
        saved = X_tr.clone(), X_te.clone()
        student()(X_tr, X_te)
        for which, now, was in (("X_train", X_tr, saved[0]), ("X_test", X_te, saved[1])):
            check(torch.equal(now, was), STD_IN_PLACE, which=which, now=brief(now), was=brief(was))


# ---------------------------------------------------------------- fit_linear

def _fit_result(out, n_epochs) -> bool:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return False
    model, losses = out
    return (isinstance(model, nn.Module) and isinstance(losses, (list, tuple)) and len(losses) == n_epochs
            and all(_is_float(v) for v in losses))


def _fmt(v) -> str:
    return f"{v:.6g}" if isinstance(v, (int, float)) else _kind(v)


def _curve(losses) -> Text:
    """The loss at the first, middle and last epoch: `epoch 1: 0.9, epoch 5: 0.4, epoch 10: 0.1`."""
    losses = list(losses)
    picks = sorted({0, (len(losses) - 1) // 2, len(losses) - 1}) if losses else []
    return Text(", ", ", ").join(EPOCH_LOSS.format(n=i + 1, loss=_fmt(losses[i])) for i in picks)


def _curves(losses, ref_losses) -> Text:
    """The student's loss curve next to the reference's: first, middle and last epoch."""
    return FIT_CURVE.format(curve=_curve(losses), ref_curve=_curve(ref_losses))


TRAINING_LOOP = ("ex03_training", "train_bgd")  # the curriculum's full-batch loop, reused for diagnostics
OTHER_OPTIMIZERS = {
    "SGD with momentum=0.9": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}


def _trained_with(ref, X, y, lr, n_epochs, seed, make_optimizer):
    """Diagnostic only: the reference's own full-batch training loop (ex03's train_bgd) on the
    nn.Linear that fit_linear builds after torch.manual_seed(seed), with another optimizer (one that
    never clears, or momentum, or Adam), so the check holds no training loop of its own. (losses,
    parameters), or None where the recorded answers hold none for this call."""
    with hint_only():
        try:
            train_bgd = ref.get(*TRAINING_LOOP)
        except (HintUnavailable, CheckFailed):  # a reference without that module answers no diagnostic
            return None
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    losses = for_hint(train_bgd, model, make_optimizer(model.parameters(), lr), nn.MSELoss(), X, y, n_epochs)
    return None if losses is None else (losses, params_of(model))


def _losses_close(a, b) -> bool:
    """Losses of float32 training runs, carried as Python floats: float32 tolerances apply."""
    return len(a) == len(b) and close(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64),
                                      "train", computed_in=torch.float32)


def _diagnose_fit(out, expected, ref_params, kwargs, args, X, y, reference, ref) -> Text:
    """The slip behind a wrong fit, from the reference asked other questions (only on failure; a question
    the recorded answers cannot answer is skipped)."""
    model, losses = out
    lr, n = kwargs["lr"], kwargs["n_epochs"]
    seed = kwargs.get("seed", 0)
    fit = lambda *call: for_hint(reference(), *call)  # noqa: E731
    ahead = fit(X, y, lr, n + 1, seed)
    if ahead is not None and _losses_close(losses, ahead[1][1:]):
        return FIT_AFTER.format(args=args)
    if not close(losses[0], expected[0], "op"):
        seed_zero = fit(X, y, lr, 1, 0) if seed != 0 else None
        if seed_zero is not None and close(losses[0], seed_zero[1][0], "op"):
            return FIT_SEED_IGNORED.format(args=args)
        return FIT_SEED_ORDER.format(args=args, actual=_fmt(losses[0]), expected=_fmt(expected[0]))
    start = fit(X, y, lr, 0, seed)
    if start is not None and same(params_of(model), params_of(start[0]), "op"):
        return FIT_FROZEN.format(args=args)
    if _losses_close(losses, expected):
        other = _other_optimizer(ref, model, X, y, lr, n, seed)
        if other is not None:
            return FIT_OPTIMIZER.format(args=args, name=other)
        return FIT_PARAMS.format(args=args, actual=brief(params_of(model)[0]), expected=brief(ref_params[0]))
    uncleared = _trained_with(ref, X, y, lr, n, seed, lambda params, lr: NeverClears(params, lr=lr)) if n > 1 else None
    if uncleared is not None and _losses_close(losses, uncleared[0]):
        return FIT_NOT_CLEARED.format(args=args)
    other = _other_optimizer(ref, model, X, y, lr, n, seed, losses)
    if other is not None:
        return FIT_OPTIMIZER.format(args=args, name=other)
    epoch = next((i + 1 for i, (a, e) in enumerate(zip(losses, expected)) if not close(a, e, "train")), n)
    return FIT_LOSSES.format(args=args, epoch=epoch)


def _other_optimizer(ref, model, X, y, lr, n, seed, losses=None):
    """The name of the optimizer whose run the student's matches (by losses, else by final weights)."""
    for name, make in OTHER_OPTIMIZERS.items():
        run = _trained_with(ref, X, y, lr, n, seed, make)
        if run is None:
            continue
        their_losses, their_params = run
        if losses is not None and n > 1 and _losses_close(losses, their_losses):
            return name
        if losses is None and same(params_of(model), their_params, "train"):
            return name
    return None


FIT_CASES = {
    "lr=0.1, n_epochs=1": dict(lr=0.1, n_epochs=1),
    "lr=0.1, n_epochs=5": dict(lr=0.1, n_epochs=5),
    "lr=0.05, n_epochs=4, seed=7": dict(lr=0.05, n_epochs=4, seed=7),
    "lr=0, n_epochs=4": dict(lr=0.0, n_epochs=4),  # the loss stays the same every epoch
}


@item("fit_linear", points=2)
@pytest.mark.parametrize("case", list(FIT_CASES))
def test_fit_linear_short_runs_match_the_reference(student, reference, ref, case):
    kwargs = FIT_CASES[case]
    X, _, y, _ = _sk_standardized()
    args = "X, y, " + _call_text(kwargs)
    out = student()(X.clone(), y.clone(), **kwargs)
    if kwargs["lr"] == 0 and isinstance(out, (tuple, list)) and len(out) == 2:
        check_every_epoch(f"fit_linear({args})", out[1], kwargs["n_epochs"], "lr=0")
    check(_fit_result(out, kwargs["n_epochs"]), FIT_TYPE, args=args, n=kwargs["n_epochs"], got=_kind(out))
    ref_model, expected = reference()(X, y, **kwargs)
    model, losses = out
    curve = _curves(losses, expected)
    if not (_losses_close(list(losses), expected) and same(params_of(model), params_of(ref_model), "train")):
        fail(_diagnose_fit(out, expected, params_of(ref_model), kwargs, args, X, y, reference, ref) + curve)


def _training_mse(model, X, y) -> float:
    with torch.no_grad():
        pred = model(X)
    return float(((pred.double() - y.double()) ** 2).mean())


@item("fit_linear", points=2)
def test_fit_linear_defaults_come_close_to_sklearn(student, reference):
    X, _, y, _ = _sk_standardized()
    out = student()(X.clone(), y.clone())
    got = _kind(out)
    ok = (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[0], nn.Module)
          and isinstance(out[1], (list, tuple)) and all(_is_float(v) for v in out[1]))
    check(ok, FIT_TYPE, args="X, y", n="n_epochs", got=got)
    model, losses = out
    mse = _training_mse(model, X, y)
    closed_form = LinearRegression().fit(X.double().numpy(), y.double().numpy())
    sk = mean_squared_error(y.double().numpy(), closed_form.predict(X.double().numpy()))
    gap = (mse - sk) / sk
    if math.isfinite(mse) and abs(gap) <= FIT_MARGIN:
        return
    if not (math.isfinite(mse) and all_finite(torch.tensor(list(losses), dtype=torch.float64))):
        why = WHY_DIVERGED
    elif len(losses) < 3000:
        why = WHY_FEW.format(n=len(losses))
    else:
        why = WHY_OTHER
    ref_run = for_hint(reference(), X, y)  # the reference's curve, for the hint only
    curve = _curves(losses, ref_run[1]) if ref_run is not None else Text("", "")
    fail(FIT_SHORT.format(mse=_fmt(mse), sk=_fmt(sk), gap=f"{100 * gap:.3g} %" if math.isfinite(gap) else "∞")
         + why + curve)


# ---------------------------------------------------------------- regression_metrics

def _fitted_on_test():
    """A linear layer holding scikit-learn's least-squares weights, scored on the held-out part."""
    X_tr, X_te, y_tr, y_te = _sk_standardized()
    fitted = LinearRegression().fit(X_tr.double().numpy(), y_tr.double().numpy())
    model = nn.Linear(X_tr.shape[1], 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(fitted.coef_, dtype=torch.float32).reshape(1, -1))
        model.bias.copy_(torch.tensor(fitted.intercept_, dtype=torch.float32).reshape(1))
    return model, X_te, y_te


def _untrained_on_train():
    X_tr, _, y_tr, _ = _sk_standardized()
    return nn.Linear(X_tr.shape[1], 1), X_tr, y_tr


def _small_net():
    X = torch.randn(30, 3)
    y = X[:, :1] * 2 - X[:, 1:2] + 0.5 * torch.randn(30, 1) + 1
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)), X, y


MET_CASES = {
    "fitted linear model on the test part": (
        Text("fitted linear model on the test part", "modelo linear ajustado, parte de teste"), _fitted_on_test),
    "untrained linear model on the training part": (
        Text("untrained linear model on the training part", "modelo linear sem treino, parte de treino"),
        _untrained_on_train),
    "small MLP on synthetic data": (
        Text("small MLP on synthetic data", "MLP pequena em dados sintéticos"), _small_net),
}
KEYS = ("mse", "rmse", "mae", "r2")


def _truth(model, X, y):
    with torch.no_grad():
        pred = model(X)
    p, t = pred.double().numpy().ravel(), y.double().numpy().ravel()
    mse = mean_squared_error(t, p)
    return p, t, {"mse": mse, "rmse": math.sqrt(mse), "mae": mean_absolute_error(t, p), "r2": r2_score(t, p)}


def _metrics(student, case):
    model, X, y = MET_CASES[case][1]()
    p, t, truth = _truth(model, X, y)
    out = student()(model, X.clone(), y.clone())
    ok = isinstance(out, dict) and all(k in out for k in KEYS) and all(_is_float(out[k]) for k in KEYS)
    got = "{" + ", ".join(f"{k!r}: {_kind(v)}" for k, v in out.items()) + "}" if isinstance(out, dict) else _kind(out)
    check(ok, MET_TYPE, got=got)
    return out, truth, p, t


def _agrees(value, truth) -> bool:
    return close(torch.tensor(value, dtype=torch.float64), torch.tensor(truth, dtype=torch.float32), "op")


SK_NAMES = {"mse": "mean_squared_error", "rmse": "sqrt(mean_squared_error)", "mae": "mean_absolute_error",
            "r2": "r2_score"}


def _wrong(case, name, out, truth, why) -> Text:
    label = MET_CASES[case][0]
    return MET_WRONG.format(case=label, name=name, actual=_fmt(out[name]),
                            expected=_fmt(truth[name]), sk=SK_NAMES[name]) + why


@item("regression_metrics", points=1)
def test_regression_metrics_returns_four_floats(student):
    _metrics(student, "small MLP on synthetic data")


@item("regression_metrics", points=1)
@pytest.mark.parametrize("case", list(MET_CASES))
def test_regression_metrics_errors_match_sklearn(student, case):
    out, truth, p, t = _metrics(student, case)
    for name in ("mse", "rmse", "mae"):
        if not _agrees(out[name], truth[name]):
            why = NONE
            if name == "rmse" and _agrees(out[name], truth["mse"]):
                why = WHY_NO_SQRT
            elif name in ("mse", "mae"):
                why = WHY_MSE if name == "mse" else WHY_MAE
            fail(_wrong(case, name, out, truth, why))


@item("regression_metrics", points=1)
@pytest.mark.parametrize("case", list(MET_CASES))
def test_regression_metrics_r2_matches_sklearn(student, case):
    out, truth, p, t = _metrics(student, case)
    if _agrees(out["r2"], truth["r2"]):
        return
    ss_res = float(((p - t) ** 2).sum())
    why = NONE
    if _agrees(out["r2"], float(np.corrcoef(p, t)[0, 1] ** 2)):
        why = WHY_CORRELATION
    elif _agrees(out["r2"], 1 - ss_res / float((t**2).sum())):
        why = WHY_NOT_CENTRED
    elif _agrees(out["r2"], 1 - ss_res / (float(t.var(ddof=1)) * len(t))):
        why = WHY_SAMPLE_VAR
    fail(_wrong(case, "r2", out, truth, why))


@item("regression_metrics", points=1)
def test_regression_metrics_without_autograd(student):
    """The contract says "without autograd": no layer output may carry a graph (no_grad,
    inference_mode, set_grad_enabled(False) or a decorator all qualify)."""
    model, X, y = _small_net()
    spy = GraphSpy(model)
    student()(model, X, y)
    spy.remove()
    check_no_graph(spy, "regression_metrics")
