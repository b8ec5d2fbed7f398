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
    ### BEGIN SOLUTION
    # TODO: a matrix product and the bias
    # TODO(pt): um produto de matrizes e o viés
    return X @ w + b
    ### END SOLUTION


class SumNet(nn.Module):
    """Learns to add two numbers: Linear(n_in, n_hidden) -> ReLU -> Linear(n_hidden, n_out).

    PT-BR: Aprende a somar dois números: Linear(n_in, n_hidden) -> ReLU -> Linear(n_hidden, n_out).
    """

    def __init__(self, n_in=2, n_hidden=10, n_out=1):
        super().__init__()
        ### BEGIN SOLUTION
        # TODO: create self.fc1 and self.fc2
        # TODO(pt): crie self.fc1 e self.fc2
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: fc1, then ReLU, then fc2
        # TODO(pt): fc1, depois ReLU, depois fc2
        return self.fc2(F.relu(self.fc1(x)))
        ### END SOLUTION


class XorNet(nn.Module):
    """XOR: Linear(2, n_hidden) -> sigmoid -> Linear(n_hidden, 1) -> sigmoid (a probability).

    PT-BR: XOR: Linear(2, n_hidden) -> sigmoid -> Linear(n_hidden, 1) -> sigmoid (uma probabilidade).
    """

    def __init__(self, n_hidden=4):
        super().__init__()
        ### BEGIN SOLUTION
        # TODO: create self.hidden and self.output
        # TODO(pt): crie self.hidden e self.output
        self.hidden = nn.Linear(2, n_hidden)
        self.output = nn.Linear(n_hidden, 1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: sigmoid after each layer (without the hidden one the net cannot learn XOR)
        # TODO(pt): sigmoid depois de cada camada (sem a da camada oculta, a rede não aprende XOR)
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))
        ### END SOLUTION


class MnistMLP(nn.Module):
    """MNIST digits: 784 -> 300 -> 256 -> 128 -> 10, ReLU between, raw logits out.

    PT-BR: Dígitos do MNIST: 784 -> 300 -> 256 -> 128 -> 10, ReLU entre as camadas, e a saída são
    os logits crus (sem softmax).
    """

    def __init__(self):
        super().__init__()
        ### BEGIN SOLUTION
        # TODO: four Linear layers fc1..fc4
        # TODO(pt): quatro camadas Linear fc1..fc4
        self.fc1 = nn.Linear(784, 300)
        self.fc2 = nn.Linear(300, 256)
        self.fc3 = nn.Linear(256, 128)
        self.fc4 = nn.Linear(128, 10)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: flatten each image to 784 values (keep the batch dimension, even for N = 1)
        # TODO(pt): achate cada imagem em 784 valores (mantenha a dimensão do lote, mesmo com N = 1)
        x = x.reshape(x.shape[0], 784)
        # TODO: ReLU after fc1, fc2, fc3; return the logits of fc4 (no softmax)
        # TODO(pt): ReLU depois de fc1, fc2, fc3; devolva os logits de fc4 (sem softmax)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = F.relu(self.fc3(x))
        return self.fc4(x)
        ### END SOLUTION


class MLP(nn.Module):
    """A two-layer perceptron: fc1 -> ReLU -> fc2.

    PT-BR: Um perceptron de duas camadas: fc1 -> ReLU -> fc2.
    """

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        ### BEGIN SOLUTION
        # TODO: create self.fc1 and self.fc2
        # TODO(pt): crie self.fc1 e self.fc2
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, output_size)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: fc1, ReLU, fc2
        # TODO(pt): fc1, ReLU, fc2
        return self.fc2(F.relu(self.fc1(x)))
        ### END SOLUTION
