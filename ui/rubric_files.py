"""The coach tab's file operations: safe paths, live validation, grade preview, save with backup.

No gradio here, so the rules (what may be opened, what may be saved) are testable on their own.

Validation runs ``validate_dir`` over a throw-away copy of the rubrics directory with the edited
text in place of the file on disk, so the coach sees exactly the ``file:line: message`` lines
that ``interviewer rubrics validate`` would print after saving, including errors the edit
causes in *other* files (a problem card overriding a criterion the edit just renamed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interviewer.errors import InterviewerError, RubricError, UserInputError
from interviewer.rubrics.documents import YAML_SUFFIXES
from interviewer.rubrics.loader import show_path, yaml_files
from interviewer.rubrics.models import Problem

BACKUP_DIR = ".backups"
PROBLEMS_PREFIX = "problems/"
MAX_EDIT_CHARS = 400_000  # a rubric is a few KB; anything far bigger is a paste accident

_save_lock = threading.Lock()


@dataclass(frozen=True)
class RubricDirs:
    rubrics: Path
    problems: Path

    @classmethod
    def from_settings(cls, settings: Any) -> RubricDirs:
        return cls(Path(settings.rubrics_dir), Path(settings.problems_path))


def list_files(dirs: RubricDirs) -> list[str]:
    """Editable files as names relative to the rubrics dir: ``data.yaml``, ``problems/x.yaml``."""
    names = [p.name for p in yaml_files(dirs.rubrics)]
    names += [PROBLEMS_PREFIX + p.name for p in yaml_files(dirs.problems)]
    return names


def resolve_file(dirs: RubricDirs, name: object) -> Path:
    """The file a coach-supplied name points at; UserInputError for anything outside the dirs.

    Only a bare ``<file>.yaml`` in the rubrics dir or ``problems/<file>.yaml`` in the problems
    dir is accepted: no ``..``, no absolute paths, no hidden files (backups), no symlink that
    leads elsewhere.
    """
    if not isinstance(name, str) or not name.strip():
        raise UserInputError("choose a rubric or problem file first")
    name = name.strip()
    if "\x00" in name or "\\" in name or name.startswith("/"):
        raise UserInputError(f"not a file in the rubrics folder: {name!r}")
    if name.startswith(PROBLEMS_PREFIX):
        base, leaf = dirs.problems, name[len(PROBLEMS_PREFIX) :]
    else:
        base, leaf = dirs.rubrics, name
    if not leaf or "/" in leaf or leaf.startswith(".") or Path(leaf).suffix not in YAML_SUFFIXES:
        raise UserInputError(f"not a rubric or problem file: {name!r}")
    root = base.resolve()
    path = (base / leaf).resolve()
    if path.parent != root:
        raise UserInputError(f"not a file in the rubrics folder: {name!r}")
    if not path.is_file():
        raise UserInputError(f"no such file in the rubrics folder: {name!r}")
    return path


def is_problem(name: str) -> bool:
    return name.startswith(PROBLEMS_PREFIX)


def display_name(dirs: RubricDirs, name: str) -> str:
    """The name ``interviewer rubrics validate`` uses for this file in its messages."""
    if is_problem(name):
        return show_path(dirs.problems / name[len(PROBLEMS_PREFIX) :])
    return show_path(dirs.rubrics / name)


def read_file(dirs: RubricDirs, name: str) -> tuple[str, str]:
    """(text, content hash) of an editable file."""
    path = resolve_file(dirs, name)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserInputError(f"{name}: not UTF-8 text; fix it in an editor first") from None
    return text, content_hash(raw)


def content_hash(raw: bytes | str) -> str:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return hashlib.sha256(data).hexdigest()


def normalize(text: str) -> str:
    """Editor text as a file: LF line ends and one final newline (the editor strips it)."""
    text = text.replace("\r\n", "\n")
    return text if not text or text.endswith("\n") else text + "\n"


def _check_size(text: str) -> None:
    if len(text) > MAX_EDIT_CHARS:
        raise UserInputError(
            f"the edited file is {len(text):,} characters; the limit is {MAX_EDIT_CHARS:,}"
        )


def _validate_with(dirs: RubricDirs, edits: dict[str, str]) -> list[str]:
    """validate_dir over a copy of the dirs with ``edits`` ({name: text}) applied."""
    from interviewer.rubrics.loader import validate_dir

    with tempfile.TemporaryDirectory(prefix="interviewer-coach-") as tmp:
        shadow = Path(tmp) / "rubrics"
        (shadow / "problems").mkdir(parents=True)
        for p in yaml_files(dirs.rubrics):
            shutil.copyfile(p, shadow / p.name)
        for p in yaml_files(dirs.problems):
            shutil.copyfile(p, shadow / "problems" / p.name)
        for name, text in edits.items():
            (shadow / name).write_text(text, encoding="utf-8")
        errors = validate_dir(shadow)
        # Report the real paths, longest prefix first (the problems dir sits inside).
        shadow_problems, shadow_rubrics = str(shadow / "problems"), str(shadow)
        real_problems, real_rubrics = show_path(dirs.problems), show_path(dirs.rubrics)
        out = []
        for msg in errors:
            if msg.startswith(shadow_problems):
                msg = real_problems + msg[len(shadow_problems) :]
            elif msg.startswith(shadow_rubrics):
                msg = real_rubrics + msg[len(shadow_rubrics) :]
            out.append(msg)
        return out


@dataclass(frozen=True)
class Validation:
    """Errors in the edited file, and errors the edit would newly cause in other files."""

    file_errors: list[str]
    other_errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.other_errors

    def lines(self) -> list[str]:
        return self.file_errors + self.other_errors


def validate_edit(dirs: RubricDirs, name: str, text: str) -> Validation:
    resolve_file(dirs, name)
    _check_size(text)
    display = display_name(dirs, name)
    after = _validate_with(dirs, {name: text})
    mine = [m for m in after if m.startswith(display + ":")]
    others = [m for m in after if not m.startswith(display + ":")]
    if others:
        # Errors that were already there before the edit are not this edit's fault.
        before = set(_validate_with(dirs, {}))
        others = [m for m in others if m not in before]
    return Validation(mine, others)


def preview_grade(
    dirs: RubricDirs, name: str, text: str, answer: str, stage: str | None, problem_id: str | None
) -> dict[str, Any]:
    """Grade ``answer`` against the edited (unsaved) rubric or problem card; the grade's dict.

    Uses the offline grader: deterministic and free, so a coach can iterate on wording.
    """
    from interviewer.grading import grade
    from interviewer.rubrics.loader import (
        effective_rubric,
        get_problem,
        load_rubrics,
        parse_problem_text,
        parse_rubric_text,
    )
    from interviewer.stages import STAGE_IDS, get_stage

    resolve_file(dirs, name)
    _check_size(text)
    if not answer or not answer.strip():
        raise UserInputError("paste an answer to grade first")
    label = display_name(dirs, name)
    problem: Problem | None
    if is_problem(name):
        problem = parse_problem_text(text, label)
        stage_id = get_stage(stage or STAGE_IDS[0]).id
        rubric = load_rubrics(dirs.rubrics)[stage_id]
    else:
        rubric = parse_rubric_text(text, label)
        stage_id = rubric.stage
        problem = get_problem(problem_id, dirs.rubrics) if problem_id else None
    result = grade(stage_id, answer, problem, rubric=effective_rubric(rubric, problem))
    out: dict[str, Any] = result.to_dict()
    out["rationale"] = {c.id: c.rationale for c in result.criteria}
    out["flags"] = list(result.flags)
    return out


def backup_name(name: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    stem = name.replace("/", "__")
    base, dot, suffix = stem.rpartition(".")
    return f"{base}.{stamp}.{suffix}" if dot else f"{stem}.{stamp}"


def save_file(dirs: RubricDirs, name: str, text: str, loaded_hash: str | None) -> Path | None:
    """Validate, back up the current version, then atomically replace the file.

    Returns the backup path (None when the content did not change). Raises RubricError with
    every ``file:line: message`` when the edit is invalid, UserInputError when the file changed
    on disk since the coach opened it (so two coaches cannot silently overwrite each other).
    """
    path = resolve_file(dirs, name)
    _check_size(text)
    text = normalize(text)
    with _save_lock:
        result = validate_edit(dirs, name, text)
        if not result.ok:
            raise RubricError(result.lines())
        current = path.read_bytes()
        if loaded_hash and content_hash(current) != loaded_hash:
            raise UserInputError(
                f"{name} changed on disk since you opened it; reload it, re-apply your edit, "
                "then save"
            )
        if current == text.encode("utf-8"):
            return None
        backups = dirs.rubrics / BACKUP_DIR
        backups.mkdir(exist_ok=True)
        backup = backups / backup_name(name)
        backup.write_bytes(current)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InterviewerError(f"could not save {name}: {exc.strerror or exc}") from None
        return backup
