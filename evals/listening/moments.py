"""Labelled interview moments: a problem, the conversation so far, the candidate's message, and
what a good interviewer does next. Sets are written blind and committed before anything runs on
them (evals/listening/README.md); ``blind1`` is moments-a + moments-b, ``blind9`` the newest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HERE = Path(__file__).resolve().parent
SETS: dict[str, tuple[str, ...]] = {
    "blind1": ("moments-a.jsonl", "moments-b.jsonl"),
    "blind2": ("blind2-a.jsonl", "blind2-b.jsonl"),
    "blind3": ("blind3-a.jsonl", "blind3-b.jsonl"),
    "blind4": ("blind4-a.jsonl", "blind4-b.jsonl"),
    "blind5": ("blind5-a.jsonl", "blind5-b.jsonl"),
    "blind6": ("blind6-a.jsonl", "blind6-b.jsonl"),
    "blind7": ("blind7-a.jsonl", "blind7-b.jsonl"),
    "blind8": ("blind8-a.jsonl", "blind8-b.jsonl"),
    "blind9": ("blind9-a.jsonl", "blind9-b.jsonl"),
}
NEWEST = "blind9"

Category = Literal[
    "covered",
    "gap",
    "clarify",
    "clarify_unknown",
    "wrong_claim",
    "unusual_correct",
    "hedge",
    "tangent",
    "nervous",
]


class Earlier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: str
    text: str


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reaction: str = "any"
    covered: list[str] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    claim: str = ""
    challenge: bool | None = None
    answer: bool | None = None


class Moment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    problem: str
    stage: str
    category: Category
    history: list[Earlier] = Field(default_factory=list)
    message: str
    expect: Expect
    note: str = ""


def load_set(name: str = NEWEST) -> list[Moment]:
    """The moments of a named set (or of one .jsonl file path)."""
    files = [HERE / f for f in SETS[name]] if name in SETS else [Path(name)]
    out: list[Moment] = []
    for path in files:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(Moment.model_validate(json.loads(line)))
                except ValueError as exc:
                    raise ValueError(f"{path.name}:{i}: {str(exc).splitlines()[0]}") from None
    return out
