"""Correct variant: @torch.no_grad() decorator, concatenated outputs."""
import torch

EXPECTED = {}


def predict(model, inputs, device="cpu"):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(inputs.to(device))
    model.train(was_training)
    return logits.argmax(dim=1).cpu()


@torch.no_grad()
def evaluate(model, loader, loss_fn, device="cpu"):
    was = model.training
    model.eval()
    outs, ys, weighted = [], [], 0.0
    for x, y in loader:
        out = model(x.to(device))
        y = y.to(device)
        weighted += float(loss_fn(out, y)) * y.numel()
        outs.append(out.argmax(dim=1))
        ys.append(y)
    if was:
        model.train()
    preds, targets = torch.cat(outs), torch.cat(ys)
    return {"loss": weighted / len(targets), "accuracy": (preds == targets).double().mean().item()}
