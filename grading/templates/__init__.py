"""The kit's templates: the reports' look and script, the packagers' scripts, the workflow's YAML.

Each is a plain file in this folder (package data: a wheel ships it, and the release, Gradescope
and Classroom 50 packagers copy grading/ whole), so a page's look or a script is edited here
without touching Python; whatever is computed per call (versions, modules, points, the pages'
rows) stays in Python and comes in as a field. `render(name, **fields)` fills one template:

- `@NAME@` (capitals, digits, underscores) becomes `str(fields["NAME"])`, inserted as it is (no
  escaping: that is the caller's); a marker without a field is an error, a field without a marker
  is not.
- A line holding nothing but a marker is a block: the line, its line end included, becomes the
  value's lines (a missing final newline is added), or nothing when the value is empty. A
  repeated block (one workflow step per module) is rendered from its own template and passed in.

Nothing else is special, so CSS and JavaScript braces, shell `$VAR`s and the workflow's `${{ }}`
are written as they are. The templates are UTF-8 text, their line ends read as "\\n".
"""
from __future__ import annotations

import re
from importlib import resources

MARKER = re.compile(r"^@([A-Z][A-Z0-9_]*)@\n|@([A-Z][A-Z0-9_]*)@", re.MULTILINE)


def render(name: str, **fields) -> str:
    """The template `name` of this folder with its markers filled from `fields`."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        key = match.group(1) or match.group(2)
        if key not in fields:
            raise KeyError(f"template {name}: no value for @{key}@")
        value = str(fields[key])
        if match.group(1) and value and not value.endswith("\n"):
            value += "\n"
        return value

    return MARKER.sub(fill, text)
