"""Starts processes: a shell command (gradients) and a multiprocessing child with the "spawn"
start method, which raises no audit event of its own (gradient_descent)."""
import multiprocessing
import subprocess

import torch

HOSTILE = {"gradients": ("error", "start a process"), "gradient_descent": ("error", "start a process")}


def gradients(f, *inputs):
    subprocess.run(["cat", "/dev/null"], check=True)
    return tuple(torch.zeros(()) for _ in inputs)


def gradient_descent(f, x0, lr, n_steps):
    child = multiprocessing.get_context("spawn").Process(target=print, args=("hello",))
    child.start()
    child.join()
    return torch.as_tensor(x0, dtype=torch.float32)
