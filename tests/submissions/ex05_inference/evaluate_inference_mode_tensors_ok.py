"""Correct variant: inference_mode, float32 tensor sums, try/finally."""
import torch

EXPECTED = {}


def predict(model, inputs, device="cpu"):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(inputs.to(device))
    model.train(was_training)
    return logits.argmax(dim=1).cpu()


def evaluate(model, loader, loss_fn, device="cpu"):
    mode = model.training
    model.eval()
    total = torch.zeros((), device=device)
    hits = torch.zeros((), device=device)
    seen = 0
    try:
        with torch.inference_mode():
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y) * len(y)
                hits += (logits.argmax(1) == y).sum()
                seen += len(y)
    finally:
        model.train(mode)
    return {"loss": (total / seen).item(), "accuracy": (hits / seen).item()}
