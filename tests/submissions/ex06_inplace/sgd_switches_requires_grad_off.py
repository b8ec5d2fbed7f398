"""Switches requires_grad off to dodge the leaf error and never back on."""
import torch

EXPECTED = {'sgd_update_': 'requires_grad'}


def exp_plus_one(t):
    return torch.exp(t) + 1


def scaled_sigmoid(x, scale):
    return torch.sigmoid(x) * scale


def sgd_update_(params, lr):
    for p in params:
        if p.grad is None:
            continue
        p.requires_grad_(False)
        p -= lr * p.grad
        p.grad = None


def standardize(x, eps=1e-5):
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    if x.requires_grad:
        return (x - mean) / (std + eps)
    return x.sub_(mean).div_(std + eps)
