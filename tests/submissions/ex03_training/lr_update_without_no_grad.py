"""Mistake: the classic slip, w -= lr * w.grad on leaves that require grad, outside torch.no_grad()."""
import torch

EXPECTED = {'linear_regression_gd': 'torch.no_grad()'}


def train_step(model, loss_fn, optimizer, inputs, targets):
    """One optimisation step on one batch; returns the loss before the update as a Python float.

    Gradients left on the parameters before the call must not affect the update; on return each
    parameter's .grad holds this batch's gradient.
    """
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    """Training mode, train_step on every batch (moved to device); mean loss per sample."""
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = train_step(model, loss_fn, optimizer, inputs, targets)
        total += loss * len(inputs)
        count += len(inputs)
    return total / count


def fit(model, loader, loss_fn, optimizer, epochs, device="cpu"):
    """`epochs` calls of train_epoch; the list of their losses."""
    return [train_epoch(model, loader, loss_fn, optimizer, device) for _ in range(epochs)]


def train_bgd(model, optimizer, criterion, X, y, n_epochs):
    """Full-batch gradient descent: one step on all of X per epoch; each epoch's loss before its update."""
    losses = []
    for _ in range(n_epochs):
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def linear_regression_gd(X, y, lr, n_epochs, seed=42):
    """Linear regression by hand: tensors and autograd only (no nn, no optim).

    torch.manual_seed(seed); w = randn((X.shape[1], 1)), b = 0., both requiring grad. Returns
    (w, b, losses), w and b detached, losses each epoch's loss before its update.
    """
    torch.manual_seed(seed)
    w = torch.randn((X.shape[1], 1), requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses
