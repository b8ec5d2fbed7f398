"""ex05 — inference without autograd.

At prediction time nothing will call backward(), so recording a graph only wastes memory and
time: run the forward pass inside `torch.no_grad()` (or `torch.inference_mode()`). Layers such
as Dropout and BatchNorm behave differently while training, so switch the model to evaluation
mode first, and give it back in the mode it came in.
"""
import torch


def predict(model, inputs, device="cpu"):
    """Class predictions (argmax over dim 1) for inputs, as an int64 tensor on the CPU.

    Evaluation mode and no autograd graph; on return the model is in the mode it had on entry.
    """
    ### BEGIN SOLUTION
    # TODO: remember the mode the model is in, then switch to evaluation mode
    # TODO(pt): guarde o modo em que o modelo está e passe para o modo de avaliação
    was_training = model.training
    model.eval()
    # TODO: forward pass on the inputs moved to device, without building a graph
    # TODO(pt): forward nas entradas movidas para device, sem construir grafo
    with torch.no_grad():
        logits = model(inputs.to(device))
    # TODO: give the model its mode back; return the argmax over dim 1 on the CPU
    # TODO(pt): devolva ao modelo o modo dele; retorne o argmax na dim 1 na CPU
    model.train(was_training)
    return logits.argmax(dim=1).cpu()
    ### END SOLUTION


def evaluate(model, loader, loss_fn, device="cpu"):
    """{"loss": mean loss per sample, "accuracy": fraction of correct argmax} over the loader.

    Evaluation mode and no autograd; the mode is restored on return.
    """
    ### BEGIN SOLUTION
    # TODO: remember the mode, switch to evaluation mode
    # TODO(pt): guarde o modo, passe para o modo de avaliação
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            # TODO: move the batch to device; add loss × batch size and the number of correct predictions
            # TODO(pt): mova o batch para device; some loss × tamanho do batch e o número de acertos
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            n = targets.shape[0]
            total_loss += loss_fn(outputs, targets).item() * n
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            count += n
    # TODO: restore the mode; divide by the number of samples (the last batch may be smaller)
    # TODO(pt): restaure o modo; divida pelo número de amostras (o último batch pode ser menor)
    model.train(was_training)
    return {"loss": total_loss / count, "accuracy": correct / count}
    ### END SOLUTION
