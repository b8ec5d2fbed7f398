"""Correct variant: -= and /= on x, var(correction=0).sqrt(), clone when x requires grad."""
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
    mean = x.mean(0, keepdim=True)
    std = x.var(0, keepdim=True, correction=0).sqrt()
    if x.requires_grad:
        y = x.clone()
        y.sub_(mean).div_(std + eps)
        return y
    x -= mean
    x /= std + eps
    return x
