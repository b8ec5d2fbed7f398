"""Correct variant: @torch.no_grad() decorator and add_ with alpha."""
import torch

EXPECTED = {}


def exp_plus_one(t):
    return torch.exp(t) + 1


def scaled_sigmoid(x, scale):
    return torch.sigmoid(x) * scale


@torch.no_grad()
def sgd_update_(params, lr):
    params = [p for p in params if p.grad is not None]
    for p in params:
        p.add_(p.grad, alpha=-lr)
    for p in params:
        p.grad = None


def standardize(x, eps=1e-5):
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    if x.requires_grad:
        return (x - mean) / (std + eps)
    return x.sub_(mean).div_(std + eps)
