"""Correct variant: lightning.pytorch import, layers created output-first, nn.Sigmoid module, ([optimizer], []) from configure_optimizers, writer used as a context manager."""
import lightning.pytorch as L
import torch
from torch import nn

EXPECTED = {}


class XorLightning(L.LightningModule):
    def __init__(self, n_hidden=4, lr=0.01):
        super().__init__()
        self.learning_rate = lr
        self.output_layer = nn.Linear(n_hidden, 1)
        self.input_layer = nn.Linear(2, n_hidden)
        self.sigmoid = nn.Sigmoid()
        self.criterion = nn.MSELoss()

    def forward(self, input):
        return self.sigmoid(self.output_layer(self.sigmoid(self.input_layer(input))))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return self.criterion(self.forward(x), y)

    def configure_optimizers(self):
        return [torch.optim.Adam(params=self.parameters(), lr=self.learning_rate)], []


def train_with_tensorboard(model, loader, loss_fn, optimizer, epochs, writer, device="cpu"):
    model.train()
    epoch_losses = []
    with writer:
        for epoch in range(epochs):
            sum_loss = 0.0
            for i, (x, y) in enumerate(loader):
                x, y = x.to(device), y.to(device)
                out = model(x)
                loss = loss_fn(out, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                writer.add_scalar("Loss/train_batch", loss.item(), global_step=epoch * len(loader) + i)
                sum_loss += loss.item() * len(x)
            epoch_losses.append(sum_loss / len(loader.dataset))
            writer.add_scalar("Loss/train", epoch_losses[-1], global_step=epoch)
    return epoch_losses
