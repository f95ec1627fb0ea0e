"""Find guide files and read them as text.

Every problem with one file becomes a :class:`FileProblem` (a one-line reason naming the file)
instead of an exception, so one bad file never stops the others from being ingested.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}

# Share of control characters (other than tab/newline/CR/form feed) above which a file is
# treated as binary even without NUL bytes.
_MAX_CONTROL_RATIO = 0.05
_TEXT_CONTROLS = {9, 10, 12, 13}


@dataclass(frozen=True)
class FileProblem:
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class FoundFile:
    path: Path  # where to read it
    source: str  # the label stored in the index: the path as the user gave it


@dataclass(frozen=True)
class Discovery:
    files: list[FoundFile]
    problems: list[FileProblem]
    # Folder labels given on the command line: indexed sources under them that no longer exist
    # are removed from the index.
    folders: list[str]


@dataclass(frozen=True)
class LoadedFile:
    source: str
    kind: str  # markdown | text | html | pdf
    raw: bytes
    sha256: str


def source_label(path: Path | str) -> str:
    """A stable label for a path: normalised with POSIX separators; relative if it was given
    so, and also when an absolute path lies under the working directory (so ``corpus/`` and
    ``$PWD/corpus`` name the same files the same way)."""
    norm = os.path.normpath(str(path))
    if os.path.isabs(norm):
        try:
            rel = os.path.relpath(norm, os.getcwd())
        except ValueError:  # another drive on Windows
            rel = ".."
        if not rel.startswith(".."):
            norm = rel
    return Path(norm).as_posix()


def _supported_list() -> str:
    return ", ".join(SUPPORTED_SUFFIXES)


def discover(paths: list[str | Path]) -> Discovery:
    """Expand files and folders (recursively, skipping hidden files and folders)."""
    files: list[FoundFile] = []
    problems: list[FileProblem] = []
    folders: list[str] = []
    seen: set[Path] = set()

    def add(path: Path, label: str) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(FoundFile(path, label))

    for given in paths:
        label = source_label(given)
        path = Path(given)
        if not path.exists():
            problems.append(FileProblem(label, "no such file or directory"))
        elif path.is_dir():
            folders.append(label)
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                        continue
                    full = Path(root) / name
                    add(full, source_label(full))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            problems.append(
                FileProblem(
                    label,
                    f"unsupported file type {path.suffix or '(none)'!r} "
                    f"(expected one of {_supported_list()})",
                )
            )
        else:
            add(path, label)
    return Discovery(files, problems, folders)


def read_file(found: FoundFile) -> LoadedFile | FileProblem:
    try:
        raw = found.path.read_bytes()
    except OSError as exc:
        return FileProblem(found.source, f"cannot read: {exc.strerror or exc}")
    kind = SUPPORTED_SUFFIXES[found.path.suffix.lower()]
    if not raw.strip():
        return FileProblem(found.source, "file is empty")
    return LoadedFile(found.source, kind, raw, hashlib.sha256(raw).hexdigest())


def decode_text(raw: bytes) -> str:
    """Decode UTF-8 (with or without BOM); raise ValueError with a reason otherwise.

    We refuse to guess another encoding: a wrong guess would index mojibake silently.
    """
    if b"\x00" in raw:
        raise ValueError("looks binary (contains NUL bytes), not text")
    controls = sum(1 for b in raw if b < 32 and b not in _TEXT_CONTROLS)
    if raw and controls / len(raw) > _MAX_CONTROL_RATIO:
        raise ValueError("looks binary (many control characters), not text")
    try:
        # utf-8-sig also accepts plain UTF-8; it only drops a leading byte-order mark.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8"
        ) from None


def extract_pdf_text(raw: bytes) -> str:
    """Text of every page, pages separated by blank lines; ValueError with a reason if none."""
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-xref chatter is not ours
    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValueError(f"cannot read PDF ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise ValueError("PDF has no extractable text (scanned images?)")
    return text
