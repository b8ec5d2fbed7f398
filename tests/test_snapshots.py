"""Snapshots (grading/snapshots/calls.py): the reference's recorded answers replace solutions/.

* The committed snapshots are current (like `tocha sync --check`).
* Every submission in tests/submissions/, the stubs and the solutions get the same status per
  item from the snapshots as from the live solutions. The live statuses are those of the
  recording run itself (`tocha snapshot` grades every root live while it records, and keeps the
  verdicts in tests/snapshot_verdicts.json); they agree with the mutant suite's EXPECTED.
* The mechanism on small cases: exact gradients through recorded Jacobians, side effects on the
  arguments and on the random state, model classes rebuilt from blueprints and trained, loaders
  and optimizers rebuilt, and the verdicts for a call never recorded (the submission's doing:
  failed, even if its code swallows the exception) and for stale files (the kit's: error).
"""
from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from torch import nn

from conftest import KIT
from grading.snapshots import codec as snapcodec
from grading.snapshots import calls as snapshot
from grading.snapshots import command as snaprun
from grading.engine.roots import ImplementationRoot
from grading.verdict import CheckFailed
from test_mutants import _ONLY, MUTANTS, expected_of

KIT_ERRORS = ("tocha snapshot", "snapshot cannot replay", "o snapshot não consegue")
LIVE = json.loads((KIT / snaprun.VERDICTS).read_text(encoding="utf-8")) if (KIT / snaprun.VERDICTS).is_file() else {}


# ---------------------------------------------------------------- the committed files

def test_committed_snapshots_are_current():
    assert snaprun.stale(KIT) == [], "run `tocha snapshot`"


def test_a_changed_check_or_solution_makes_its_snapshot_stale(tmp_path):
    fake = tmp_path / "kit"
    shutil.copytree(KIT / "checks", fake / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(KIT / "solutions", fake / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    assert snaprun.stale(fake) == []
    with open(fake / "checks" / "test_ex05_inference.py", "a", encoding="utf-8") as f:
        f.write("\n# a new check would go here\n")
    with open(fake / "solutions" / "ex02_forward.py", "a", encoding="utf-8") as f:
        f.write("\n")
    (fake / "checks" / "snapshots" / "ex01_autograd.pt").unlink()
    problems = snaprun.stale(fake)
    assert any(p.startswith("ex05_inference: checks/test_ex05_inference.py") for p in problems)
    assert any(p.startswith("ex07_projects: solutions/ex02_forward.py") for p in problems), problems
    assert any(p.startswith("ex01_autograd: no") for p in problems)


# ---------------------------------------------------------------- verdicts: snapshots vs live

# Replay as on another machine: PyTorch's generic kernels, MKL's portable path and one thread round
# the last bits otherwise than the machine that recorded (see benchmarks/portability.py).
ANOTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1"}


def _replay_module(module: str, files: list[Path], workdir: Path, with_kit_roots: bool) -> dict:
    roots = [str(KIT / "exercises"), str(KIT / "solutions")] if with_kit_roots else []
    roots += snaprun.submission_roots(KIT, module, files, workdir)
    out = workdir / f"{module}-{files[0].stem if files else 'kit'}.json"
    payload = snaprun.grade_batch(KIT, out, f"checks/test_{module}.py", roots, ["--reference", "snapshots"],
                                  env=ANOTHER_MACHINE)
    return {(module, Path(root).name): result for root, result in payload.items()}


CHUNK = 10          # submissions per grading process: ex07 alone would otherwise set the wall time
SLOW_FIRST = ("ex07_projects", "ex08_regression", "ex09_lessons")


@pytest.fixture(scope="session")
def replayed(tmp_path_factory) -> dict:
    """Every module graded against the snapshots: stubs, solutions, mutants; chunks of submissions
    in parallel processes, the slowest modules first."""
    workdir = tmp_path_factory.mktemp("replayed")
    by_module: dict[str, list[Path]] = {m: [] for m in snaprun.check_modules(KIT) if not _ONLY or m in _ONLY}
    for path in MUTANTS:
        by_module.setdefault(path.parent.name, []).append(path)
    jobs = []
    for module in sorted(by_module, key=lambda m: (m not in SLOW_FIRST, SLOW_FIRST.index(m) if m in SLOW_FIRST else 0, m)):
        files = by_module[module]
        chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)] or [[]]
        jobs += [(module, chunk, i == 0) for i, chunk in enumerate(chunks)]
    results: dict = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for part in pool.map(lambda job: _replay_module(job[0], job[1], workdir, job[2]), jobs):
            results.update(part)
    return results


def _live(module: str, root: str) -> dict:
    verdicts = LIVE.get(module, {}).get(root)
    assert verdicts is not None, f"no live verdict recorded for {module}/{root}: run `tocha snapshot`"
    return verdicts


def _same_statuses(module: str, root: str, result: dict) -> None:
    """The replay's status of every item is the live one, and so is its first hint, word for word."""
    assert "tests" in result, result
    replay = snaprun.item_verdicts(result)
    live = _live(module, root)
    for item, (status, hint) in replay.items():
        assert not any(word in hint for word in KIT_ERRORS), f"{item}: the snapshot machinery failed: {hint}"
    assert {i: v[0] for i, v in replay.items()} == {i: v[0] for i, v in live.items()}, (
        "\n".join(f"{i}: live {live[i][0]} / snapshots {replay[i][0]}: {replay[i][1] or live[i][1]}"
                  for i in live if i in replay and live[i][0] != replay[i][0]))
    for item, (status, hint) in replay.items():
        assert snaprun.unrooted(hint, root) == snaprun.unrooted(live[item][1], root), f"{item}: another hint than live"


@pytest.mark.slow
@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_snapshots_give_each_submission_its_live_verdict(path, replayed):
    module, root = path.parent.name, path.stem
    live = _live(module, root)
    assert {i for i, v in live.items() if v[0] != "passed"} == set(expected_of(path)), "the recorded live run " \
        "disagrees with EXPECTED: run `tocha snapshot` again"
    _same_statuses(module, root, replayed[(module, root)])


@pytest.mark.slow
@pytest.mark.parametrize("module", [m for m in snaprun.check_modules(KIT) if not _ONLY or m in _ONLY])
def test_snapshots_grade_the_stubs_zero_and_the_solutions_full(module, replayed):
    stubs, solutions = replayed[(module, "exercises")], replayed[(module, "solutions")]
    assert stubs["score"] == 0 < stubs["max_score"], module
    _same_statuses(module, "exercises", stubs)
    bad = [t["name"] + ": " + t["output"] for t in solutions["tests"] if t["status"] != "passed"]
    assert solutions["score"] == solutions["max_score"], "\n".join(bad)


# ---------------------------------------------------------------- the mechanism on small cases

REFERENCE = '''
import torch
from torch import nn


def scaled_sigmoid(x, scale=2.0):
    return torch.sigmoid(x) * scale


def sgd_step(model, lr, noise=False):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * (p.grad + (torch.randn_like(p) if noise else 0))
    return sum(float(p.sum()) for p in model.parameters())


def reseed(seed):
    torch.manual_seed(seed)


def forward_sum(model, x):
    return float(model(x).sum())


def device_name():
    return "cuda" if torch.cuda.is_available() else "cpu"


def loader_and_optimizer(model):
    data = torch.utils.data.TensorDataset(torch.arange(6.0).reshape(3, 2), torch.arange(3))
    return (torch.utils.data.DataLoader(data, batch_size=2, shuffle=True),
            torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9))


class TinyNet(nn.Module):
    def __init__(self, n_hidden=3):
        super().__init__()
        self.inner = nn.Linear(2, n_hidden)
        self.outer = nn.Linear(n_hidden, 1)

    def forward(self, x):
        return self.outer(torch.tanh(self.inner(x.reshape(x.shape[0], -1))))
'''


class _Replayer:
    """Record calls against a tiny reference module, then answer them from the snapshot file."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        (tmp_path / "ref").mkdir()
        (tmp_path / "ref" / "tiny.py").write_text(REFERENCE, encoding="utf-8")
        self.check = tmp_path / "checks" / "test_tiny.py"
        self.check.parent.mkdir()
        self.check.write_text("# the check file\n", encoding="utf-8")
        self.recording = snapshot.RecordingRoot(ImplementationRoot(tmp_path / "ref", "ref"), tmp_path / "fragments")
        self.node = "tiny::test_case"
        snapshot.begin_check(self.node, self.check)

    def save(self) -> snapshot.SnapshotRoot:
        self.recording.recorder.flush()
        parts = [torch.load(p, weights_only=True) for p in sorted((self.tmp / "fragments" / "tiny").glob("*.pt"))]
        body, stats = snapshot.merge(parts)
        assert not stats["conflicts"]
        body["header"] = {"format": snapshot.FORMAT, "check_sha256": snapshot.sha256(self.check), "solutions": {}}
        folder = self.check.parent / snapshot.FOLDER
        folder.mkdir(exist_ok=True)
        torch.save(body, folder / "tiny.pt")
        snapshot.begin_check(self.node, self.check)
        return snapshot.SnapshotRoot()


def test_a_recorded_result_backpropagates_exactly(tmp_path):
    r = _Replayer(tmp_path)
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    scale = torch.randn(3, dtype=torch.float64, requires_grad=True)
    live = r.recording.get("tiny", "scaled_sigmoid")(x, scale)
    grad_out = torch.randn(4, 3, dtype=torch.float64)
    live.backward(grad_out)
    want = (x.grad.clone(), scale.grad.clone())
    x2, scale2 = x.detach().clone().requires_grad_(), scale.detach().clone().requires_grad_()
    replay = r.save().get("tiny", "scaled_sigmoid")(x2, scale=scale2)  # positional or keyword: one call
    assert torch.equal(replay, live.detach()) and replay.grad_fn is not None
    (replay * 1.0).backward(grad_out)
    assert torch.allclose(x2.grad, want[0], atol=1e-12) and torch.allclose(scale2.grad, want[1], atol=1e-12)


def _model_and_twin():
    """Two equal Linear layers with gradients."""
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    twin = nn.Linear(2, 2)
    twin.load_state_dict(model.state_dict())
    for p in list(model.parameters()) + list(twin.parameters()):
        p.grad = torch.ones_like(p)
    return model, twin


def test_side_effects_on_arguments_and_random_state_are_replayed(tmp_path):
    r = _Replayer(tmp_path)
    model, twin = _model_and_twin()
    torch.manual_seed(5)
    live = r.recording.get("tiny", "sgd_step")(model, 0.1, noise=True)
    after_live = torch.rand(1)
    r.recording.get("tiny", "reseed")(3)
    seeded = torch.rand(1)
    root = r.save()
    torch.manual_seed(5)
    assert root.get("tiny", "sgd_step")(twin, 0.1, True) == live
    assert torch.equal(torch.rand(1), after_live), "the random numbers the call drew are drawn in the replay too"
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters()))
    torch.manual_seed(99)  # reseed overwrites the state whatever it was: the replay does too
    root.get("tiny", "reseed")(3)
    assert torch.equal(torch.rand(1), seeded)


def test_a_call_never_recorded_fails_even_if_swallowed_and_names_the_argument(tmp_path):
    r = _Replayer(tmp_path)
    model, twin = _model_and_twin()
    twin.eval()
    r.recording.get("tiny", "sgd_step")(model, 0.1)
    root = r.save()
    try:
        root.get("tiny", "sgd_step")(twin, 0.1)
    except Exception:  # noqa: BLE001 - what a submission might do
        pass
    status, message = snapshot.take_problem()
    assert status == "failed"
    assert "`model` is Linear (eval mode) where the recorded run had Linear (training mode)" in message.en
    assert "`model`" in message.pt


def test_a_stale_snapshot_is_the_kits_error(tmp_path):
    r = _Replayer(tmp_path)
    r.recording.get("tiny", "scaled_sigmoid")(torch.ones(2))
    root = r.save()
    r.check.write_text("# the check file, edited\n", encoding="utf-8")
    with pytest.raises(CheckFailed) as caught:
        root.get("tiny", "scaled_sigmoid")(torch.ones(2))
    assert caught.value.status == "error" and "tocha snapshot" in caught.value.message.en


def test_loaders_and_optimizers_come_back_as_working_objects(tmp_path):
    r = _Replayer(tmp_path)
    torch.manual_seed(1)
    model = nn.Linear(2, 1)
    live_loader, live_opt = r.recording.get("tiny", "loader_and_optimizer")(model)
    root = r.save()
    loader, opt = root.get("tiny", "loader_and_optimizer")(model)
    assert isinstance(loader, torch.utils.data.DataLoader) and isinstance(opt, torch.optim.SGD)
    torch.manual_seed(4)
    want = [b[1].tolist() for b in live_loader]
    torch.manual_seed(4)
    assert [b[1].tolist() for b in loader] == want
    assert [p for g in opt.param_groups for p in g["params"]] == list(model.parameters())
    assert opt.param_groups[0]["momentum"] == 0.9 and opt.defaults["lr"] == 0.5


def test_a_model_class_is_rebuilt_from_its_blueprint_and_trains(tmp_path):
    r = _Replayer(tmp_path)
    live_cls = r.recording.get("tiny", "TinyNet")
    torch.manual_seed(7)
    live = live_cls(n_hidden=4)
    x = torch.randn(5, 1, 2)
    want = live(x)
    root = r.save()
    replay_cls = root.get("tiny", "TinyNet")
    assert "class TinyNet" not in (tmp_path / "checks" / "snapshots" / "tiny.pt").read_bytes().decode("latin-1")
    torch.manual_seed(7)
    model = replay_cls(4)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in live.named_parameters()]
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), live.parameters()))
    assert torch.equal(model(x), want)
    other = torch.randn(9, 2)  # any batch size and layout the graph allows: it is computed, not looked up
    assert torch.equal(model(other), live(other))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(other).pow(2).mean().backward()
    opt.step()
    assert not torch.equal(model.inner.weight, live.inner.weight)
    with pytest.raises(CheckFailed):
        replay_cls(n_hidden=9)  # never built by the reference
    assert snapshot.take_problem()[0] == "failed"


def test_snapshot_files_hold_only_plain_data():
    for path in sorted((KIT / "checks" / "snapshots").glob("*.pt")):
        data = torch.load(path, weights_only=True)  # raises on anything but tensors and containers
        assert data["header"]["seed_offset"] == 0 and data["header"]["device"] == "cpu"
    assert snapcodec.decode(snapcodec.encode((1, [2.0], {"a": torch.ones(2)})))[2]["a"].sum() == 2


def _last_bits(t: torch.Tensor, ulps: int = 2) -> torch.Tensor:
    """t as another machine's kernels might compute it: a few units in the last place apart."""
    out = t.detach().clone()
    for _ in range(ulps):
        out = torch.nextafter(out, torch.full_like(out, float("inf")))
    return out


def test_arguments_rounded_otherwise_get_the_recorded_answer(tmp_path):
    """A correct submission on another machine builds the same arguments to the last bits: the
    recorded answer is given, with the recorded side effects (portable verdicts)."""
    r = _Replayer(tmp_path)
    x = torch.randn(4, 3)
    live = r.recording.get("tiny", "scaled_sigmoid")(x)
    model, twin = _model_and_twin()
    live_sum = r.recording.get("tiny", "sgd_step")(model, 0.1)
    root = r.save()
    assert torch.equal(root.get("tiny", "scaled_sigmoid")(_last_bits(x)), live)
    with torch.no_grad():
        twin.weight.copy_(_last_bits(twin.weight))
    assert root.get("tiny", "sgd_step")(twin, 0.1) == live_sum
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters())), "re-anchored"
    assert snapshot.take_problem() is None


def test_arguments_outside_tolerance_are_no_answer(tmp_path):
    """Within 100 tolerances but outside one: the kit cannot tell a rounding from a slip, and says
    so ("error", no points); far off: the submission's doing ("failed")."""
    r = _Replayer(tmp_path)
    x = torch.randn(4, 3)
    r.recording.get("tiny", "scaled_sigmoid")(x)
    root = r.save()
    with pytest.raises(CheckFailed):
        root.get("tiny", "scaled_sigmoid")(x * (1 + 1e-3))
    status, message = snapshot.take_problem()
    assert status == "error" and "kit's limit" in message.en and "limite do kit" in message.pt
    with pytest.raises(CheckFailed):
        root.get("tiny", "scaled_sigmoid")(x + 1.0)
    assert snapshot.take_problem()[0] == "failed"


def test_a_reference_that_asks_about_the_machine_is_answered_for_this_machine(tmp_path, monkeypatch):
    """Recorded on a CPU machine with a check pretending CUDA, replayed on a CUDA machine: the CUDA
    answer; every other call falls back to the CPU machine's answers."""
    r = _Replayer(tmp_path)
    snapshot.begin_check("tiny::test_pretend_cuda", r.check)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert r.recording.get("tiny", "device_name")() == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    snapshot.begin_check(r.node, r.check)
    assert r.recording.get("tiny", "device_name")() == "cpu"
    x = torch.randn(3)
    live = r.recording.get("tiny", "scaled_sigmoid")(x)
    root = r.save()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # the student's machine has a GPU
    assert root.get("tiny", "device_name")() == "cuda"
    assert torch.equal(root.get("tiny", "scaled_sigmoid")(x), live)


def test_replayed_state_is_the_recorded_one_even_when_a_spy_watches_the_model(tmp_path):
    """A check's hook on a model with BatchNorm sees the reference's forward pass again in the
    replay; the model's running statistics are still exactly the recorded ones afterwards."""
    r = _Replayer(tmp_path)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    twin = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    twin.load_state_dict(model.state_dict())
    seen = []
    for m in (model, twin):
        m.register_forward_hook(lambda mod, args, out: seen.append(mod))
    x = torch.randn(5, 2)
    live = r.recording.get("tiny", "forward_sum")(model, x)
    root = r.save()
    assert root.get("tiny", "forward_sum")(twin, x) == live
    assert seen.count(twin) == 1, "the spy saw the replayed pass"
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), twin.state_dict().values()))
