"""Clips each parameter's gradient norm separately instead of the total norm."""
import torch

EXPECTED = {'train_step_clipped': 'separately'}


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    for p in model.parameters():
        torch.nn.utils.clip_grad_norm_([p], max_norm)
    optimizer.step()
    return loss.item()


def train_accumulated(model, loss_fn, optimizer, batches, accum_steps):
    losses = []
    for start in range(0, len(batches), accum_steps):
        group = batches[start:start + accum_steps]
        optimizer.zero_grad()
        for inputs, targets in group:
            loss = loss_fn(model(inputs), targets)
            (loss / len(group)).backward()
            losses.append(loss.item())
        optimizer.step()
    return losses
