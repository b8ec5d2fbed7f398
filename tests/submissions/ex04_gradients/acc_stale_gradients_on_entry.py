"""Clears only after each step, so gradients present on entry leak into the first step."""
import torch

EXPECTED = {'train_accumulated': 'on entry'}


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def train_accumulated(model, loss_fn, optimizer, batches, accum_steps):
    losses = []
    for start in range(0, len(batches), accum_steps):
        group = batches[start:start + accum_steps]
        for inputs, targets in group:
            loss = loss_fn(model(inputs), targets)
            (loss / len(group)).backward()
            losses.append(loss.item())
        optimizer.step()
        optimizer.zero_grad()
    return losses
