"""How a check's exception becomes a verdict (grading/verdict.py): PyTorch errors that name a
student's slip get the kit's hint, not the raw message."""
from __future__ import annotations

import pytest

from grading.engine.outcome import classify

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


def test_a_check_graded_with_the_reference_helper_says_so_when_the_students_fails():
    """train_epoch is graded with the reference's train_step swapped in: its points stand, but its
    row tells the student that their own train_step still fails (terminal, report, results.json)."""
    from grading import results as res

    step = res.CheckResult("a", "ex03_training", "train_step", "test_step", 2, "failed", {"en": "x", "pt-BR": "x"})
    epoch = res.CheckResult("b", "ex03_training", "train_epoch", "test_epoch", 4, with_reference=["train_step"])
    fit = res.CheckResult("c", "ex03_training", "fit", "test_fit", 2, with_reference=["train_epoch"])
    records = [step, epoch, fit]
    res.note_reference_helpers(records)
    assert epoch.earned == 4 and "reference's train_step" in epoch.text("en") and "see train_step" in epoch.text("en")
    assert "train_step da referência" in epoch.text("pt-BR")
    assert fit.message is None, "train_epoch passes: nothing to say about fit"
    payload = res.gradescope(records, "en", 1.0)
    assert payload["tests"][1]["output"].startswith("passed: graded with the reference's train_step")
    table = "\n".join(res.score_table(records, "en"))
    assert "graded with the reference's train_step" in table


def test_a_timeout_names_the_function_still_running(tmp_path):
    """A check's timeout names the submission's function that was running, with its line; a
    hung function's second hang names where it first hung and the short time it had now."""
    from grading.engine.hung import Hung
    from grading.verdict import CheckTimeout, HungAgain

    root = tmp_path / "sub"
    root.mkdir()
    source = root / "ex01_autograd.py"
    source.write_text("def gradients(f):\n    f()\n", encoding="utf-8")
    space: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), space)

    def alarm():
        raise CheckTimeout(30.0)

    try:
        space["gradients"](alarm)
    except CheckTimeout as exc:
        status, message = classify(exc, exc.__traceback__, root.resolve())
    assert status == "timed out" and "still running `gradients` (sub/ex01_autograd.py, line 2)" in message.en
    assert "took longer than 30 s" in message.en and "ainda executando `gradients`" in message.pt

    known = Hung(str(source), 1, "gradients", "sub/ex01_autograd.py", check="test_gradients_of_numbers[a]", seconds=30.0)
    status, message = classify(HungAgain(known, 0.5), None, root.resolve())
    assert status == "timed out"
    assert "`gradients` (sub/ex01_autograd.py) did not return within 0.5 s" in message.en
    assert "already hung in test_gradients_of_numbers[a], where it had 30 s" in message.en
    assert "não retornou em 0.5 s" in message.pt and "onde teve 30 s" in message.pt


def test_what_hung_for_one_submission_does_not_shorten_anothers_time():
    """A class job grades many submissions in one pytest session: hung state is per submission."""
    from grading.engine import hung

    class Config:
        def __init__(self):
            self.stash, self.impl = pytest.Stash(), "class/ana"

        def getoption(self, name):
            assert name == "--impl"
            return self.impl

    config = Config()
    hung.module_timed_out(config, "ex01_autograd")
    assert hung._module_state(config, "ex01_autograd").timed_out
    config.impl = "class/bia"
    assert not hung._module_state(config, "ex01_autograd").timed_out
