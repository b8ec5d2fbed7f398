"""Mistake: training stops once an epoch's loss is within 1e-6 of the one before (a plateau)."""
import torch
from torch import nn
from lightning import LightningModule

EXPECTED = {'train_with_tensorboard': 'stopped after'}


class XorLightning(LightningModule):
    """The XOR lesson's SimpleNet as a LightningModule: 2 -> n_hidden -> 1 with sigmoids,
    MSE loss, Adam with learning rate `lr`."""

    def __init__(self, n_hidden=4, lr=0.01):
        super().__init__()
        self.lr = lr
        self.hidden = nn.Linear(2, n_hidden)
        self.output = nn.Linear(n_hidden, 1)
        self.loss_fn = nn.MSELoss()

    def forward(self, x):
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss_fn(self(x), y)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def train_with_tensorboard(model, loader, loss_fn, optimizer, epochs, writer, device="cpu"):
    """Train for `epochs` epochs and log the losses to the caller's SummaryWriter.

    Per batch: forward, loss, zero_grad, backward, step, then log the batch loss (a Python float)
    under "Loss/train_batch" at the global step epoch * len(loader) + batch_index. Per epoch: log
    the mean loss per sample under "Loss/train" at step epoch (0, 1, ...). Flush the writer before
    returning. Returns the list of epoch losses (floats).
    """
    model.train()
    losses = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for batch_index, (inputs, targets) in enumerate(loader):
            inputs, targets = inputs.to(device), targets.to(device)
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = loss.item()
            writer.add_scalar("Loss/train_batch", value, epoch * len(loader) + batch_index)
            total += value * len(inputs)
            count += len(inputs)
        losses.append(total / count)
        writer.add_scalar("Loss/train", losses[-1], epoch)
        if epoch > 0 and abs(losses[-1] - losses[-2]) < 1e-6:
            break
    writer.flush()
    return losses
