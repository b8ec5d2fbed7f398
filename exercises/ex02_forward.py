"""ex02 — the forward pass.

A model is a function from inputs to outputs built from layers. `nn.Module` keeps the layers'
parameters registered so an optimizer can find them; `forward` says how data flows.

PT-BR: ex02 — o forward (a passagem para a frente).

Um modelo é uma função que leva entradas a saídas, construída com camadas. O `nn.Module` mantém
os parâmetros das camadas registrados para que um otimizador os encontre; o `forward` diz por onde
os dados passam.
"""
import torch
from torch import nn
from torch.nn import functional as F


def linear_forward(X, w, b):
    """X (N, D), w (D, 1), b 0-dim or (1,) -> X @ w + b, shape (N, 1).

    PT-BR: X (N, D), w (D, 1), b de dimensão 0 ou (1,) -> X @ w + b, formato (N, 1).
    """
    # TODO: a matrix product and the bias
    # TODO(pt): um produto de matrizes e o viés
    raise NotImplementedError


class SumNet(nn.Module):
    """Learns to add two numbers: Linear(n_in, n_hidden) -> ReLU -> Linear(n_hidden, n_out).

    PT-BR: Aprende a somar dois números: Linear(n_in, n_hidden) -> ReLU -> Linear(n_hidden, n_out).
    """

    def __init__(self, n_in=2, n_hidden=10, n_out=1):
        super().__init__()
        # TODO: create self.fc1 and self.fc2
        # TODO(pt): crie self.fc1 e self.fc2
        raise NotImplementedError

    def forward(self, x):
        # TODO: fc1, then ReLU, then fc2
        # TODO(pt): fc1, depois ReLU, depois fc2
        raise NotImplementedError


class XorNet(nn.Module):
    """XOR: Linear(2, n_hidden) -> sigmoid -> Linear(n_hidden, 1) -> sigmoid (a probability).

    PT-BR: XOR: Linear(2, n_hidden) -> sigmoid -> Linear(n_hidden, 1) -> sigmoid (uma probabilidade).
    """

    def __init__(self, n_hidden=4):
        super().__init__()
        # TODO: create self.hidden and self.output
        # TODO(pt): crie self.hidden e self.output
        raise NotImplementedError

    def forward(self, x):
        # TODO: sigmoid after each layer (without the hidden one the net cannot learn XOR)
        # TODO(pt): sigmoid depois de cada camada (sem a da camada oculta, a rede não aprende XOR)
        raise NotImplementedError


class MnistMLP(nn.Module):
    """MNIST digits: 784 -> 300 -> 256 -> 128 -> 10, ReLU between, raw logits out.

    PT-BR: Dígitos do MNIST: 784 -> 300 -> 256 -> 128 -> 10, ReLU entre as camadas, e a saída são
    os logits crus (sem softmax).
    """

    def __init__(self):
        super().__init__()
        # TODO: four Linear layers fc1..fc4
        # TODO(pt): quatro camadas Linear fc1..fc4
        raise NotImplementedError

    def forward(self, x):
        # TODO: flatten each image to 784 values (keep the batch dimension, even for N = 1)
        # TODO(pt): achate cada imagem em 784 valores (mantenha a dimensão do lote, mesmo com N = 1)
        # TODO: ReLU after fc1, fc2, fc3; return the logits of fc4 (no softmax)
        # TODO(pt): ReLU depois de fc1, fc2, fc3; devolva os logits de fc4 (sem softmax)
        raise NotImplementedError


class MLP(nn.Module):
    """A two-layer perceptron: fc1 -> ReLU -> fc2.

    PT-BR: Um perceptron de duas camadas: fc1 -> ReLU -> fc2.
    """

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        # TODO: create self.fc1 and self.fc2
        # TODO(pt): crie self.fc1 e self.fc2
        raise NotImplementedError

    def forward(self, x):
        # TODO: fc1, ReLU, fc2
        # TODO(pt): fc1, ReLU, fc2
        raise NotImplementedError
