"""Correct variant: total norm computed by hand, parameters from the optimizer, zero_grad first."""
import torch

EXPECTED = {}


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    total = torch.norm(torch.stack([p.grad.detach().norm(2) for p in params]), 2)
    factor = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    with torch.no_grad():
        for p in params:
            p.grad.mul_(factor)
    optimizer.step()
    return float(loss)


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
