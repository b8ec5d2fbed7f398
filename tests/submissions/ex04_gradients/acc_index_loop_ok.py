"""Correct variant: one index loop, model.zero_grad() at each group's start, group size computed."""
import torch

EXPECTED = {}


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def train_accumulated(model, loss_fn, optimizer, batches, accum_steps):
    losses = []
    n = len(batches)
    for i, (inputs, targets) in enumerate(batches):
        group_start = i - i % accum_steps
        if i == group_start:
            model.zero_grad(set_to_none=True)
        group_size = min(accum_steps, n - group_start)
        loss = loss_fn(model(inputs), targets)
        (loss * (1.0 / group_size)).backward()
        losses.append(float(loss.detach()))
        if i == group_start + group_size - 1:
            optimizer.step()
    return losses
