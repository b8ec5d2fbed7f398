"""Correct variant: set_grad_enabled(False), result through NumPy back to a tensor."""
import torch

EXPECTED = {}


def predict(model, inputs, device="cpu"):
    was = model.training
    model.eval()
    with torch.set_grad_enabled(False):
        out = model(inputs.to(device=device))
    model.train(was)
    return torch.from_numpy(out.argmax(dim=-1).cpu().numpy())


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
