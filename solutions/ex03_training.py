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
    ### BEGIN SOLUTION
    # TODO: forward pass and loss
    # TODO(pt): forward e perda
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    # TODO: clear old gradients, backward, optimizer step (in this order)
    # TODO(pt): limpe os gradientes antigos, backward, passo do otimizador (nesta ordem)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    # TODO: return the loss as a Python float
    # TODO(pt): devolva a perda como float do Python
    return loss.item()
    ### END SOLUTION


def train_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    """Training mode, train_step on every batch (moved to device); mean loss per sample.

    PT-BR: Modo de treino, train_step em cada lote (movido para device); devolve a perda média
    por amostra.
    """
    ### BEGIN SOLUTION
    # TODO: put the model in training mode
    # TODO(pt): coloque o modelo em modo de treino
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        # TODO: move the batch to device, call train_step, weight its loss by the batch size
        # TODO(pt): mova o lote para device, chame train_step, pondere a perda pelo tamanho do lote
        inputs, targets = inputs.to(device), targets.to(device)
        loss = train_step(model, loss_fn, optimizer, inputs, targets)
        total += loss * len(inputs)
        count += len(inputs)
    # TODO: return the mean loss per sample (the last batch may be smaller)
    # TODO(pt): devolva a perda média por amostra (o último lote pode ser menor)
    return total / count
    ### END SOLUTION


def fit(model, loader, loss_fn, optimizer, epochs, device="cpu"):
    """`epochs` calls of train_epoch; the list of their losses.

    PT-BR: `epochs` chamadas de train_epoch; devolve a lista das perdas delas.
    """
    ### BEGIN SOLUTION
    # TODO: one train_epoch per epoch, keep each loss
    # TODO(pt): um train_epoch por época, guarde cada perda
    return [train_epoch(model, loader, loss_fn, optimizer, device) for _ in range(epochs)]
    ### END SOLUTION


def train_bgd(model, optimizer, criterion, X, y, n_epochs):
    """Full-batch gradient descent: one step on all of X per epoch; each epoch's loss before its update.

    PT-BR: Descida de gradiente com o lote inteiro: um passo sobre todo o X por época; devolve a
    perda de cada época, medida antes da atualização dela.
    """
    ### BEGIN SOLUTION
    losses = []
    for _ in range(n_epochs):
        # TODO: forward on all of X, loss, backward, step, clear the gradients
        # TODO(pt): forward em todo o X, perda, backward, step, limpe os gradientes
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses
    ### END SOLUTION


def linear_regression_gd(X, y, lr, n_epochs, seed=42):
    """Linear regression by hand: tensors and autograd only (no nn, no optim).

    torch.manual_seed(seed); w = randn((X.shape[1], 1)), b = 0., both requiring grad. Returns
    (w, b, losses), w and b detached, losses each epoch's loss before its update.

    PT-BR: Regressão linear à mão: só tensores e autograd (sem nn, sem optim).

    torch.manual_seed(seed); w = randn((X.shape[1], 1)), b = 0., ambos com requires_grad.
    Devolve (w, b, losses): w e b desconectados do grafo (detach) e, em losses, a perda de cada
    época antes da atualização dela.
    """
    ### BEGIN SOLUTION
    # TODO: seed first, then create w and b requiring grad
    # TODO(pt): primeiro a semente, depois crie w e b com requires_grad
    torch.manual_seed(seed)
    w = torch.randn((X.shape[1], 1), requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        # TODO: prediction, mean squared error, backward
        # TODO(pt): predição, erro quadrático médio, backward
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        # TODO: move w and b by -lr * grad without autograd recording it, then clear the gradients
        # TODO(pt): mova w e b em -lr * grad sem que o autograd registre isso, depois limpe os gradientes
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses
    ### END SOLUTION
