"""Grades as plain dataclasses; ``StageGrade.to_dict`` is the DESIGN.md grade JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_SCORE = 4


@dataclass
class CriterionGrade:
    id: str
    score: int  # 0..4
    evidence: str  # a verbatim quote from the answer; "" when the score is 0
    rationale: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": self.score,
            "evidence": self.evidence,
            "rationale": self.rationale,
        }


@dataclass
class StageGrade:
    stage: str
    score: float  # 0..4, one decimal
    criteria: list[CriterionGrade]
    missing: list[str]  # criteria scoring <= 1, heaviest first
    engine: str  # "offline" | "llm+offline" | "offline (fallback: ...)"
    flags: list[str] = field(default_factory=list)
    # How the score follows from the criterion scores, in one line ("3 of 6 criteria solid,
    # 2 partial; weighted mean 2.3 -> 2.4").
    explain: str = ""

    def criterion(self, criterion_id: str) -> CriterionGrade:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "score": self.score,
            "max_score": MAX_SCORE,
            "criteria": [c.to_dict() for c in self.criteria],
            "missing": list(self.missing),
            "engine": self.engine,
            "flags": list(self.flags),
            "explain": self.explain,
        }
