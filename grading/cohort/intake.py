"""From one class entry (a folder or a .zip a student handed in) to an implementation root that
`tocha grade` can grade, and a clear account of what was wrong with it.

Why a copy: a submission is untrusted input in every way a file tree can be. It is never graded
where it lies; only the files that make up its implementation root are copied into a staging
folder, under limits, so that

* a zip whose entries would land outside its folder (`../`, absolute paths, drive letters) is
  refused before anything is written, and a zip bomb is refused by its entry count and its
  unpacked size (declared sizes are enforced while unpacking: zipfile stops at them and checks
  the CRC);
* a symbolic link is never followed out of the submission: a link to a file inside it is
  copied as that file, one leaving it (or inside a zip) is skipped and named;
* the root is found wherever the student put it: the entry itself, a student repository's
  `exercises/` (from `tocha release`), or under a wrapper folder (`alice-main/`), by where the
  curriculum's files are;
* what cannot be graded is said by name: an empty entry, a module missing (with the closest
  file found, e.g. `ex3_training.py`), a notebook handed in instead of a module, a source file
  Python cannot read (not UTF-8 and no coding line).

The digest covers exactly what is graded (the copied files and the problems found), so a
re-run can skip a student whose submission did not change.
"""
from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import shutil
import stat
import tokenize
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grading.text import Text

MAX_ARCHIVE_ENTRIES = 20_000     # entries listed in one zip (a .venv zipped along is ~15 000)
MAX_ROOT_FILES = 500             # files copied from the root (and its packages)
MAX_ROOT_BYTES = 64 * 2**20      # bytes copied from the root
MAX_SCAN = 20_000                # names looked at in a folder when searching for the root
MAX_DEPTH = 4                    # how deep the root may sit
_SKIP_DIRS = {"__pycache__", "__MACOSX", "node_modules", "site-packages", "venv", "env"}
_CHUNK = 1 << 16

EMPTY = Text("empty submission", "entrega vazia")
UNSUPPORTED = Text("not a folder or a .zip: {name}", "não é uma pasta nem um .zip: {name}")
DUPLICATE = Text("more than one entry for this student ({names}): none was graded",
                 "mais de uma entrada para este aluno ({names}): nenhuma foi avaliada")
UNREADABLE = Text("could not be read ({why})", "não pôde ser lido ({why})")
BAD_ZIP = Text("not a readable zip ({why})", "não é um zip legível ({why})")
ZIP_ESCAPES = Text("zip refused: entry {name!r} would be written outside its folder; nothing was unpacked",
                   "zip recusado: a entrada {name!r} seria gravada fora da pasta; nada foi extraído")
TOO_MANY_ENTRIES = Text("zip refused: {count} entries (limit {limit}); nothing was unpacked",
                        "zip recusado: {count} entradas (limite {limit}); nada foi extraído")
TOO_MANY_FILES = Text("refused: more than {limit} files to grade", "recusado: mais de {limit} arquivos para avaliar")
TOO_LARGE = Text("refused: the files to grade add up to more than {limit} MiB (a zip bomb, or data that does not "
                 "belong in a submission)",
                 "recusado: os arquivos para avaliar somam mais de {limit} MiB (uma bomba zip, ou dados que não "
                 "fazem parte da entrega)")
ENCRYPTED = Text("zip refused: {name} is encrypted", "zip recusado: {name} está criptografado")
MISSING = Text("missing {module}.py", "falta {module}.py")
MISSING_CLOSEST = Text("missing {module}.py (closest file found: {found})",
                       "falta {module}.py (arquivo mais parecido: {found})")
NOTEBOOK = Text("{found} is a notebook: hand in {module}.py (a Python file), not a notebook",
                "{found} é um notebook: entregue {module}.py (um arquivo Python), não um notebook")
LINK_OUT = Text("{name} is a link to outside the submission: not followed",
                "{name} é um link para fora da entrega: não foi seguido")
LINK_IN_ZIP = Text("{name} is a symbolic link inside the zip: not followed",
                   "{name} é um link simbólico dentro do zip: não foi seguido")
NOT_UTF8 = Text("{name} is not UTF-8 text ({why}): save it as UTF-8 (graded as Python reads it)",
                "{name} não é texto UTF-8 ({why}): salve-o como UTF-8 (avaliado como o Python o lê)")
BYTE_AT = Text("byte {byte} at line {line}", "byte {byte} na linha {line}")
UNKNOWN_ENCODING = Text("unknown encoding {encoding}", "codificação desconhecida {encoding}")
IN_ROOT = Text(" in {root}", " em {root}")


@dataclass
class Entry:
    """One student's entry in the class folder (more than one path when names collide)."""
    student: str
    paths: list[Path]


@dataclass
class Prepared:
    root: Path                               # the staging folder to grade (possibly empty)
    problems: list[Text] = field(default_factory=list)
    gradable: bool = True                    # False: nothing of the student's could be graded
    digest: str = ""

    def status(self, lang: str) -> str:
        return self.status_text().get(lang)

    def status_text(self) -> Text:
        return Text("; ", "; ").join(self.problems) if self.problems else Text("ok", "ok")


class Refused(Exception):
    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


def student_of(path: Path) -> str:
    return path.name[:-4] if path.name.lower().endswith(".zip") and path.is_file() else path.name


def list_entries(folder: Path) -> list[Entry]:
    """The class: every visible entry of `folder`, by student id (the name without .zip), sorted."""
    by_student: dict[str, list[Path]] = {}
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or path.name == "__MACOSX":
            continue
        by_student.setdefault(student_of(path), []).append(path)
    return [Entry(s, paths) for s, paths in sorted(by_student.items())]


# ---------------------------------------------------------------- a listing of the entry

@dataclass
class _File:
    size: int
    source: Path | None = None               # a file on disk
    info: zipfile.ZipInfo | None = None      # or an entry of the zip


@dataclass
class _Listing:
    files: dict[PurePosixPath, _File] = field(default_factory=dict)
    links_out: set[PurePosixPath] = field(default_factory=set)
    zip_links: set[PurePosixPath] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.files or self.links_out or self.zip_links)


def _skipped(part: str) -> bool:
    return part.startswith(".") or part in _SKIP_DIRS


def _list_folder(top: Path) -> _Listing:
    listing = _Listing()
    real_top = Path(os.path.realpath(top))
    stack = [(top, PurePosixPath())]
    seen = 0
    while stack:
        folder, rel = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        if (folder / "pyvenv.cfg").exists():
            continue  # a virtual environment, never part of a submission
        for e in entries:
            seen += 1
            if seen > MAX_SCAN:
                return listing
            if _skipped(e.name):
                continue
            path, name = Path(e.path), rel / e.name
            if e.is_symlink():
                target = Path(os.path.realpath(path))
                if not target.is_relative_to(real_top):
                    listing.links_out.add(name)
                elif target.is_file():
                    listing.files[name] = _File(target.stat().st_size, source=target)
                continue  # a link to a folder inside is not followed either (it could loop)
            if e.is_dir(follow_symlinks=False):
                if len(name.parts) < MAX_DEPTH + 1:
                    stack.append((path, name))
            elif e.is_file(follow_symlinks=False):
                listing.files[name] = _File(e.stat(follow_symlinks=False).st_size, source=path)
    return listing


_DRIVE = re.compile(r"^[A-Za-z]:")


def _zip_name(raw: str) -> PurePosixPath:
    """The entry's path inside the zip, or Refused when it would land outside its folder."""
    name = raw.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or _DRIVE.match(name) or ".." in parts or "\0" in name:
        raise Refused(ZIP_ESCAPES.format(name=raw[:200]))
    return PurePosixPath(*[p for p in parts if p not in ("", ".")]) if name.strip("/.") else PurePosixPath()


def _list_zip(archive: zipfile.ZipFile) -> _Listing:
    infos = archive.infolist()
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        raise Refused(TOO_MANY_ENTRIES.format(count=len(infos), limit=MAX_ARCHIVE_ENTRIES))
    named = [(_zip_name(info.filename), info) for info in infos]  # every name checked before anything else
    listing = _Listing()
    for name, info in named:
        if not name.parts or info.is_dir() or any(_skipped(p) for p in name.parts):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            listing.zip_links.add(name)
            continue
        listing.files[name] = _File(info.file_size, info=info)
    return listing


# ---------------------------------------------------------------- where the root is

def find_root(files, modules: list[str]) -> PurePosixPath:
    """The folder holding the most curriculum modules (ties: a folder named exercises, then the
    shallowest, then by name); the top when none holds any."""
    counts: dict[PurePosixPath, int] = {}
    wanted = {f"{m}.py" for m in modules}
    for name in files:
        if name.name in wanted and len(name.parts) <= MAX_DEPTH + 1:
            counts[name.parent] = counts.get(name.parent, 0) + 1
    if not counts:
        return PurePosixPath()
    return min(counts, key=lambda d: (-counts[d], d.name != "exercises", len(d.parts), str(d)))


def _in_root(name: PurePosixPath, root: PurePosixPath, packages: set[PurePosixPath]) -> PurePosixPath | None:
    """`name` relative to the root when it is copied: the root's own files and its packages'."""
    if not name.is_relative_to(root):
        return None
    rel = name.relative_to(root)
    if len(rel.parts) == 1 or any(rel.parent == p or rel.parent.is_relative_to(p) for p in packages):
        return rel
    return None


def _packages(files, root: PurePosixPath) -> set[PurePosixPath]:
    """Sub-folders of the root that are Python packages (a submission's helper package)."""
    inits = {n.parent.relative_to(root) for n in files if n.name == "__init__.py" and n.parent.is_relative_to(root)}
    return {d for d in inits if d.parts and all(p in inits for p in d.parents if p.parts)}


def _closest(module: str, names: list[PurePosixPath], others: set[str]) -> PurePosixPath | None:
    """The file whose name is most like `module`.py (never another module's own file)."""
    by_name: dict[str, PurePosixPath] = {}
    for n in sorted(names, key=lambda n: (len(n.parts), str(n))):
        if n.name not in others:
            by_name.setdefault(n.name.lower(), n)
    found = difflib.get_close_matches(f"{module}.py", list(by_name), n=1, cutoff=0.6)
    return by_name[found[0]] if found else None


# ---------------------------------------------------------------- copying

def _copy(listing: _Listing, archive: zipfile.ZipFile | None, root: PurePosixPath,
          staging: Path) -> list[PurePosixPath]:
    packages = _packages(listing.files, root)
    chosen = [(rel, f) for name, f in sorted(listing.files.items())
              if (rel := _in_root(name, root, packages)) is not None]
    too_large = TOO_LARGE.format(limit=MAX_ROOT_BYTES // 2**20)
    if len(chosen) > MAX_ROOT_FILES:
        raise Refused(TOO_MANY_FILES.format(limit=MAX_ROOT_FILES))
    if sum(f.size for _, f in chosen) > MAX_ROOT_BYTES:
        raise Refused(too_large)
    total = 0
    inside = staging.resolve()
    for rel, f in chosen:
        target = staging.joinpath(*rel.parts)
        if not target.resolve().is_relative_to(inside):  # never reached: names were checked; kept on principle
            raise Refused(ZIP_ESCAPES.format(name=str(rel)))
        target.parent.mkdir(parents=True, exist_ok=True)
        with _open(archive, f) as src, open(target, "wb") as dst:
            while chunk := src.read(_CHUNK):
                total += len(chunk)
                if total > MAX_ROOT_BYTES:
                    raise Refused(too_large)
                dst.write(chunk)
    return [rel for rel, _ in chosen]


def _open(archive: zipfile.ZipFile | None, f: _File):
    if f.info is not None:
        if f.info.flag_bits & 0x1:
            raise Refused(ENCRYPTED.format(name=f.info.filename[:200]))
        return archive.open(f.info)
    return open(f.source, "rb")


def _unreadable(path: Path) -> Text | None:
    """Why Python cannot read this source file (None when it can)."""
    data = path.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # a bad coding line, or undecodable bytes in the first two lines
        message = str(getattr(exc, "msg", exc))[:120]
        encoding, why = "utf-8", Text(message, message)
    else:
        why = None
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return BYTE_AT.format(byte=f"0x{data[exc.start]:02x}", line=line)
    except LookupError:
        return UNKNOWN_ENCODING.format(encoding=encoding)
    return why


# ---------------------------------------------------------------- the whole intake

def prepare(entry: Entry, staging: Path, modules: list[str], curriculum: list[str]) -> Prepared:
    """Copy what `entry` hands in for `modules` into `staging` (emptied first) and say what is wrong.

    `curriculum` (every module of the kit) locates the root; `modules` are the ones graded now.
    """
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    prepared = Prepared(root=staging)
    try:
        _take_in(entry, prepared, modules, curriculum)
        refused = None
    except Refused as exc:
        refused = exc
    except OSError as exc:  # a file the grader may not read, a name the file system refuses
        refused = Refused(UNREADABLE.format(why=f"{type(exc).__name__}: {exc}"[:200]))
    if refused is not None:
        shutil.rmtree(staging)
        staging.mkdir()
        prepared.problems = [refused.text]
        prepared.gradable = False
    prepared.digest = _digest(prepared)
    return prepared


def _take_in(entry: Entry, prepared: Prepared, modules: list[str], curriculum: list[str]) -> None:
    if len(entry.paths) > 1:
        raise Refused(DUPLICATE.format(names=", ".join(p.name for p in entry.paths)))
    path = entry.paths[0]
    if path.is_dir():
        listing = _list_folder(path)
        inner = [n for n in listing.files if n.suffix.lower() == ".zip"]
        if len(inner) == 1 and not any(n.suffix in (".py", ".ipynb") for n in listing.files):
            path = listing.files[inner[0]].source  # a folder that only wraps the student's zip (LMS downloads)
        else:
            _prepare_from(listing, None, prepared, modules, curriculum)
    if path.is_file() and path.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as archive:
                _prepare_from(_list_zip(archive), archive, prepared, modules, curriculum)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
            raise Refused(BAD_ZIP.format(why=f"{type(exc).__name__}: {exc}"[:200])) from None
    elif not path.is_dir():
        raise Refused(UNSUPPORTED.format(name=path.name))


def _prepare_from(listing: _Listing, archive, prepared: Prepared, modules: list[str], curriculum: list[str]) -> None:
    if listing.empty:
        raise Refused(EMPTY)
    root = find_root(listing.files, curriculum)
    copied = set(_copy(listing, archive, root, prepared.root))
    names = list(listing.files)
    problems = prepared.problems
    where = IN_ROOT.format(root=str(root)) if root.parts else Text("", "")
    for module in modules:
        wanted = PurePosixPath(f"{module}.py")
        if wanted in copied:
            continue
        if root / wanted in listing.links_out:
            problems.append(LINK_OUT.format(name=str(root / wanted)))
        elif root / wanted in listing.zip_links:
            problems.append(LINK_IN_ZIP.format(name=str(root / wanted)))
        elif (notebook := next((n for n in names if n.name.lower() == f"{module}.ipynb"), None)) is not None:
            problems.append(NOTEBOOK.format(found=str(notebook), module=module))
        elif (close := _closest(module, names, {f"{m}.py" for m in curriculum if m != module})) is not None:
            problems.append(MISSING_CLOSEST.format(module=module, found=str(close)) + where)
        else:
            problems.append(MISSING.format(module=module) + where)
    if not copied:
        prepared.gradable = False
    for rel in sorted(copied):
        if rel.suffix == ".py":
            why = _unreadable(prepared.root.joinpath(*rel.parts))
            if why is not None:
                problems.append(NOT_UTF8.format(name=str(root / rel), why=why))


def _digest(prepared: Prepared) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in prepared.root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(prepared.root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(prepared.status_text().en.encode())
    return digest.hexdigest()
