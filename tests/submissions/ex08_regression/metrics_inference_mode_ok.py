"""Correct variant: the metrics under torch.inference_mode() with torch.nn.functional losses."""
import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from torch import nn, optim
from torch.nn import functional as F

EXPECTED = {}


def diabetes_split(test_size=0.2, seed=0):
    """The diabetes data (scaled=False) split by train_test_split(test_size, random_state=seed).

    Returns X_train, X_test, y_train, y_test as float32 tensors, the targets as columns (N, 1).
    """
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed)
    as_tensor = lambda a: torch.tensor(a, dtype=torch.float32)
    return (as_tensor(X_train), as_tensor(X_test),
            as_tensor(y_train).reshape(-1, 1), as_tensor(y_test).reshape(-1, 1))


def standardize_split(X_train, X_test):
    """Standardise both parts with the mean and population std of X_train alone (over dim 0).

    Returns (X_train_std, X_test_std, mean, std); X_train and X_test are left unchanged.
    """
    mean = X_train.mean(dim=0)
    std = X_train.std(dim=0, correction=0)
    return (X_train - mean) / std, (X_test - mean) / std, mean, std


def fit_linear(X, y, lr=0.1, n_epochs=3000, seed=0):
    """Full-batch gradient descent of nn.Linear(X.shape[1], 1) with SGD and the MSE loss.

    Returns (model, losses), losses holding each epoch's loss before its update.
    """
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(n_epochs):
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def regression_metrics(model, X, y):
    """{"mse", "rmse", "mae", "r2"} of model(X) against y, without autograd, as Python floats."""
    with torch.inference_mode():
        pred = model(X)
        mse = F.mse_loss(pred, y)
        r2 = 1 - F.mse_loss(pred, y, reduction="sum") / F.mse_loss(y, y.mean().expand_as(y), reduction="sum")
        return {"mse": mse.item(), "rmse": torch.sqrt(mse).item(), "mae": F.l1_loss(pred, y).item(),
                "r2": r2.item()}
