"""Correct variant: @torch.no_grad() as a decorator, torch.device('cpu')."""
import torch

EXPECTED = {}


@torch.no_grad()
def predict(model, inputs, device="cpu"):
    was = model.training
    model.eval()
    preds = model(inputs.to(device)).argmax(1)
    model.train(mode=was)
    return preds.to(torch.device("cpu"))


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
