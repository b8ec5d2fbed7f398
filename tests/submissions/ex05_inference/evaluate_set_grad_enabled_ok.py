"""Correct variant: evaluation under torch.set_grad_enabled(False), sums kept as tensors and turned into floats at the end."""
import torch

EXPECTED = {}


def predict(model, inputs, device="cpu"):
    """Class predictions (argmax over dim 1) for inputs, as an int64 tensor on the CPU.

    Evaluation mode and no autograd graph; on return the model is in the mode it had on entry.
    """
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(inputs.to(device))
    model.train(was_training)
    return logits.argmax(dim=1).cpu()


def evaluate(model, loader, loss_fn, device="cpu"):
    """{"loss": mean loss per sample, "accuracy": fraction of correct argmax} over the loader.

    Evaluation mode and no autograd; the mode is restored on return.
    """
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(False):
        loss_sum, hits = torch.zeros(()), torch.zeros((), dtype=torch.long)
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss_sum += loss_fn(outputs, targets).cpu() * len(targets)
            hits += (outputs.argmax(1) == targets).sum().cpu()
            count += len(targets)
        total_loss, correct = loss_sum.item(), hits.item()
    model.train(was_training)
    return {"loss": total_loss / count, "accuracy": correct / count}
