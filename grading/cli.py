"""The `tocha` command."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import KIT_ROOT


def _sync(args) -> int:
    from . import sync

    root = Path(args.root).resolve()
    if args.check:
        stale = sync.stale(root)
        for path in stale:
            print(f"stale: {path.relative_to(root)}")
        if stale:
            print("exercises/ is out of date: run `tocha sync`.")
        return 1 if stale else 0
    for path in sync.write(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tocha", description="tocha: auto-graded PyTorch exercises")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sync", help="generate exercises/ from solutions/")
    p.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    p.add_argument("--root", default=str(KIT_ROOT), help="kit folder (default: this checkout)")
    p.set_defaults(run=_sync)
    from .loop import add_commands  # status, watch, hint, report

    add_commands(sub)
    from .notebook import add_command as add_nbgrader  # tocha nbgrader COURSE

    add_nbgrader(sub)
    from .snaprun import add_command as add_snapshot  # tocha snapshot

    add_snapshot(sub)
    from .classroom import add_command as add_classroom  # tocha classroom

    add_classroom(sub)
    from .release import add_commands as add_release  # tocha release, tocha verify

    add_release(sub)
    from .classreport import add_command as add_class_report; add_class_report(sub)  # tocha class-report DIR
    from .gradescope_pkg import add_command as add_gradescope; add_gradescope(sub)  # tocha gradescope OUT.zip
    from .classroom50 import add_command as add_classroom50; add_classroom50(sub)  # tocha classroom50 OUTDIR
    from .classgrade import add_command as add_grade; add_grade(sub)  # tocha grade SUBMISSIONS --out DIR
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
