"""Correct variant: unbiased=False and torch.sub/div with out=x."""
import torch

EXPECTED = {}


def exp_plus_one(t):
    return torch.exp(t) + 1


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
    mean = torch.mean(x, dim=0)
    std = torch.std(x, dim=0, unbiased=False)
    if not x.requires_grad:
        torch.sub(x, mean, out=x)
        torch.div(x, std + eps, out=x)
        return x
    return (x - mean) / (std + eps)
