"""Spoken answers on disk: ``<data_dir>/audio/<session id>/<name>``, referenced from the turn.

The reference kept in a candidate turn's meta (key ``"audio"``) is a path relative to the data
dir, so a moved data dir keeps working. :func:`delete_session_audio` is what deleting a session
calls (store or UI); it touches nothing outside that session's folder.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path

AUDIO_DIR = "audio"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SAFE_EXT = re.compile(r"^\.[a-z0-9]{1,5}$")


def session_audio_dir(data_dir: Path | str, session_id: str) -> Path:
    if not _SAFE_ID.match(session_id or ""):
        raise ValueError(f"not a session id: {session_id!r}")
    return Path(data_dir) / AUDIO_DIR / session_id


def save_answer_audio(data_dir: Path | str, session_id: str, source: Path | str) -> str:
    """Copy a recording into the session's folder; returns the data-dir-relative reference."""
    src = Path(source)
    ext = src.suffix.lower() if _SAFE_EXT.match(src.suffix.lower()) else ".audio"
    folder = session_audio_dir(data_dir, session_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:8]}{ext}"
    shutil.copyfile(src, folder / name)
    return f"{AUDIO_DIR}/{session_id}/{name}"


def resolve_audio(data_dir: Path | str, ref: str) -> Path | None:
    """The file a turn's reference points at (None if it is gone or points outside)."""
    root = (Path(data_dir) / AUDIO_DIR).resolve()
    path = (Path(data_dir) / ref).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def delete_session_audio(data_dir: Path | str, session_id: str) -> int:
    """Remove every recording of a session; returns how many files went."""
    try:
        folder = session_audio_dir(data_dir, session_id)
    except ValueError:
        return 0
    if not folder.is_dir() or folder.is_symlink():
        return 0
    n = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    return n
