"""Where the kit's shipped data lives."""
from __future__ import annotations

import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent


def datasets_dir() -> Path:
    """The kit's data folder; the environment variable TOCHA_DATASETS overrides it."""
    override = os.environ.get("TOCHA_DATASETS")
    return Path(override).expanduser().resolve() if override else KIT_ROOT / "datasets"
