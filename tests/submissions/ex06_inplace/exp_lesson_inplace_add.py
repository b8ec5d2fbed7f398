"""The lesson's z = t.exp(); z += 1: overwrites the output exp saved for backward."""
import torch

EXPECTED = {'exp_plus_one': 'exp keeps its output'}


def exp_plus_one(t):
    z = t.exp()
    z += 1
    return z


def scaled_sigmoid(x, scale):
    return torch.sigmoid(x) * scale


def sgd_update_(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= lr * p.grad
            p.grad = None


def standardize(x, eps=1e-5):
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    if x.requires_grad:
        return (x - mean) / (std + eps)
    return x.sub_(mean).div_(std + eps)
