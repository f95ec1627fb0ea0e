"""The misconception catalogue: common wrong claims, one YAML file per stage, coach-editable.

Each entry says how to recognise the claim (``detect``: groups of terms that must all appear in
one sentence or note line, or the duty a candidate waves away, heard through one dismissal
grammar shared by every entry; terms that mark the correct version; plus example wordings that
are matched by meaning), what the interviewer asks to take it up without giving the answer
(``challenge``), the one-line correction the report gives, and the guide passage to read.
Files live in ``rubrics/misconceptions/`` and are validated like rubrics (``file:line:``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any, cast

from pydantic import Field, StringConstraints, field_validator, model_validator

from interviewer.errors import RubricError
from interviewer.rubrics.models import FAMILIES, Family, SnakeId, StageId, Text, _Strict

CiteRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[\w.\-]+\.md#.+$", max_length=200),
]


class Detector(_Strict):
    all_of: list[list[Text]] = Field(
        default_factory=list,
        description="groups of terms; every group must have a term in the same sentence "
        "(terms match like rubric concepts: case, plurals and inflections are tolerated)",
    )
    dismisses: list[Text] = Field(
        default_factory=list,
        description="for a claim that waves a duty away: terms naming the duty (feedback "
        "loops, calibration, a baseline); the sentence must name one and dismiss it in the "
        'shared way every such entry uses ("isn\'t really a worry", "no need for", '
        '"there\'s no X", "overkill"), so no entry lists its own dismissal phrases',
    )
    none_of: list[Text] = Field(
        default_factory=list,
        description="terms that mark the correct version: a sentence with one is not the claim",
    )

    @model_validator(mode="after")
    def _something_to_find(self) -> Detector:
        if not self.all_of and not self.dismisses:
            raise ValueError("a detector needs all_of groups, dismisses terms or both")
        return self

    @field_validator("all_of")
    @classmethod
    def _groups_not_empty(cls, v: list[list[str]]) -> list[list[str]]:
        for i, group in enumerate(v):
            if not group:
                raise ValueError(f"group {i} is empty")
        return v


class Misconception(_Strict):
    id: SnakeId
    families: list[Family] = Field(
        default_factory=lambda: [cast(Family, f) for f in FAMILIES],
        description="problem families where this is wrong (default: all)",
    )
    claim: Text = Field(description="the wrong claim, stated plainly (for coaches and evals)")
    says: list[Text] = Field(
        min_length=1, description="ways candidates put it, matched by meaning (our own words)"
    )
    detect: Detector
    challenge: Text = Field(
        description="what the interviewer asks to take the claim up, without giving the answer; "
        "the candidate's own words are quoted before it"
    )
    family_challenges: dict[Family, Text] = Field(
        default_factory=dict,
        description="the challenge in one family's world (preferred there); the plain "
        "challenge is used elsewhere and must not name any family's things",
    )
    correction: Text = Field(description="one line for the report: what is true instead")
    cite: CiteRef = Field(description="corpus passage to read, as file.md#Heading")

    @field_validator("challenge")
    @classmethod
    def _is_question(cls, v: str) -> str:
        if "?" not in v:
            raise ValueError("a challenge must ask a question")
        return v

    @field_validator("family_challenges")
    @classmethod
    def _are_questions(cls, v: dict[str, str]) -> dict[str, str]:
        for family, text in v.items():
            if "?" not in text:
                raise ValueError(f"the {family} challenge must ask a question")
        return v

    def challenge_for(self, family: str) -> str:
        return self.family_challenges.get(family, self.challenge)  # type: ignore[call-overload]


class MisconceptionFile(_Strict):
    stage: StageId
    version: int = Field(default=1, ge=1)
    misconceptions: list[Misconception] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> MisconceptionFile:
        ids = [m.id for m in self.misconceptions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate misconception id(s) {dupes}")
        return self


# ---------------------------------------------------------------------------- loading


def parse_misconception_source(
    text: str | bytes, name: str
) -> tuple[MisconceptionFile | None, list[str]]:
    from interviewer.rubrics.documents import _by_line, _compose, _duplicate_ids
    from interviewer.rubrics.yamlsource import validate

    src, errors = _compose(text, name)
    if src is None:
        return None, errors
    errors += _duplicate_ids(src, "misconceptions", "misconception")
    stage, stem = src.data.get("stage"), Path(name).stem
    if Path(name).suffix in (".yaml", ".yml") and isinstance(stage, str) and stage != stem:
        errors.append(
            src.error(("stage",), f"stage {stage!r} does not match the file name; use {stage}.yaml")
        )
    model, invalid = validate(MisconceptionFile, src, skip=("duplicate misconception id",))
    errors = _by_line(errors + invalid)
    return (None if errors else model), errors


def scan(d: Path, corpus_dir: Path | None = None) -> tuple[dict[str, Misconception], list[str]]:
    """Every entry by id, and every problem as ``file:line: message``; ``corpus_dir`` (when
    given) checks that each ``cite`` names an existing corpus file and heading."""
    from interviewer.rubrics.loader import show_path, yaml_files
    from interviewer.rubrics.yamlsource import read_text

    if not d.is_dir():
        return {}, []  # the catalogue is optional: no directory, no challenges
    out: dict[str, Misconception] = {}
    errors: list[str] = []
    headings = _corpus_headings(corpus_dir) if corpus_dir is not None else None
    for path in yaml_files(d):
        name = show_path(path)
        try:
            model, errs = parse_misconception_source(read_text(path, name), name)
        except RubricError as exc:
            model, errs = None, exc.messages
        errors += errs
        if model is None:
            continue
        for m in model.misconceptions:
            if m.id in out:
                errors.append(f"{name}:1: misconception id {m.id!r} is defined twice")
                continue
            if headings is not None and m.cite not in headings:
                errors.append(f"{name}:1: {m.id}: cite {m.cite!r} is not a corpus heading")
            out[m.id] = m
            _stage_of[m.id] = model.stage
    return out, errors


def _corpus_headings(corpus_dir: Path) -> set[str]:
    import re

    out: set[str] = set()
    for path in sorted(corpus_dir.glob("*.md")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)
            if m:
                out.add(f"{path.name}#{m.group(1)}")
    return out


_lock = threading.Lock()
_cache: dict[Path, tuple[Any, dict[str, Misconception]]] = {}
_stage_of: dict[str, str] = {}


def misconceptions_dir(rubrics_dir: Path | str | None = None) -> Path:
    from interviewer.settings import get_settings

    base = Path(rubrics_dir) if rubrics_dir is not None else get_settings().rubrics_dir
    if base.name == "problems":
        base = base.parent
    return base / "misconceptions"


def load_misconceptions(rubrics_dir: Path | str | None = None) -> dict[str, Misconception]:
    """The catalogue (cached until a file changes); raises RubricError listing every problem."""
    from interviewer.rubrics.loader import _fingerprint

    d = misconceptions_dir(rubrics_dir)
    fp = _fingerprint(d)
    with _lock:
        hit = _cache.get(d)
    if hit is not None and hit[0] == fp:
        return hit[1]
    found, errors = scan(d)
    if errors:
        raise RubricError(errors)
    with _lock:
        _cache[d] = (fp, found)
    return found


def stage_of(misconception_id: str) -> str:
    """The stage whose file defines the entry ("" if unknown)."""
    return _stage_of.get(misconception_id, "")
