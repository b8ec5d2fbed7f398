"""Correct variant: pytorch_lightning's LightningModule, an nn.Sequential, a dict from training_step with self.log, a dict from configure_optimizers."""
import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F

EXPECTED = {}


class XorLightning(pl.LightningModule):
    def __init__(self, n_hidden=4, lr=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(2, n_hidden), nn.Sigmoid(), nn.Linear(n_hidden, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        inputs, targets = batch
        loss = F.mse_loss(self(inputs), targets)
        self.log("train_loss", loss, prog_bar=True)
        return {"loss": loss}

    def configure_optimizers(self):
        return {"optimizer": torch.optim.Adam(self.parameters(), lr=self.hparams.lr)}


def train_with_tensorboard(model, loader, loss_fn, optimizer, epochs, writer, device="cpu"):
    model.train()
    history, step = [], 0
    for epoch in range(1, epochs + 1):
        running, seen = 0.0, 0
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            writer.add_scalar("Loss/train_batch", loss.detach(), step)
            step += 1
            running += loss.item() * inputs.size(0)
            seen += inputs.size(0)
        history.append(running / seen)
        writer.add_scalar("Loss/train", history[-1], epoch - 1)
        writer.flush()
    return history
