"""Never clears the gradients, so every step also sees all the gradients of the groups before it
(and those present on entry)."""
import torch

EXPECTED = {'train_accumulated': 'never cleared'}


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
    return losses
