"""MnistMLP returns softmax probabilities instead of raw logits."""
import torch
from torch import nn
from torch.nn import functional as F

EXPECTED = {'MnistMLP': 'raw logits'}


def linear_forward(X, w, b):
    """X (N, D), w (D, 1), b 0-dim or (1,) -> X @ w + b, shape (N, 1)."""
    return X @ w + b


class SumNet(nn.Module):
    """Learns to add two numbers: Linear(n_in, n_hidden) -> ReLU -> Linear(n_hidden, n_out)."""

    def __init__(self, n_in=2, n_hidden=10, n_out=1):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class XorNet(nn.Module):
    """XOR: Linear(2, n_hidden) -> sigmoid -> Linear(n_hidden, 1) -> sigmoid (a probability)."""

    def __init__(self, n_hidden=4):
        super().__init__()
        self.hidden = nn.Linear(2, n_hidden)
        self.output = nn.Linear(n_hidden, 1)

    def forward(self, x):
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))


class MnistMLP(nn.Module):
    """MNIST digits: 784 -> 300 -> 256 -> 128 -> 10, ReLU between, raw logits out."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 300)
        self.fc2 = nn.Linear(300, 256)
        self.fc3 = nn.Linear(256, 128)
        self.fc4 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.reshape(x.shape[0], 784)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = F.relu(self.fc3(x))
        return F.softmax(self.fc4(x), dim=1)


class MLP(nn.Module):
    """A two-layer perceptron: fc1 -> ReLU -> fc2."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
