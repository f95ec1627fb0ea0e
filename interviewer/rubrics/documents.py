"""Parse one rubric or problem document (a file or the coach tab's editor) into its model.

Adds what pydantic alone cannot say with a line number: duplicate YAML keys, duplicate criterion or
fact ids (reported at the duplicate), and a file name that disagrees with the stage or problem id.
"""

from __future__ import annotations

import re
from pathlib import Path

from interviewer.errors import RubricError
from interviewer.rubrics.models import Problem, Rubric
from interviewer.rubrics.yamlsource import Source, compose, decode, duplicate_keys, validate
from interviewer.stages import STAGE_IDS

YAML_SUFFIXES = (".yaml", ".yml")


def parse_rubric_text(text: str | bytes, filename: str = "<rubric>") -> Rubric:
    """Parse one rubric (e.g. from the coach tab); raise RubricError with ``file:line:`` lines."""
    model, _src, errors = parse_rubric_source(text, filename)
    if errors or model is None:
        raise RubricError(errors or [f"{filename}:1: invalid rubric"])
    return model


def parse_problem_text(text: str | bytes, filename: str = "<problem>") -> Problem:
    """Parse one problem card; raise RubricError with ``file:line:`` messages."""
    model, _src, errors = parse_problem_source(text, filename)
    if errors or model is None:
        raise RubricError(errors or [f"{filename}:1: invalid problem"])
    return model


def _file_stem(name: str) -> str | None:
    """The stem a file name implies, or None when the name is not a YAML file (editor buffers)."""
    path = Path(name)
    return path.stem if path.suffix in YAML_SUFFIXES else None


def _compose(text: str | bytes, name: str) -> tuple[Source | None, list[str]]:
    try:
        src = compose(decode(text, name) if isinstance(text, bytes) else text, name)
    except RubricError as exc:
        return None, exc.messages
    return src, duplicate_keys(src)


def _duplicate_ids(src: Source, list_key: str, what: str) -> list[str]:
    """Duplicate ids, reported at the duplicate (pydantic's model validator has no line)."""
    items = src.data.get(list_key)
    if not isinstance(items, list):
        return []
    out: list[str] = []
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        line = src.line((list_key, i, "id"))
        if item["id"] in first:
            out.append(
                f"{src.name}:{line}: duplicate {what} id {item['id']!r} "
                f"(first at line {first[item['id']]})"
            )
        else:
            first[item["id"]] = line
    return out


def _by_line(messages: list[str]) -> list[str]:
    def key(msg: str) -> int:
        m = re.match(r"^.*?:(\d+): ", msg)
        return int(m.group(1)) if m else 0

    return sorted(messages, key=key)


def parse_rubric_source(
    text: str | bytes, name: str
) -> tuple[Rubric | None, Source | None, list[str]]:
    src, errors = _compose(text, name)
    if src is None:
        return None, None, errors
    errors += _duplicate_ids(src, "criteria", "criterion")
    stage, stem = src.data.get("stage"), _file_stem(name)
    if stem is not None and isinstance(stage, str) and stage in STAGE_IDS and stage != stem:
        errors.append(
            src.error(
                ("stage",),
                f"stage {stage!r} does not match the file name "
                f"{Path(name).name!r}; it belongs in {stage}.yaml",
            )
        )
    model, invalid = validate(Rubric, src, skip=("duplicate criterion id",))
    errors = _by_line(errors + invalid)
    return (None if errors else model), src, errors


def parse_problem_source(
    text: str | bytes, name: str
) -> tuple[Problem | None, Source | None, list[str]]:
    src, errors = _compose(text, name)
    if src is None:
        return None, None, errors
    errors += _duplicate_ids(src, "facts", "fact")
    pid, stem = src.data.get("id"), _file_stem(name)
    if stem is not None and isinstance(pid, str) and pid != stem:
        errors.append(
            src.error(
                ("id",),
                f"id {pid!r} does not match the file name {Path(name).name!r} (expected {stem!r})",
            )
        )
    model, invalid = validate(Problem, src, skip=("duplicate fact id",))
    errors = _by_line(errors + invalid)
    return (None if errors else model), src, errors
