"""ex09 — the lessons' other tools: PyTorch Lightning and TensorBoard (optional module).

Needs the lessons extra: `pip install -e ".[lessons]"` (lightning and tensorboard).

Lightning organises the training loop for you: the LightningModule says what one training step
computes (`training_step` returns the loss) and which optimizer to use (`configure_optimizers`);
a `Trainer` runs the loop (zero_grad, backward, step, epochs). TensorBoard draws curves from the
scalars a `SummaryWriter` logs, each under a tag and at a step.

PT-BR: ex09 — as outras ferramentas das aulas: PyTorch Lightning e TensorBoard (módulo opcional).

Precisa do extra lessons: `pip install -e ".[lessons]"` (lightning e tensorboard).

O Lightning organiza o laço de treino para você: o LightningModule diz o que um passo de treino
calcula (`training_step` devolve a perda) e qual otimizador usar (`configure_optimizers`); um
`Trainer` roda o laço (zero_grad, backward, step, épocas). O TensorBoard desenha curvas a partir
dos escalares que um `SummaryWriter` registra, cada um com uma tag e num passo (step).
"""
import torch
from torch import nn
from lightning import LightningModule


class XorLightning(LightningModule):
    """The XOR lesson's SimpleNet as a LightningModule: 2 -> n_hidden -> 1 with sigmoids,
    MSE loss, Adam with learning rate `lr`.

    PT-BR: A SimpleNet da aula de XOR como LightningModule: 2 -> n_hidden -> 1 com sigmoides,
    perda MSE, Adam com taxa de aprendizado `lr`.
    """

    def __init__(self, n_hidden=4, lr=0.01):
        super().__init__()
        self.lr = lr
        ### BEGIN SOLUTION
        # TODO: create self.hidden = Linear(2, n_hidden), self.output = Linear(n_hidden, 1) and an MSE loss
        # TODO(pt): crie self.hidden = Linear(2, n_hidden), self.output = Linear(n_hidden, 1) e uma perda MSE
        self.hidden = nn.Linear(2, n_hidden)
        self.output = nn.Linear(n_hidden, 1)
        self.loss_fn = nn.MSELoss()
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: sigmoid after each layer, as in XorNet
        # TODO(pt): sigmoid depois de cada camada, como em XorNet
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))
        ### END SOLUTION

    def training_step(self, batch, batch_idx):
        ### BEGIN SOLUTION
        # TODO: unpack the batch, compute the MSE loss of self(x) against y and return it
        # TODO(pt): desempacote o lote, calcule a perda MSE de self(x) em relação a y e devolva-a
        x, y = batch
        loss = self.loss_fn(self(x), y)
        # TODO: return the loss tensor itself: the Trainer calls backward() and step() on it
        # TODO(pt): devolva o próprio tensor da perda: o Trainer chama backward() e step() a partir dele
        return loss
        ### END SOLUTION

    def configure_optimizers(self):
        ### BEGIN SOLUTION
        # TODO: Adam over all of this module's parameters, with learning rate self.lr
        # TODO(pt): Adam sobre todos os parâmetros deste módulo, com taxa de aprendizado self.lr
        return torch.optim.Adam(self.parameters(), lr=self.lr)
        ### END SOLUTION


def train_with_tensorboard(model, loader, loss_fn, optimizer, epochs, writer, device="cpu"):
    """Train for `epochs` epochs and log the losses to the caller's SummaryWriter.

    Per batch: forward, loss, zero_grad, backward, step, then log the batch loss (a Python float)
    under "Loss/train_batch" at the global step epoch * len(loader) + batch_index. Per epoch: log
    the mean loss per sample under "Loss/train" at step epoch (0, 1, ...). Flush the writer before
    returning. Returns the list of epoch losses (floats).

    PT-BR: Treina por `epochs` épocas e registra as perdas no SummaryWriter de quem chamou.

    A cada lote: forward, perda, zero_grad, backward, step e, em seguida, registra a perda do lote
    (um float do Python) com a tag "Loss/train_batch" no passo global
    epoch * len(loader) + batch_index. A cada época: registra a perda média por amostra com a tag
    "Loss/train" no passo epoch (0, 1, ...). Faz flush no writer antes de retornar. Devolve a
    lista das perdas das épocas (floats).
    """
    ### BEGIN SOLUTION
    # TODO: training mode; for each epoch, for each (batch_index, (inputs, targets)) of the loader:
    # TODO(pt): modo de treino; para cada época, para cada (batch_index, (inputs, targets)) do loader:
    model.train()
    losses = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for batch_index, (inputs, targets) in enumerate(loader):
            # TODO: move the batch to device, forward, loss, zero_grad, backward, step
            # TODO(pt): mova o lote para device, forward, perda, zero_grad, backward, step
            inputs, targets = inputs.to(device), targets.to(device)
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            # TODO: log loss.item() under "Loss/train_batch" at step epoch * len(loader) + batch_index
            # TODO(pt): registre loss.item() com a tag "Loss/train_batch" no passo epoch * len(loader) + batch_index
            value = loss.item()
            writer.add_scalar("Loss/train_batch", value, epoch * len(loader) + batch_index)
            total += value * len(inputs)
            count += len(inputs)
        # TODO: log the epoch's mean loss per sample under "Loss/train" at step epoch, keep it
        # TODO(pt): registre a perda média por amostra da época com a tag "Loss/train" no passo epoch e guarde-a
        losses.append(total / count)
        writer.add_scalar("Loss/train", losses[-1], epoch)
    # TODO: flush the writer so every event is on disk, and return the epoch losses
    # TODO(pt): faça flush no writer para que todos os eventos cheguem ao disco e devolva as perdas das épocas
    writer.flush()
    return losses
    ### END SOLUTION
