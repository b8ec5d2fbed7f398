"""Where the kit's shipped data lives."""
from __future__ import annotations

import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent


def find_kit(start: Path | None = None) -> Path | None:
    """The first folder from `start` (default: the current one) upward that holds checks/ and
    exercises/, as git finds its repository: a student's commands grade the kit they stand in,
    not the one the package was installed from."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "checks").is_dir() and (folder / "exercises").is_dir():
            return folder
    return None


def resolve_root(value: str, kit: Path) -> Path:
    """'exercises' / 'solutions' name a kit's folders (`kit`'s, else the installed kit's, which
    may hold the solutions a student's copy lacks); anything else is a path from here."""
    if value in ("exercises", "solutions"):
        for base in (Path(kit), KIT_ROOT):
            if (base / value).is_dir():
                return (base / value).resolve()
        return (Path(kit) / value).resolve()
    return Path(value).expanduser().resolve()


def datasets_dir() -> Path:
    """The kit's data folder; the environment variable TOCHA_DATASETS overrides it."""
    override = os.environ.get("TOCHA_DATASETS")
    return Path(override).expanduser().resolve() if override else KIT_ROOT / "datasets"
