"""Returns the largest logits (torch.max(...)[0]) instead of their indices."""
import torch

EXPECTED = {'predict': 'largest logits'}


def predict(model, inputs, device="cpu"):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(inputs.to(device))
    model.train(was_training)
    return torch.max(logits, 1)[0].cpu()


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
