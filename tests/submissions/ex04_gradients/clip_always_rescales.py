"""Hand-written clipping that rescales to max_norm even when the norm is already smaller."""
import torch

EXPECTED = {'train_step_clipped': 'below max_norm'}


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(max_norm / total)
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
