"""Correct variant: a running global_step counter, set_to_none, the sample count from len(loader.dataset), and the writer closed at the end."""
import torch
from torch import nn
from lightning import LightningModule

EXPECTED = {}


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
    losses, global_step = [], 0
    for epoch in range(epochs):
        running = 0.0
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            writer.add_scalar("Loss/train_batch", loss.item(), global_step)
            global_step += 1
            running += loss.item() * inputs.size(0)
        losses.append(running / len(loader.dataset))
        writer.add_scalar("Loss/train", losses[-1], epoch)
    writer.close()
    return losses
