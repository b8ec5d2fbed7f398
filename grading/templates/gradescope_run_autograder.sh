#!/usr/bin/env bash
# tocha autograder (written by `tocha gradescope`). Gradescope runs this once per submission.
# TOCHA_AUTOGRADER_ROOT replaces /autograder; TOCHA_PYTHON replaces the interpreter setup.sh made.
ROOT="${TOCHA_AUTOGRADER_ROOT:-/autograder}"
PY="${TOCHA_PYTHON:-/autograder/venv/bin/python}"
KIT="$ROOT/source/kit"
cd "$KIT" || exit 2
exec "$PY" -m grading.publish.gradescope run --root "$ROOT" --kit "$KIT"
