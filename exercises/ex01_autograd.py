"""ex01 — tensors and autograd.

Autograd records the operations on tensors that require grad and, on `backward()`, fills each
leaf's `.grad`. Here you use it to compute gradients and to run gradient descent by hand.

PT-BR: ex01 — tensores e autograd.

O autograd registra as operações feitas com tensores que exigem gradiente (requires grad) e, no
`backward()`, preenche o `.grad` de cada folha. Aqui você o usa para calcular gradientes e para
fazer a descida de gradiente à mão.
"""
import torch


def gradients(f, *inputs):
    """Gradient of the scalar f(*inputs) with respect to each input, by autograd.

    Inputs are numbers or floating tensors; each gradient has its input's shape and dtype
    (a number gives a 0-dim float32 tensor). The caller's tensors are left untouched.

    PT-BR: Gradiente do escalar f(*inputs) em relação a cada entrada, calculado pelo autograd.

    As entradas são números ou tensores de ponto flutuante; cada gradiente tem o formato e o dtype
    da sua entrada (um número dá um tensor float32 de dimensão 0). Os tensores de quem chamou não
    são alterados.
    """
    # TODO: make a fresh leaf copy of every input that requires grad (do not touch the caller's tensors)
    # TODO(pt): crie uma cópia folha nova de cada entrada, com requires_grad (não mexa nos tensores de quem chamou)
    # TODO: compute f on the copies and let autograd give d f / d input (unused inputs get zeros)
    # TODO(pt): calcule f nas cópias e deixe o autograd calcular d f / d entrada (entradas não usadas recebem zeros)
    raise NotImplementedError


def gradient_descent(f, x0, lr, n_steps):
    """Minimise scalar f from x0 with x <- x - lr * grad f(x), n_steps times.

    Returns the final x, detached, shaped like x0 (float32 for a number). x0 is not modified.

    PT-BR: Minimiza o escalar f a partir de x0 com x <- x - lr * grad f(x), n_steps vezes.

    Devolve o x final, desconectado do grafo (detach), com o formato de x0 (float32 para um
    número). x0 não é modificado.
    """
    # TODO: start from a copy of x0 that requires grad
    # TODO(pt): comece por uma cópia de x0 com requires_grad
    # TODO: forward, backward, update under torch.no_grad(), clear the gradient
    # TODO(pt): forward, backward, atualização dentro de torch.no_grad(), limpe o gradiente
    raise NotImplementedError
