"""Correct variant: p.data.sub_(lr * p.grad) with no no_grad block (.data is not recorded)."""
import torch

EXPECTED = {}


def exp_plus_one(t):
    """exp(t) + 1, differentiable with respect to t; t is not modified."""
    return torch.exp(t) + 1


def scaled_sigmoid(x, scale):
    """sigmoid(x) * scale, differentiable with respect to x (and scale when it is a tensor)."""
    return torch.sigmoid(x) * scale


def sgd_update_(params, lr):
    """p <- p - lr * p.grad in place for every parameter with a gradient, then clear the gradient.

    The update is not recorded by autograd; the parameters stay the same leaf tensors.
    """
    for p in params:
        if p.grad is not None:
            p.data.sub_(lr * p.grad)
            p.grad = None


def standardize(x, eps=1e-5):
    """(x - mean) / (std + eps) over dim 0, population std (correction=0).

    When x does not require grad, the work is done in x's memory and x is returned; when it
    does, nothing is done in place.
    """
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    if x.requires_grad:
        return (x - mean) / (std + eps)
    return x.sub_(mean).div_(std + eps)
