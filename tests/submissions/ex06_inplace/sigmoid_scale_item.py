"""Turns scale into a Python number: no gradient reaches a tensor scale."""
import torch

EXPECTED = {'scaled_sigmoid': 'gradient of scaled_sigmoid with respect to scale'}


def exp_plus_one(t):
    return torch.exp(t) + 1


def scaled_sigmoid(x, scale):
    s = scale.detach() if torch.is_tensor(scale) else scale
    return torch.sigmoid(x) * s


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
