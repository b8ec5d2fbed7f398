"""Correct variant: updates through p.data and zeroes the gradient."""
import torch

EXPECTED = {}


def exp_plus_one(t):
    return torch.exp(t) + 1


def scaled_sigmoid(x, scale):
    return torch.sigmoid(x) * scale


def sgd_update_(params, lr):
    for p in params:
        if p.grad is not None:
            p.data -= lr * p.grad.data
            p.grad.zero_()


def standardize(x, eps=1e-5):
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    if x.requires_grad:
        return (x - mean) / (std + eps)
    return x.sub_(mean).div_(std + eps)
