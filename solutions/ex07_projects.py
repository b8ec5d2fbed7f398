"""ex07 — putting it together.

Reproducible runs, a device chosen for you, data loaders over the kit's shipped data, and three
small projects trained end to end: a net that adds two numbers, a net that learns XOR and a
multilayer perceptron that reads handwritten digits (MNIST).

The data files live in the kit's datasets folder: `datasets_dir()` gives its path (the
environment variable TOCHA_DATASETS overrides it). Nothing is ever downloaded.

PT-BR: ex07 — juntando tudo.

Execuções reprodutíveis, um dispositivo escolhido para você, data loaders sobre os dados que vêm
com o kit e três pequenos projetos treinados de ponta a ponta: uma rede que soma dois números,
uma rede que aprende XOR e um perceptron multicamadas que lê dígitos manuscritos (MNIST).

Os arquivos de dados ficam na pasta datasets do kit: `datasets_dir()` dá o caminho dela (a
variável de ambiente TOCHA_DATASETS, se definida, tem prioridade). Nada é baixado, nunca.
"""
import os
import random

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grading.data import datasets_dir

from .ex02_forward import MnistMLP, SumNet, XorNet

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def set_seed(seed):
    """Seed Python's random, NumPy and torch (CPU and every CUDA device), set PYTHONHASHSEED
    and make cuDNN deterministic, so two runs after the same set_seed give the same results.

    PT-BR: Fixa a semente do random do Python, do NumPy e do torch (CPU e todos os dispositivos
    CUDA), define PYTHONHASHSEED e torna o cuDNN determinístico, para que duas execuções depois
    do mesmo set_seed deem os mesmos resultados.
    """
    ### BEGIN SOLUTION
    # TODO: seed random, numpy and torch (torch.cuda.manual_seed_all too)
    # TODO(pt): fixe a semente de random, numpy e torch (torch.cuda.manual_seed_all também)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    # TODO: set the environment variable PYTHONHASHSEED and cuDNN's two flags
    # TODO(pt): defina a variável de ambiente PYTHONHASHSEED e as duas flags do cuDNN
    os.environ["PYTHONHASHSEED"] = str(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    ### END SOLUTION


def get_device():
    """torch.device("cuda") if CUDA is available, else "mps" if MPS is available, else "cpu".

    PT-BR: torch.device("cuda") se CUDA estiver disponível; senão "mps", se MPS estiver
    disponível; senão "cpu".
    """
    ### BEGIN SOLUTION
    # TODO: ask torch.cuda, then torch.backends.mps, whether they are available
    # TODO(pt): pergunte a torch.cuda, depois a torch.backends.mps, se estão disponíveis
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
    ### END SOLUTION


def xor_loader(batch_size=1, shuffle=False):
    """A DataLoader over the four XOR pairs: inputs float32 (2,), targets float32 (1,).

    PT-BR: Um DataLoader sobre os quatro pares do XOR: entradas float32 (2,), alvos float32 (1,).
    """
    ### BEGIN SOLUTION
    # TODO: the four input pairs and their targets, as float32 tensors of shape (4, 2) and (4, 1)
    # TODO(pt): os quatro pares de entrada e seus alvos, tensores float32 de formato (4, 2) e (4, 1)
    inputs = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    # TODO: wrap them in a TensorDataset and a DataLoader
    # TODO(pt): coloque-os num TensorDataset e este num DataLoader
    return DataLoader(TensorDataset(inputs, targets), batch_size=batch_size, shuffle=shuffle)
    ### END SOLUTION


def sum_pairs_loader(split="train", batch_size=16, shuffle=True):
    """A DataLoader over datasets_dir()/sum_pairs/<split>.csv (header a,b,sum): inputs float32
    (2,) = (a, b), targets float32 (1,) = (sum,). `split` is "train" or "test".

    PT-BR: Um DataLoader sobre datasets_dir()/sum_pairs/<split>.csv (cabeçalho a,b,sum):
    entradas float32 (2,) = (a, b), alvos float32 (1,) = (sum,). `split` é "train" ou "test".
    """
    ### BEGIN SOLUTION
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    # TODO: read the csv (skip its header) into a float32 tensor of shape (N, 3)
    # TODO(pt): leia o csv (pule o cabeçalho) num tensor float32 de formato (N, 3)
    path = datasets_dir() / "sum_pairs" / f"{split}.csv"
    table = torch.from_numpy(np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2))
    # TODO: inputs are the first two columns, targets the last one kept as a column (N, 1)
    # TODO(pt): as entradas são as duas primeiras colunas; o alvo é a última, mantida como coluna (N, 1)
    inputs, targets = table[:, :2], table[:, 2:]
    return DataLoader(TensorDataset(inputs, targets), batch_size=batch_size, shuffle=shuffle)
    ### END SOLUTION


def mnist_datasets(root=None):
    """torchvision's MNIST train and test sets over the shipped subset (root=None means
    datasets_dir(); root is the folder that holds MNIST/raw/), never downloading; each image
    goes through ToTensor() and then Normalize((0.1307,), (0.3081,)).

    PT-BR: Os conjuntos de treino e de teste do MNIST do torchvision, sobre o subconjunto que vem
    com o kit (root=None significa datasets_dir(); root é a pasta que contém MNIST/raw/), sem
    nunca baixar nada; cada imagem passa por ToTensor() e depois por
    Normalize((0.1307,), (0.3081,)).
    """
    from torchvision import datasets, transforms  # imported here: only this exercise needs it

    ### BEGIN SOLUTION
    root = datasets_dir() if root is None else root
    # TODO: compose ToTensor() and Normalize with MNIST's mean and std
    # TODO(pt): componha ToTensor() e Normalize com a média e o desvio padrão do MNIST
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    # TODO: datasets.MNIST for train=True and train=False, with download=False
    # TODO(pt): datasets.MNIST com train=True e train=False, com download=False
    train = datasets.MNIST(root, train=True, download=False, transform=transform)
    test = datasets.MNIST(root, train=False, download=False, transform=transform)
    return train, test
    ### END SOLUTION


def train_sum_net(seed=0):
    """A SumNet trained on the train pairs, with a mean squared error below 0.01 on the test pairs.

    PT-BR: Uma SumNet treinada nos pares de treino, com erro quadrático médio abaixo de 0.01 nos
    pares de teste.
    """
    ### BEGIN SOLUTION
    # TODO: set_seed, then a SumNet, the train loader, nn.MSELoss and an optimizer (Adam works well)
    # TODO(pt): set_seed, depois uma SumNet, o loader de treino, nn.MSELoss e um otimizador (Adam funciona bem)
    set_seed(seed)
    model = SumNet()
    loader = sum_pairs_loader("train", batch_size=50, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    # TODO: the training loop: forward, loss, zero_grad, backward, step, for enough epochs
    # TODO(pt): o laço de treino: forward, perda, zero_grad, backward, step, por épocas suficientes
    model.train()
    for _ in range(20):
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
    ### END SOLUTION


def train_xor_net(seed=0):
    """An XorNet whose four outputs each sit on the right side of 0.5 by at least 0.3.

    PT-BR: Uma XorNet cujas quatro saídas ficam, cada uma, do lado certo de 0.5, a uma distância
    de pelo menos 0.3.
    """
    ### BEGIN SOLUTION
    # TODO: set_seed, an XorNet, xor_loader (all four pairs in one batch is fine), a loss, an optimizer
    # TODO(pt): set_seed, uma XorNet, xor_loader (os quatro pares num só lote servem), uma função de perda, um otimizador
    set_seed(seed)
    model = XorNet()
    loader = xor_loader(batch_size=4, shuffle=False)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    # TODO: train until every output is clearly on the right side of 0.5
    # TODO(pt): treine até cada saída ficar claramente do lado certo de 0.5
    model.train()
    for _ in range(500):
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
    ### END SOLUTION


def train_mnist(seed=0, device=None):
    """Train an MnistMLP on the shipped train split (device=None means get_device()).

    Returns (model, {"test_accuracy": fraction of the shipped test split classified right,
    "train_losses": mean training loss of each epoch}); test accuracy must reach 0.90.

    PT-BR: Treina uma MnistMLP no conjunto de treino que vem com o kit (device=None significa
    get_device()).

    Devolve (model, {"test_accuracy": fração do conjunto de teste do kit classificada
    corretamente, "train_losses": perda média de treino de cada época}); a acurácia de teste
    precisa chegar a 0.90.
    """
    ### BEGIN SOLUTION
    # TODO: set_seed, pick the device, load mnist_datasets()
    # TODO(pt): set_seed, escolha o dispositivo, carregue mnist_datasets()
    set_seed(seed)
    device = get_device() if device is None else torch.device(device)
    train_set, test_set = mnist_datasets()
    # Decoding 5,000 small images once is faster than decoding them again every epoch.
    train_images, train_labels = next(iter(DataLoader(train_set, batch_size=len(train_set))))
    test_images, test_labels = next(iter(DataLoader(test_set, batch_size=len(test_set))))
    loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=64, shuffle=True)
    # TODO: an MnistMLP on the device, nn.CrossEntropyLoss, SGD with momentum
    # TODO(pt): uma MnistMLP no dispositivo, nn.CrossEntropyLoss, SGD com momentum
    model = MnistMLP().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    # TODO: for each epoch, train on every batch and keep the epoch's mean loss per sample
    # TODO(pt): a cada época, treine em todos os lotes e guarde a perda média por amostra da época
    train_losses = []
    for _ in range(6):
        model.train()
        total = 0.0
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
        train_losses.append(total / len(train_labels))
    # TODO: test accuracy in eval mode without autograd: argmax of the logits against the labels
    # TODO(pt): acurácia de teste no modo de avaliação, sem autograd: compare o argmax dos logits com os rótulos
    model.eval()
    with torch.no_grad():
        predictions = model(test_images.to(device)).argmax(dim=1).cpu()
    test_accuracy = (predictions == test_labels).float().mean().item()
    return model, {"test_accuracy": test_accuracy, "train_losses": train_losses}
    ### END SOLUTION
