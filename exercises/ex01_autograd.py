"""ex01 — tensors and autograd.

Autograd records the operations on tensors that require grad and, on `backward()`, fills each
leaf's `.grad`. Here you use it to compute gradients and to run gradient descent by hand.
"""
import torch


def gradients(f, *inputs):
    """Gradient of the scalar f(*inputs) with respect to each input, by autograd.

    Inputs are numbers or floating tensors; each gradient has its input's shape and dtype
    (a number gives a 0-dim float32 tensor). The caller's tensors are left untouched.
    """
    # TODO: make a fresh leaf copy of every input that requires grad (do not touch the caller's tensors)
    # TODO(pt): crie uma cópia folha nova de cada entrada, com requires_grad (não mexa nos tensores de quem chamou)
    # TODO: compute f on the copies and let autograd give d f / d input (unused inputs get zeros)
    # TODO(pt): calcule f nas cópias e deixe o autograd dar d f / d entrada (entradas não usadas dão zeros)
    raise NotImplementedError


def gradient_descent(f, x0, lr, n_steps):
    """Minimise scalar f from x0 with x <- x - lr * grad f(x), n_steps times.

    Returns the final x, detached, shaped like x0 (float32 for a number). x0 is not modified.
    """
    # TODO: start from a copy of x0 that requires grad
    # TODO(pt): comece de uma cópia de x0 com requires_grad
    # TODO: forward, backward, update under torch.no_grad(), clear the gradient
    # TODO(pt): forward, backward, atualização dentro de torch.no_grad(), limpe o gradiente
    raise NotImplementedError
