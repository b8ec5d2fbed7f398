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
    ### BEGIN SOLUTION
    # TODO: make a fresh leaf copy of every input that requires grad (do not touch the caller's tensors)
    # TODO(pt): crie uma cópia folha nova de cada entrada, com requires_grad (não mexa nos tensores de quem chamou)
    leaves = [torch.as_tensor(x, dtype=torch.float32) if not torch.is_tensor(x) else x.detach().clone()
              for x in inputs]
    leaves = [leaf.requires_grad_(True) for leaf in leaves]
    # TODO: compute f on the copies and let autograd give d f / d input (unused inputs get zeros)
    # TODO(pt): calcule f nas cópias e deixe o autograd calcular d f / d entrada (entradas não usadas recebem zeros)
    out = f(*leaves)
    grads = torch.autograd.grad(out, leaves, allow_unused=True)
    return tuple(torch.zeros_like(leaf) if g is None else g.detach() for leaf, g in zip(leaves, grads))
    ### END SOLUTION


def gradient_descent(f, x0, lr, n_steps):
    """Minimise scalar f from x0 with x <- x - lr * grad f(x), n_steps times.

    Returns the final x, detached, shaped like x0 (float32 for a number). x0 is not modified.

    PT-BR: Minimiza o escalar f a partir de x0 com x <- x - lr * grad f(x), n_steps vezes.

    Devolve o x final, desconectado do grafo (detach), com o formato de x0 (float32 para um
    número). x0 não é modificado.
    """
    ### BEGIN SOLUTION
    # TODO: start from a copy of x0 that requires grad
    # TODO(pt): comece por uma cópia de x0 com requires_grad
    x = torch.as_tensor(x0, dtype=torch.float32) if not torch.is_tensor(x0) else x0.detach().clone()
    x.requires_grad_(True)
    for _ in range(n_steps):
        # TODO: forward, backward, update under torch.no_grad(), clear the gradient
        # TODO(pt): forward, backward, atualização dentro de torch.no_grad(), limpe o gradiente
        f(x).backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad = None
    return x.detach()
    ### END SOLUTION
