"""Correct variant: the clipped step as an optimizer closure; the clip happens inside the closure, after backward and before the optimizer uses the gradients."""
import torch

EXPECTED = {}


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    """train_step with the gradients' total L2 norm (over all parameters) clipped to max_norm
    after backward and before the step. Returns the loss before the update as a Python float."""
    def closure():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm, foreach=True)
        return loss

    return optimizer.step(closure).item()


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
    return losses
