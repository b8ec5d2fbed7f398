"""ex03 — the training loop.

Every step of training is the same five moves: forward, loss, clear the old gradients, backward,
optimizer step. An epoch repeats them over every batch of a loader; `fit` repeats epochs. The
last two functions do full-batch gradient descent, first with an optimizer and then by hand.

PT-BR: ex03 — o laço de treino.

Todo passo de treino tem as mesmas cinco etapas: forward, perda (loss), limpar os gradientes
antigos, backward e passo do otimizador. Uma época repete essas etapas em cada lote (batch) de um
loader; `fit` repete épocas. As duas últimas funções fazem descida de gradiente com o lote inteiro
(full-batch), primeiro com um otimizador e depois à mão.
"""
import torch


def train_step(model, loss_fn, optimizer, inputs, targets):
    """One optimisation step on one batch; returns the loss before the update as a Python float.

    Gradients left on the parameters before the call must not affect the update; on return each
    parameter's .grad holds this batch's gradient.

    PT-BR: Um passo de otimização em um lote; devolve a perda de antes da atualização como float
    do Python.

    Gradientes que já estavam nos parâmetros antes da chamada não podem afetar a atualização; ao
    retornar, o .grad de cada parâmetro contém o gradiente deste lote.
    """
    # TODO: forward pass and loss
    # TODO(pt): forward e perda
    # TODO: clear old gradients, backward, optimizer step (in this order)
    # TODO(pt): limpe os gradientes antigos, backward, passo do otimizador (nesta ordem)
    # TODO: return the loss as a Python float
    # TODO(pt): devolva a perda como float do Python
    raise NotImplementedError


def train_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    """Training mode, train_step on every batch (moved to device); mean loss per sample.

    PT-BR: Modo de treino, train_step em cada lote (movido para device); devolve a perda média
    por amostra.
    """
    # TODO: put the model in training mode
    # TODO(pt): coloque o modelo em modo de treino
    # TODO: move the batch to device, call train_step, weight its loss by the batch size
    # TODO(pt): mova o lote para device, chame train_step, pondere a perda pelo tamanho do lote
    # TODO: return the mean loss per sample (the last batch may be smaller)
    # TODO(pt): devolva a perda média por amostra (o último lote pode ser menor)
    raise NotImplementedError


def fit(model, loader, loss_fn, optimizer, epochs, device="cpu"):
    """`epochs` calls of train_epoch; the list of their losses.

    PT-BR: `epochs` chamadas de train_epoch; devolve a lista das perdas delas.
    """
    # TODO: one train_epoch per epoch, keep each loss
    # TODO(pt): um train_epoch por época, guarde cada perda
    raise NotImplementedError


def train_bgd(model, optimizer, criterion, X, y, n_epochs):
    """Full-batch gradient descent: one step on all of X per epoch; each epoch's loss before its update.

    PT-BR: Descida de gradiente com o lote inteiro: um passo sobre todo o X por época; devolve a
    perda de cada época, medida antes da atualização dela.
    """
    # TODO: forward on all of X, loss, backward, step, clear the gradients
    # TODO(pt): forward em todo o X, perda, backward, step, limpe os gradientes
    raise NotImplementedError


def linear_regression_gd(X, y, lr, n_epochs, seed=42):
    """Linear regression by hand: tensors and autograd only (no nn, no optim).

    torch.manual_seed(seed); w = randn((X.shape[1], 1)), b = 0., both requiring grad. Returns
    (w, b, losses), w and b detached, losses each epoch's loss before its update.

    PT-BR: Regressão linear à mão: só tensores e autograd (sem nn, sem optim).

    torch.manual_seed(seed); w = randn((X.shape[1], 1)), b = 0., ambos com requires_grad.
    Devolve (w, b, losses): w e b desconectados do grafo (detach) e, em losses, a perda de cada
    época antes da atualização dela.
    """
    # TODO: seed first, then create w and b requiring grad
    # TODO(pt): primeiro a semente, depois crie w e b com requires_grad
    # TODO: prediction, mean squared error, backward
    # TODO(pt): predição, erro quadrático médio, backward
    # TODO: move w and b by -lr * grad without autograd recording it, then clear the gradients
    # TODO(pt): mova w e b em -lr * grad sem que o autograd registre isso, depois limpe os gradientes
    raise NotImplementedError
