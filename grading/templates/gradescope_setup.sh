#!/usr/bin/env bash
# tocha autograder image (written by `tocha gradescope`). Gradescope runs this once, as root, on Ubuntu.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv ca-certificates
# uv brings the Python the snapshots were recorded with, whatever the image's own Python is
python3 -m venv /autograder/uv
/autograder/uv/bin/python -m pip install --quiet uv
/autograder/uv/bin/uv venv --python @PYTHON@ /autograder/venv
install() { /autograder/uv/bin/uv pip install --python /autograder/venv/bin/python "$@"; }
# CPU wheels only: the grader has no GPU, and CUDA wheels are gigabytes
install --index-url @CPU_INDEX@ "torch==@TORCH@" "torchvision==@TORCHVISION@"
install -e "@KIT_REQUIREMENT@"
# smoke test: an empty submission grades (every item reported, 0 points) against the snapshots
mkdir -p /tmp/tocha-smoke/submission /tmp/tocha-smoke/results
(cd "$SOURCE/kit" && /autograder/venv/bin/python -m grading.publish.gradescope run --root /tmp/tocha-smoke --kit "$SOURCE/kit")
test -s /tmp/tocha-smoke/results/results.json
rm -rf /tmp/tocha-smoke
