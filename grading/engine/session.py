"""One grading session's state and the helpers the hooks, the workers and the notebook course share:
the options as read, the records of verdicts, each check's module, seed and timeouts, and the
containment a worker puts up before the submission's code runs.

The hooks themselves are in grading/engine/plugin.py; everything here is plain functions of the
pytest config and items, so grading/engine/isolation.py and grading/engine/hung.py can use them
without importing the plugin.
"""
from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from grading import data
from grading import results as res
from grading.engine import threads
from grading.text import default_lang

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MODULE_TIMEOUT_S = 300.0
RECORDS = pytest.StashKey[list]()
DEFAULT_TIMEOUT = pytest.StashKey[float]()  # a teacher's --timeout / timeout ini, where pytest-timeout is installed
META = pytest.StashKey[dict]()
TIMEOUT = pytest.StashKey[float]()
PARTIAL = pytest.StashKey[set]()  # modules some of whose checks were deselected
PRINTS = pytest.StashKey[dict]()  # fingerprints of the modules a plain run grades (grading/engine/cache.py)
ANSWERS = pytest.StashKey[dict]()  # recorded answers a worker read ahead of hiding: {real path: bytes}
GUARD = pytest.StashKey[object]()  # grading/sandbox/guard.py's Guard, kept only here: out of a submission's reach


def resolve_root(value: str, config) -> Path:
    """'exercises'/'solutions' name the folders of the kit pytest runs in; anything else is a path."""
    return data.resolve_root(value, Path(config.rootpath))


def reference_mode(config) -> str:
    """'record' (tocha snapshot), 'replay' (recorded snapshots, see grading/snapshots/calls.py) or 'live'."""
    if config.getoption("--record-snapshots"):
        return "record"
    value = config.getoption("--reference")
    if value == "snapshots" or (value == "solutions" and not resolve_root(value, config).is_dir()):
        return "replay"
    return "live"


def lang_of(config) -> str:
    return config.getoption("--lang") or default_lang()


def device_of(config):
    import torch

    choice = config.getoption("--device")
    if choice == "auto" and reference_mode(config) == "replay":
        choice = "cpu"
    if choice == "auto":
        if torch.cuda.is_available():
            choice = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            choice = "mps"
        else:
            choice = "cpu"
    device = torch.device(choice)
    config.stash[META]["device"] = str(device)
    return device


def module_of(node) -> str:
    return Path(str(node.fspath)).stem.removeprefix("test_")


def check_key(item) -> str:
    """`module::name` with the parameter ids escaped as pytest escaped them before ids were shown
    as written (pytest_make_parametrize_id below): seeds and recorded snapshots stay keyed alike."""
    name = "".join(c if ord(c) < 128 else c.encode("unicode_escape").decode("ascii") for c in item.name)
    return f"{module_of(item)}::{name}"


def seed_of(item) -> int:
    offset = item.config.getoption("--seed-offset") or 0
    return (zlib.crc32(check_key(item).encode()) + offset) % (2**31)


def item_timeout(item) -> float | None:
    """The check's time limit in seconds, scaled (None for tests that are not graded)."""
    return item.stash.get(TIMEOUT, None)


def module_budget(config, timeouts: list[float]) -> float:
    """All of a module's checks together: the module limit, never less than its longest check."""
    scale = config.getoption("--timeout-scale")
    limit = config.getoption("--module-timeout") * scale
    return max(max(timeouts, default=0.0), min(sum(timeouts), limit))


def baseline_now() -> dict:
    """The settings every check starts from; the thread count is torch's own choice (this
    process computes on one thread only so that its workers can fork safely)."""
    from grading.sandbox import state

    baseline = state.capture()
    baseline["threads"] = threads.original_threads() or baseline["threads"]
    return baseline


def baseline(config) -> dict:
    meta = config.stash[META]
    if "baseline" not in meta:
        meta["baseline"] = baseline_now()
    return meta["baseline"]


def mark_worker(config) -> None:
    config.stash[META]["worker"] = True


def memory_limit(config) -> float:
    value = config.getoption("--memory-limit")
    if value is None:
        try:
            value = float(os.environ.get("TOCHA_MEMORY_LIMIT", "") or 4.0)
        except ValueError:
            value = 4.0
    return value


def contain(session, report=None, worker: bool = True) -> None:
    """Containment for the submission's code in this process (grading/sandbox/containment.py): which files
    are whose, the worker's memory limit and its audit hook; `report(kind, what)` tells the
    grading process at once that the submission cheated."""
    from grading.sandbox import containment
    from grading.engine.roots import alias_for

    config = session.config
    impl_root = resolve_root(config.getoption("--impl"), config)
    ref_root = ref_alias = None
    if reference_mode(config) != "replay":
        ref_root = resolve_root(config.getoption("--reference"), config)
        ref_alias = alias_for(ref_root.resolve(), "ref")
    checks = {Path(str(item.path)).parent for item in session.items if item.get_closest_marker("item") is not None}
    containment.configure(impl_root, alias_for(impl_root.resolve(), "impl"), ref_root, ref_alias, checks, data.KIT_ROOT)
    containment.set_reporter(report)
    if worker:
        containment.limit_memory(memory_limit(config))
        containment.install_audit_hook()


def guard_of(config):
    """The session's guard (grading/sandbox/guard.py), None where nothing is graded."""
    return config.stash.get(GUARD, None)


def records_of(config) -> list:
    return config.stash[RECORDS]


def add_record(config, record: res.CheckResult) -> None:
    config.stash[RECORDS].append(record)


def note_device(config, device: str) -> None:
    config.stash[META].setdefault("device", device)


def known_device(config) -> str | None:
    return config.stash[META].get("device")


def note_containment(config, hidden: bool, unhidden) -> None:
    """What a worker said of the kernel's part in containing the submission (sandbox/namespaces.py):
    the run's record keeps the weakest."""
    why = unhidden[:300] if isinstance(unhidden, str) else None
    known = config.stash[META].get("containment")
    if known is None or (known["files_hidden"] and not hidden) or (known["why"] is None and why):
        config.stash[META]["containment"] = {"files_hidden": hidden, "why": why}


def containment_of(config) -> dict | None:
    return config.stash[META].get("containment")


def new_record(item, status: str, message: dict | None, duration: float) -> res.CheckResult:
    """A record whose names, points and seed come from this process's own copy of the check."""
    marker = item.get_closest_marker("item")
    swapped = item.get_closest_marker("with_reference")
    return res.CheckResult(
        nodeid=item.nodeid, module=module_of(item), item=marker.args[0], check=item.originalname,
        points=int(marker.kwargs.get("points", 1)), status=status, message=message,
        seed=seed_of(item), duration=duration, with_reference=list(swapped.args) if swapped else [],
    )


def record_wire(record: res.CheckResult) -> dict:
    return {"status": record.status, "message": record.message, "duration": record.duration}


def detailed(config) -> bool:
    """-v: every check's failure and every item on its own row, not-started ones too."""
    return config.getoption("verbose") > 0


