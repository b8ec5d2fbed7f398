"""ex08 — linear regression on real data.

The diabetes data set ships inside scikit-learn: 442 patients, 10 measurements each, and how far
the disease progressed one year later. You split it, standardise it with the training part's
statistics only, fit a linear model by full-batch gradient descent, and measure the result.
scikit-learn's closed-form `LinearRegression` and its metrics are the yardstick.

PT-BR: ex08 — regressão linear com dados reais.

O conjunto de dados diabetes vem dentro do scikit-learn: 442 pacientes, 10 medidas de cada um e
quanto a doença progrediu um ano depois. Você divide os dados, padroniza-os só com as estatísticas
da parte de treino, ajusta um modelo linear por descida de gradiente com o lote inteiro e mede o
resultado. O `LinearRegression` do scikit-learn (solução em forma fechada) e as métricas dele
servem de referência.
"""
import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from torch import nn, optim


def diabetes_split(test_size=0.2, seed=0):
    """The diabetes data (scaled=False) split by train_test_split(test_size, random_state=seed).

    Returns X_train, X_test, y_train, y_test as float32 tensors, the targets as columns (N, 1).

    PT-BR: Os dados de diabetes (scaled=False) divididos por
    train_test_split(test_size, random_state=seed).

    Devolve X_train, X_test, y_train, y_test como tensores float32, com os alvos em colunas (N, 1).
    """
    ### BEGIN SOLUTION
    # TODO: load the raw data (scaled=False) and split it with the given test_size and seed
    # TODO(pt): carregue os dados brutos (scaled=False) e divida-os com o test_size e a semente recebidos
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed)
    # TODO: float32 tensors; the targets become columns of shape (N, 1)
    # TODO(pt): tensores float32; os alvos viram colunas de formato (N, 1)
    as_tensor = lambda a: torch.tensor(a, dtype=torch.float32)
    return (as_tensor(X_train), as_tensor(X_test),
            as_tensor(y_train).reshape(-1, 1), as_tensor(y_test).reshape(-1, 1))
    ### END SOLUTION


def standardize_split(X_train, X_test):
    """Standardise both parts with the mean and population std of X_train alone (over dim 0).

    Returns (X_train_std, X_test_std, mean, std); X_train and X_test are left unchanged.

    PT-BR: Padroniza as duas partes com a média e o desvio padrão populacional só de X_train
    (na dim 0).

    Devolve (X_train_std, X_test_std, mean, std); X_train e X_test não são alterados.
    """
    ### BEGIN SOLUTION
    # TODO: statistics of the training part only (population std: correction=0)
    # TODO(pt): estatísticas só da parte de treino (desvio padrão populacional: correction=0)
    mean = X_train.mean(dim=0)
    std = X_train.std(dim=0, correction=0)
    # TODO: apply the same transformation to both parts, without modifying the inputs
    # TODO(pt): aplique a mesma transformação às duas partes, sem modificar as entradas
    return (X_train - mean) / std, (X_test - mean) / std, mean, std
    ### END SOLUTION


def fit_linear(X, y, lr=0.1, n_epochs=3000, seed=0):
    """Full-batch gradient descent of nn.Linear(X.shape[1], 1) with SGD and the MSE loss.

    Returns (model, losses), losses holding each epoch's loss before its update.

    PT-BR: Descida de gradiente com o lote inteiro para nn.Linear(X.shape[1], 1), com SGD e a
    perda MSE.

    Devolve (model, losses), em que losses contém a perda de cada época antes da atualização dela.
    """
    ### BEGIN SOLUTION
    # TODO: seed first, then build the layer, the optimizer and the loss
    # TODO(pt): primeiro a semente, depois a camada, o otimizador e a função de perda
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(n_epochs):
        # TODO: forward on all of X, loss, clear the gradients, backward, step; keep the loss
        # TODO(pt): forward em todo o X, perda, limpe os gradientes, backward, step; guarde a perda
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
    ### END SOLUTION


def regression_metrics(model, X, y):
    """{"mse", "rmse", "mae", "r2"} of model(X) against y, without autograd, as Python floats.

    PT-BR: {"mse", "rmse", "mae", "r2"} de model(X) em relação a y, sem autograd, como floats do
    Python.
    """
    ### BEGIN SOLUTION
    # TODO: predict without autograd
    # TODO(pt): faça a predição sem autograd
    with torch.no_grad():
        pred = model(X)
        # TODO: the errors, then r2 = 1 - SS_res / SS_tot (SS_tot around the mean of y)
        # TODO(pt): os erros, depois r2 = 1 - SS_res / SS_tot (SS_tot em torno da média de y)
        err = pred - y
        mse = (err**2).mean()
        ss_res = (err**2).sum()
        ss_tot = ((y - y.mean()) ** 2).sum()
        return {
            "mse": mse.item(),
            "rmse": mse.sqrt().item(),
            "mae": err.abs().mean().item(),
            "r2": (1 - ss_res / ss_tot).item(),
        }
    ### END SOLUTION
