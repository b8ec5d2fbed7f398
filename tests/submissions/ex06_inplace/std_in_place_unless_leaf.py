"""Works in place unless x is a leaf: a non-leaf that requires grad is overwritten."""
import torch

EXPECTED = {'standardize': 'std keeps its input x'}


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
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    if x.is_leaf and x.requires_grad:
        return (x - mean) / (std + eps)
    return x.sub_(mean).div_(std + eps)
