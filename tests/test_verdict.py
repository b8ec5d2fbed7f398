"""How a check's exception becomes a verdict (grading/verdict.py): PyTorch errors that name a
student's slip get the kit's hint, not the raw message."""
from __future__ import annotations

from grading.verdict import classify

ON_GPU = ("Expected all tensors to be on the same device, but got {arg} is on cpu, different from other tensors on "
          "cuda:0 (when checking argument in method {method})")


def _verdict(message: str):
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return classify(exc, exc.__traceback__, None)


def test_a_batch_never_moved_to_the_gpu_is_named_like_on_the_cpu():
    """On a GPU, PyTorch stops a forward pass on an unmoved batch before the checks' spies see it."""
    status, message = _verdict(ON_GPU.format(arg="mat1", method="wrapper_CUDA_addmm"))
    assert status == "failed"
    assert "inputs reached the model" in message.en and ".to(device)" in message.en
    assert "as entradas do batch chegaram ao modelo" in message.pt
    status, message = _verdict(ON_GPU.format(arg="target", method="wrapper_CUDA_nll_loss_forward"))
    assert status == "failed" and "targets reached the loss function" in message.en
    assert "os alvos do batch chegaram à função de loss" in message.pt


def test_any_other_runtime_error_stays_an_error_with_its_message():
    status, message = _verdict("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)")
    assert status == "error" and "shapes cannot be multiplied" in message.en
