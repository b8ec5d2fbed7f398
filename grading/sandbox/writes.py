"""Writes to the namespaces a verdict depends on, including writes undone before anyone looks.

The guard (guard.py) compares what a name is bound to when a check ends with what it was bound to
before any submission loaded. That misses three things a submission can do in a few lines:

* bind a check's `close` to a function that says "equal" once and then binds the original back:
  nothing is left to compare (every answer wrong, 6 of ex01's 14 points);
* edit a check's table of cases (a dict or list of the check module) so that later checks ask
  something trivial (9 of 14);
* switch the grader's containment off from inside (`containment._C.impl_root = None`: no root, no
  guard; 14 of 14).

CPython gives every dict a version tag that changes on every write to it (PEP 509; CPython 3.10 to
3.13, read here through ctypes views made before any submission code runs). So:

* a namespace whose tag moved while it looks the same as before was written and put back: that is
  tampering, wherever it happened;
* a namespace of the checks or of the grader (`strict`: nothing writes to those while a check
  runs; the few the grader itself writes are named in their module's `__unwatched__`) must not
  change at all, except by gaining a submodule that was imported; what changed there is put back;
* the check modules' and the grader's module-level tables (dicts, lists and sets, and those nested
  in them) are strict too; lists and sets, which have no tag, are compared item by item.

Elsewhere (torch, numpy, pytest, their classes) a change that can be seen is judged by the guard's
comparison of names, which knows the wrappers installed libraries put there.

The watcher is made of closures over private state (`watcher()`): none of it is reachable from a
module, so a submission cannot switch the watcher off without writing somewhere it watches.

Where the tag is not there to read (another Python implementation, CPython 3.14, a free-threaded
build) this is off (`available()` says so), and only the guard's comparison of names remains.
"""
from __future__ import annotations

import ctypes
import gc
import sys
import types

_WORD = ctypes.sizeof(ctypes.c_void_p)
_TAG_OFFSET = 3 * _WORD  # PyDictObject: ob_refcnt, ob_type, ma_used, then ma_version_tag
_TABLE_DEPTH = 3
_ANY_MODULE = frozenset({"__warningregistry__"})  # Python's warnings machinery adds it to any module


def _tag_view(d: dict):
    return ctypes.c_uint64.from_address(id(d) + _TAG_OFFSET)


def _probe() -> bool:
    """Whether this interpreter keeps a dict's version tag where `_tag_view` reads it, and changes it
    on every write (tried on a dict of our own, not assumed from the version number)."""
    if sys.implementation.name != "cpython" or _WORD != 8:
        return False
    if getattr(sys, "_is_gil_enabled", lambda: True)() is False:
        return False
    try:
        probe = {"a": 0}
        if ctypes.c_ssize_t.from_address(id(probe) + 2 * _WORD).value != 1:  # ma_used sits before it
            return False
        view = _tag_view(probe)
        seen = [view.value]
        probe["a"] = 1
        seen.append(view.value)
        probe["a"] = 0
        seen.append(view.value)
        del probe["a"]
        seen.append(view.value)
        return len(set(seen)) == 4 and seen[0] != 0
    except Exception:
        return False


_AVAILABLE = _probe()


def available() -> bool:
    return _AVAILABLE


def class_dict(cls: type) -> dict | None:
    """The real dictionary behind a class's read-only `__dict__` proxy."""
    found = [d for d in gc.get_referents(cls.__dict__) if type(d) is dict]
    return found[0] if len(found) == 1 else None


def watcher() -> types.SimpleNamespace:
    """A fresh watcher: `add(label, dict, strict, skip)`, `add_tables(label, namespace)`,
    `settle()` (take every namespace as it is now) and `look()` -> (names changed where nothing may
    change, now put back; namespaces written and put back by the writer)."""
    # Everything the closures use is bound here, out of reach of a submission that rebinds names.
    isinstance_, len_, id_, dict_, tuple_, set_, list_, zip_, any_, map_, repr_ = (
        isinstance, len, id, dict, tuple, set, list, zip, any, map, repr)
    ModuleType, missing, tag_view, any_module = types.ModuleType, object(), _tag_view, _ANY_MODULE
    watched: list = []   # [label, object, tag view or None, strict, skip, copy, tag]
    by_id: dict = {}
    pending: tuple = ([], [])  # what `judge` found, until `look` returns it

    def settle_one(w) -> None:
        obj = w[1]
        w[5] = dict_(obj) if isinstance_(obj, dict_) else tuple_(obj)
        w[6] = w[2].value if w[2] is not None else None

    def moved(w) -> bool:
        if w[2] is not None:
            return w[2].value != w[6]
        copy, obj = w[5], w[1]  # a list or a set: compared item by item
        if len_(copy) != len_(obj):
            return True
        if isinstance_(obj, list_):
            return any_(a is not b for a, b in zip_(copy, obj))
        return set_(map_(id_, copy)) != set_(map_(id_, obj))

    def difference(w):
        """Names of what differs from the copy, [] when it moved but looks the same, None when the
        difference is allowed."""
        label, obj, copy, strict, skip = w[0], w[1], w[5], w[3], w[4]
        if not isinstance_(obj, dict_):
            return [label]
        keys = [k for k, v in list_(obj.items()) if copy.get(k, missing) is not v]
        keys += [k for k in copy if k not in obj]
        if not keys:
            return []
        if not strict:
            return None  # seen by the guard's comparison of names
        wrong = [k for k in keys if k not in skip and k not in any_module
                 and not (k not in copy and isinstance_(obj.get(k), ModuleType))]  # a submodule imported
        return [f"{label}.{k}" for k in wrong] or None

    def put_back(w) -> None:
        obj, copy = w[1], w[5]
        if isinstance_(obj, dict_):
            for key in [k for k in obj if k not in copy]:
                del obj[key]
            obj.update(copy)
        elif isinstance_(obj, list_):
            obj[:] = copy
        else:
            obj.clear()
            obj.update(copy)

    def judge(w) -> None:
        found = difference(w)
        if found == []:
            pending[1].append(w[0])
        elif found:
            pending[0].extend(found)
            put_back(w)
        settle_one(w)

    def add(label, namespace, strict, skip=()) -> None:
        if namespace is None or id_(namespace) in by_id:
            return
        w = [label, namespace, tag_view(namespace) if isinstance_(namespace, dict_) else None,
             strict, frozenset(skip), None, None]
        settle_one(w)
        watched.append(w)
        by_id[id_(namespace)] = w

    def add_tables(label, namespace) -> None:
        def visit(name, value, depth):
            if depth > _TABLE_DEPTH or id_(value) in by_id:
                return
            if isinstance_(value, (dict_, list_, set_)):
                add(name, value, True)
                items = value.items() if isinstance_(value, dict_) else enumerate(value)
                for key, item in list_(items):
                    visit(f"{name}[{repr_(key)}]", item, depth + 1)
            elif isinstance_(value, tuple_):
                for i, item in enumerate(value):
                    visit(f"{name}[{i}]", item, depth + 1)

        unwatched = namespace.get("__unwatched__", ())  # tables the grader writes while checks run
        for key, value in list_(namespace.items()):
            if not key.startswith("__") and key not in unwatched:
                visit(f"{label}.{key}", value, 1)

    def settle() -> None:
        for w in watched:
            if moved(w):
                settle_one(w)

    def look() -> tuple[list, list]:
        for w in watched:
            if moved(w):
                judge(w)
        changed, put = list_(pending[0]), list_(pending[1])
        pending[0].clear()
        pending[1].clear()
        return changed, put

    return types.SimpleNamespace(add=add, add_tables=add_tables, settle=settle, look=look)
