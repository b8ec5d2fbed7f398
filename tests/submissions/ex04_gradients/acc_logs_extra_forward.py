"""Mistake: after each group's step the last micro-batch runs through the model again to log the new loss (training mode: BatchNorm statistics move, Dropout draws masks)."""
import torch

EXPECTED = {'train_accumulated': 'forward pass'}


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    """train_step with the gradients' total L2 norm (over all parameters) clipped to max_norm
    after backward and before the step. Returns the loss before the update as a Python float."""
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def train_accumulated(model, loss_fn, optimizer, batches, accum_steps):
    """Gradient accumulation: groups of accum_steps micro-batches (the last may be smaller), one
    step per group on the mean of its micro-batches' gradients. Returns every micro-batch's
    unscaled loss, in order, as floats."""
    losses = []
    for start in range(0, len(batches), accum_steps):
        group = batches[start:start + accum_steps]
        optimizer.zero_grad()
        for inputs, targets in group:
            loss = loss_fn(model(inputs), targets)
            (loss / len(group)).backward()
            losses.append(loss.item())
        optimizer.step()
        with torch.no_grad():
            print("after the step:", loss_fn(model(inputs), targets).item())
    return losses
