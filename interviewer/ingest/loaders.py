"""Find guide files and read them as text.

Every problem with one file becomes a :class:`FileProblem` (a one-line reason naming the file)
instead of an exception, so one bad file never stops the others from being ingested. Hostile
files cost bounded time and memory: a file is measured before it is read, a PDF's streams are
decompressed only up to a limit, text is capped per file, and symlink loops are named as such.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
class Limits:
    """Per-file limits (settings ``ingest_max_*``); the defaults are the settings' defaults."""

    max_file_bytes: int = 50 * 2**20
    max_text_chars: int = 10_000_000
    max_pdf_stream_bytes: int = 64 * 2**20

    @classmethod
    def from_settings(cls, settings: Any = None) -> Limits:
        if settings is None:
            from interviewer.settings import get_settings

            settings = get_settings()
        return cls(
            max_file_bytes=int(settings.ingest_max_file_mb * 2**20),
            max_text_chars=int(settings.ingest_max_text_chars),
            max_pdf_stream_bytes=int(settings.ingest_max_pdf_stream_mb * 2**20),
        )


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def describe_error(exc: BaseException) -> str:
    """One line for an unexpected exception while reading one file (never a traceback)."""
    if isinstance(exc, ValueError) and type(exc) is ValueError:
        return str(exc).splitlines()[0][:200] if str(exc) else "invalid file"
    if isinstance(exc, MemoryError):
        return "out of memory while reading it"
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return "symlink loop"
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"cannot read ({type(exc).__name__}{': ' + text if text else ''})"


def _resolve(path: Path) -> Path | str:
    """The real path, or a one-line reason (symlink loop, dangling link)."""
    try:
        os.stat(path)
        return path.resolve(strict=True)
    except RuntimeError:  # Path.resolve on a loop (Python < 3.13)
        return "symlink loop"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if path.is_symlink():
            return "broken symlink (its target does not exist)"
        return f"cannot read: {exc.strerror or exc}"


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
        key = _resolve(path)
        if isinstance(key, str):
            problems.append(FileProblem(label, key))
        elif key not in seen:
            seen.add(key)
            files.append(FoundFile(path, label))

    for given in paths:
        label = source_label(given)
        path = Path(given)
        if not path.exists():
            reason = _resolve(path) if path.is_symlink() else "no such file or directory"
            problems.append(FileProblem(label, str(reason)))
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


def read_file(found: FoundFile, limits: Limits | None = None) -> LoadedFile | FileProblem:
    limits = limits or Limits()
    try:
        size = found.path.stat().st_size
        if size > limits.max_file_bytes:
            return FileProblem(
                found.source,
                f"file too large ({_mb(size)}; the limit is {_mb(limits.max_file_bytes)}, "
                "setting INTERVIEWER_INGEST_MAX_FILE_MB)",
            )
        with found.path.open("rb") as fh:  # never more than the limit, even if it grows
            raw = fh.read(limits.max_file_bytes + 1)
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        return FileProblem(found.source, f"cannot read: {reason}")
    if len(raw) > limits.max_file_bytes:
        return FileProblem(found.source, "file grew past the size limit while being read")
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


def text_too_large(n_chars: int, limits: Limits) -> str:
    return (
        f"too much text ({n_chars:,} characters or more; the limit is "
        f"{limits.max_text_chars:,}, setting INTERVIEWER_INGEST_MAX_TEXT_CHARS)"
    )


def extract_pdf_text(raw: bytes, limits: Limits | None = None) -> str:
    """Text of every page, pages separated by blank lines; ValueError with a reason if none.

    Every stream is decompressed only up to ``max_pdf_stream_bytes`` (a 1 MB file can hold
    1 GB of zeros), and extraction stops once the text passes ``max_text_chars``.
    """
    import io
    import logging

    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    limits = limits or Limits()
    cap = limits.max_pdf_stream_bytes
    stream_limits = {
        name: cap
        for name in (
            "maximum_declared_stream_length",
            "array_based_stream_maximum_output_length",
            "jbig2_maximum_output_length",
            "lzw_maximum_output_length",
            "run_length_maximum_output_length",
            "zlib_maximum_output_length",
            "brotli_maximum_output_length",
            "flate_maximum_buffer_size",
            "image_maximum_buffer_size",
        )
    }
    stream_limits["stream_decoding_work_maximum_length"] = 4 * cap
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-xref chatter is not ours
    pages: list[str] = []
    total = 0
    try:
        with apply_configuration(None, **_known_fields(stream_limits)):
            reader = PdfReader(io.BytesIO(raw))
            for page in reader.pages:
                piece = page.extract_text() or ""
                total += len(piece)
                if total > limits.max_text_chars:
                    raise ValueError(text_too_large(total, limits))
                pages.append(piece)
    except LimitReachedError:
        raise ValueError(
            f"PDF stream decompresses past {_mb(cap)} (a decompression bomb?; setting "
            "INTERVIEWER_INGEST_MAX_PDF_STREAM_MB)"
        ) from None
    except ValueError as exc:
        if str(exc).startswith("too much text"):
            raise
        raise ValueError(f"cannot read PDF ({describe_error(exc)})") from None
    except Exception as exc:  # pypdf raises many kinds on hostile files
        raise ValueError(f"cannot read PDF ({describe_error(exc)})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise ValueError("PDF has no extractable text (scanned images?)")
    return text


def _known_fields(values: dict[str, int]) -> dict[str, int]:
    """Only the limits this pypdf version knows (its Configuration grows between releases)."""
    import dataclasses

    from pypdf import Configuration

    known = {f.name for f in dataclasses.fields(Configuration)}
    return {k: v for k, v in values.items() if k in known}
