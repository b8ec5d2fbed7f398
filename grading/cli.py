"""The `tocha` command."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.data import KIT_ROOT


def _sync(args) -> int:
    from grading.publish import sync

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
    from grading.student.commands import add_commands# status, watch, hint, report

    add_commands(sub)
    from grading.notebooks.course import add_command as add_nbgrader  # tocha nbgrader COURSE

    add_nbgrader(sub)
    from grading.snapshots.command import add_command as add_snapshot  # tocha snapshot

    add_snapshot(sub)
    from grading.publish.workflow import add_command as add_classroom  # tocha classroom

    add_classroom(sub)
    from grading.publish.release import add_commands as add_release  # tocha release, tocha verify

    add_release(sub)
    from grading.cohort.report import add_command as add_class_report; add_class_report(sub)  # tocha class-report DIR
    from grading.publish.gradescope import add_command as add_gradescope; add_gradescope(sub)  # tocha gradescope OUT.zip
    from grading.publish.classroom50 import add_command as add_classroom50; add_classroom50(sub)  # tocha classroom50 OUTDIR
    from grading.cohort.grade import add_command as add_grade; add_grade(sub)  # tocha grade SUBMISSIONS --out DIR
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
