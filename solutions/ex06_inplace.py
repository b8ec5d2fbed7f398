"""ex06 — in-place operations that autograd can live with.

An in-place operation (`x += 1`, `x.mul_(2)`, `x.sub_(m)`) writes over a tensor's memory.
It saves memory, but autograd may have kept that very tensor to compute a gradient later: `exp`
and `sigmoid` keep their output, `cos` and `std` keep their input. Overwrite one of those before
backward() and backward() fails. And a leaf that requires grad may be changed in place only
where autograd is not recording (`torch.no_grad()`).

PT-BR: ex06 — operações in-place que o autograd tolera.

Uma operação in-place (`x += 1`, `x.mul_(2)`, `x.sub_(m)`) escreve por cima da memória de um
tensor. Ela economiza memória, mas o autograd pode ter guardado justamente esse tensor para
calcular um gradiente depois: `exp` e `sigmoid` guardam a saída, `cos` e `std` guardam a entrada.
Sobrescreva um desses antes do backward() e o backward() falha. E uma folha que exige gradiente só
pode ser alterada in-place onde o autograd não está registrando (`torch.no_grad()`).
"""
import torch


def exp_plus_one(t):
    """exp(t) + 1, differentiable with respect to t; t is not modified.

    PT-BR: exp(t) + 1, diferenciável em relação a t; t não é modificado.
    """
    ### BEGIN SOLUTION
    # TODO: exp keeps its output for backward: add 1 out of place (a new tensor), not with +=
    # TODO(pt): exp guarda a saída para o backward: some 1 criando um tensor novo, não in-place com +=
    return torch.exp(t) + 1
    ### END SOLUTION


def scaled_sigmoid(x, scale):
    """sigmoid(x) * scale, differentiable with respect to x (and scale when it is a tensor).

    PT-BR: sigmoid(x) * scale, diferenciável em relação a x (e a scale, quando for um tensor).
    """
    ### BEGIN SOLUTION
    # TODO: sigmoid keeps its output for backward: multiply out of place
    # TODO(pt): sigmoid guarda a saída para o backward: multiplique criando um tensor novo (não in-place)
    return torch.sigmoid(x) * scale
    ### END SOLUTION


def sgd_update_(params, lr):
    """p <- p - lr * p.grad in place for every parameter with a gradient, then clear the gradient.

    The update is not recorded by autograd; the parameters stay the same leaf tensors.

    PT-BR: p <- p - lr * p.grad in-place para cada parâmetro que tem gradiente; depois, limpa o
    gradiente.

    A atualização não é registrada pelo autograd; os parâmetros continuam sendo os mesmos tensores
    folha.
    """
    ### BEGIN SOLUTION
    # TODO: update in place with autograd switched off, skipping parameters without a gradient
    # TODO(pt): atualize in-place com o autograd desligado, pulando os parâmetros sem gradiente
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= lr * p.grad
            # TODO: clear the gradient (zero it or set it to None)
            # TODO(pt): limpe o gradiente (zere ou atribua None)
            p.grad = None
    ### END SOLUTION


def standardize(x, eps=1e-5):
    """(x - mean) / (std + eps) over dim 0, population std (correction=0).

    When x does not require grad, the work is done in x's memory and x is returned; when it
    does, nothing is done in place.

    PT-BR: (x - mean) / (std + eps) na dim 0, com desvio padrão populacional (correction=0).

    Quando x não exige gradiente, o trabalho é feito na memória de x e x é devolvido; quando exige,
    nada é feito in-place.
    """
    ### BEGIN SOLUTION
    # TODO: mean and population std over dim 0
    # TODO(pt): média e desvio padrão populacional na dim 0
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=0)
    # TODO: x requires grad: out of place (std keeps x for backward, and x may be a leaf)
    # TODO(pt): x exige gradiente: nada in-place (std guarda x para o backward, e x pode ser uma folha)
    if x.requires_grad:
        return (x - mean) / (std + eps)
    # TODO: otherwise work in x's memory and return x
    # TODO(pt): senão, trabalhe na memória de x e devolva x
    return x.sub_(mean).div_(std + eps)
    ### END SOLUTION
