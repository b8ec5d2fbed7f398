"""ex06 — in-place operations that autograd can live with.

An in-place operation (`x += 1`, `x.mul_(2)`, `x.sub_(m)`) writes over a tensor's memory.
It saves memory, but autograd may have kept that very tensor to compute a gradient later: `exp`
and `sigmoid` keep their output, `cos` and `std` keep their input. Overwrite one of those before
backward() and backward() fails. And a leaf that requires grad may be changed in place only
where autograd is not recording (`torch.no_grad()`).
"""
import torch


def exp_plus_one(t):
    """exp(t) + 1, differentiable with respect to t; t is not modified."""
    # TODO: exp keeps its output for backward: add 1 out of place (a new tensor), not with +=
    # TODO(pt): exp guarda a saída para o backward: some 1 fora do lugar (um tensor novo), não com +=
    raise NotImplementedError


def scaled_sigmoid(x, scale):
    """sigmoid(x) * scale, differentiable with respect to x (and scale when it is a tensor)."""
    # TODO: sigmoid keeps its output for backward: multiply out of place
    # TODO(pt): sigmoid guarda a saída para o backward: multiplique fora do lugar
    raise NotImplementedError


def sgd_update_(params, lr):
    """p <- p - lr * p.grad in place for every parameter with a gradient, then clear the gradient.

    The update is not recorded by autograd; the parameters stay the same leaf tensors.
    """
    # TODO: update in place with autograd switched off, skipping parameters without a gradient
    # TODO(pt): atualize no lugar com o autograd desligado, pulando parâmetros sem gradiente
    # TODO: clear the gradient (zero it or set it to None)
    # TODO(pt): limpe o gradiente (zere ou atribua None)
    raise NotImplementedError


def standardize(x, eps=1e-5):
    """(x - mean) / (std + eps) over dim 0, population std (correction=0).

    When x does not require grad, the work is done in x's memory and x is returned; when it
    does, nothing is done in place.
    """
    # TODO: mean and population std over dim 0
    # TODO(pt): média e desvio padrão populacional na dim 0
    # TODO: x requires grad: out of place (std keeps x for backward, and x may be a leaf)
    # TODO(pt): x exige grad: fora do lugar (std guarda x para o backward, e x pode ser folha)
    # TODO: otherwise work in x's memory and return x
    # TODO(pt): senão trabalhe na memória de x e devolva x
    raise NotImplementedError
