"""Correct variant: torch.inference_mode(), torch.max indices, .to('cpu')."""
import torch

EXPECTED = {}


def predict(model, inputs, device="cpu"):
    mode = model.training
    model.eval()
    try:
        with torch.inference_mode():
            _, idx = torch.max(model(inputs.to(device)), 1)
    finally:
        if mode:
            model.train()
    return idx.to("cpu")


def evaluate(model, loader, loss_fn, device="cpu"):
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            n = targets.shape[0]
            total_loss += loss_fn(outputs, targets).item() * n
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            count += n
    model.train(was_training)
    return {"loss": total_loss / count, "accuracy": correct / count}
