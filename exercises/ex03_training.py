"""ex03 — the training loop.

Every step of training is the same five moves: forward, loss, clear the old gradients, backward,
optimizer step. An epoch repeats them over every batch of a loader; `fit` repeats epochs. The
last two functions do full-batch gradient descent, first with an optimizer and then by hand.
"""
import torch


def train_step(model, loss_fn, optimizer, inputs, targets):
    """One optimisation step on one batch; returns the loss before the update as a Python float.

    Gradients left on the parameters before the call must not affect the update; on return each
    parameter's .grad holds this batch's gradient.
    """
    # TODO: forward pass and loss
    # TODO(pt): forward e loss
    # TODO: clear old gradients, backward, optimizer step (in this order)
    # TODO(pt): limpe os gradientes antigos, backward, passo do otimizador (nesta ordem)
    # TODO: return the loss as a Python float
    # TODO(pt): devolva a loss como float do Python
    raise NotImplementedError


def train_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    """Training mode, train_step on every batch (moved to device); mean loss per sample."""
    # TODO: put the model in training mode
    # TODO(pt): coloque o modelo em modo de treino
    # TODO: move the batch to device, call train_step, weight its loss by the batch size
    # TODO(pt): mova o batch para device, chame train_step, pese a loss pelo tamanho do batch
    # TODO: return the mean loss per sample (the last batch may be smaller)
    # TODO(pt): devolva a loss média por amostra (o último batch pode ser menor)
    raise NotImplementedError


def fit(model, loader, loss_fn, optimizer, epochs, device="cpu"):
    """`epochs` calls of train_epoch; the list of their losses."""
    # TODO: one train_epoch per epoch, keep each loss
    # TODO(pt): um train_epoch por época, guarde cada loss
    raise NotImplementedError


def train_bgd(model, optimizer, criterion, X, y, n_epochs):
    """Full-batch gradient descent: one step on all of X per epoch; each epoch's loss before its update."""
    # TODO: forward on all of X, loss, backward, step, clear the gradients
    # TODO(pt): forward em todo X, loss, backward, step, limpe os gradientes
    raise NotImplementedError


def linear_regression_gd(X, y, lr, n_epochs, seed=42):
    """Linear regression by hand: tensors and autograd only (no nn, no optim).

    torch.manual_seed(seed); w = randn((X.shape[1], 1)), b = 0., both requiring grad. Returns
    (w, b, losses), w and b detached, losses each epoch's loss before its update.
    """
    # TODO: seed first, then create w and b requiring grad
    # TODO(pt): primeiro a semente, depois crie w e b com requires_grad
    # TODO: prediction, mean squared error, backward
    # TODO(pt): predição, erro quadrático médio, backward
    # TODO: move w and b by -lr * grad without autograd recording it, then clear the gradients
    # TODO(pt): mova w e b por -lr * grad sem o autograd gravar, depois limpe os gradientes
    raise NotImplementedError
