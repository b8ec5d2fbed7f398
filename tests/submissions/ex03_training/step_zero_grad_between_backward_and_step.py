"""optimizer.zero_grad() sits between backward() and step(), so step() sees no gradient."""
import torch

EXPECTED = {'train_step': 'between backward() and step()'}


def train_step(model, loss_fn, optimizer, inputs, targets):
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def train_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = train_step(model, loss_fn, optimizer, inputs, targets)
        total += loss * len(inputs)
        count += len(inputs)
    return total / count


def fit(model, loader, loss_fn, optimizer, epochs, device="cpu"):
    return [train_epoch(model, loader, loss_fn, optimizer, device) for _ in range(epochs)]


def train_bgd(model, optimizer, criterion, X, y, n_epochs):
    losses = []
    for _ in range(n_epochs):
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def linear_regression_gd(X, y, lr, n_epochs, seed=42):
    torch.manual_seed(seed)
    w = torch.randn((X.shape[1], 1), requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses
