"""Pydantic models for coach-edited YAML: one rubric per stage, and problem cards.

``extra="forbid"`` everywhere so a typo in a key is an error, not a silently ignored field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from interviewer.stages import STAGE_IDS

StageId = Literal[
    "requirements",
    "framing",
    "data",
    "features",
    "modeling",
    "evaluation",
    "deployment",
    "monitoring",
]
assert set(StageId.__args__) == set(STAGE_IDS)  # type: ignore[attr-defined]

SnakeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
KebabId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Problem families: probes, misconceptions and citations are chosen within the problem's family,
# so a fraud interview never hears about "items to score" and a chatbot report is not sent to
# two-tower material.
Family = Literal["recommendation", "classification", "search", "rag"]
FAMILIES: tuple[str, ...] = ("recommendation", "classification", "search", "rag")
# A problem card's ``kind`` when it has no explicit ``family``.
KIND_FAMILY = {
    "recommendation": "recommendation",
    "ranking": "recommendation",
    "ads": "recommendation",
    "classification": "classification",
    "moderation": "classification",
    "risk": "classification",
    "search": "search",
    "retrieval": "search",
    "rag": "rag",
    "generative": "rag",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


FactTopic = Literal[
    "users",
    "scale",
    "latency",
    "freshness",
    "data",
    "labels",
    "constraints",
    "business",
    "surfaces",
    "infrastructure",
    "privacy",
    "other",
]


class Exemplars(_Strict):
    strong: list[Text] = Field(min_length=1, description="answers that earn 3-4 on this criterion")
    weak: list[Text] = Field(min_length=1, description="answers that earn 0-1 on this criterion")


class Criterion(_Strict):
    id: SnakeId
    title: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10)]
    weight: float = Field(gt=0, le=10, description="relative weight within the stage")
    levels: dict[int, Text] = Field(
        description="level descriptors for scores 0..4",
        # YAML int keys are strings to a JSON-schema editor; this flags a missing or extra level.
        json_schema_extra={
            "propertyNames": {"pattern": "^[0-4]$"},
            "required": ["0", "1", "2", "3", "4"],
        },
    )
    concepts: list[Text] = Field(
        min_length=1, description="phrases whose presence counts as evidence (case-insensitive)"
    )
    exemplars: Exemplars
    advice: Text | None = Field(
        default=None,
        description="for the report: what a strong answer adds, one sentence to the candidate "
        "('you'), in our own words (not the description)",
    )
    probes: list[Text] = Field(
        min_length=1,
        description="follow-up questions that ask about the criterion without revealing it; "
        "these are used in every problem family, so they must not name one family's things "
        "(items, feeds, transactions, documents, answers)",
    )
    fact_topics: list[FactTopic] = Field(
        default_factory=list,
        description="problem-fact topics whose facts this criterion is about: once the "
        "candidate has asked for such a fact, the criterion counts as covered and is not probed",
    )
    family_probes: dict[Family, list[Text]] = Field(
        default_factory=dict,
        description="probes for one problem family only (recommendation, classification, "
        "search, rag); preferred over the generic probes in that family's interviews",
    )

    @field_validator("levels")
    @classmethod
    def _levels_0_to_4(cls, v: dict[int, str]) -> dict[int, str]:
        if sorted(v) != [0, 1, 2, 3, 4]:
            raise ValueError(f"must have exactly the keys 0-4, got {sorted(v)}")
        return v


class Rubric(_Strict):
    stage: StageId
    title: Text
    version: int = Field(default=1, ge=1)
    questions_are_answers: bool = Field(
        default=False,
        description="In this stage asking the right questions is the answer (requirements): a "
        "question that names a criterion's concepts earns credit instead of counting as 'a "
        "question, not an answer'.",
    )
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Rubric:
        seen: set[str] = set()
        for c in self.criteria:
            if c.id in seen:
                raise ValueError(f"duplicate criterion id {c.id!r}")
            seen.add(c.id)
        return self

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        from interviewer.errors import UnknownIdError

        raise UnknownIdError("criterion", criterion_id, [c.id for c in self.criteria])


class Fact(_Strict):
    """One hidden fact, revealed only when the candidate asks about it."""

    id: SnakeId
    topic: FactTopic
    keywords: list[Text] = Field(min_length=1, description="words a question about this fact uses")
    asks: list[Text] = Field(
        default_factory=list,
        description="questions a candidate might ask for this fact, in other words than the "
        "keywords (matched by meaning)",
    )
    answer: Text = Field(description="what the interviewer says, in the interviewer's voice")


class StageOverride(_Strict):
    """Per-problem adjustments to a stage rubric."""

    weights: dict[SnakeId, float] = Field(default_factory=dict)
    extra_concepts: dict[SnakeId, list[Text]] = Field(default_factory=dict)

    @field_validator("weights")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for key, w in v.items():
            if not 0 < w <= 10:  # the same range as Criterion.weight
                raise ValueError(f"weight for {key!r} must be > 0 and <= 10, got {w}")
        return v


class Problem(_Strict):
    id: KebabId
    title: Text
    kind: Text = Field(description="e.g. recommendation, ranking, classification, search, rag")
    family: Family | None = Field(
        default=None,
        description="problem family for probes, misconceptions and citations (default: from kind)",
    )
    prompt: Text = Field(description="the problem as the candidate first hears it")
    facts: list[Fact] = Field(min_length=4)
    stage_notes: dict[StageId, Text] = Field(
        default_factory=dict, description="where this problem changes what good looks like"
    )
    stage_questions: dict[StageId, Text] = Field(
        default_factory=dict, description="opening question per stage fitted to this problem"
    )
    rubric_overrides: dict[StageId, StageOverride] = Field(default_factory=dict)
    probes: dict[StageId, dict[SnakeId, list[Text]]] = Field(
        default_factory=dict,
        description="follow-up probes written for this problem: stage -> criterion id -> "
        "questions; preferred over the rubric's probes",
    )

    @property
    def problem_family(self) -> str:
        """The family this problem's probes, misconceptions and citations come from."""
        if self.family is not None:
            return self.family
        return KIND_FAMILY.get(self.kind.strip().lower(), "recommendation")

    @model_validator(mode="after")
    def _unique_fact_ids(self) -> Problem:
        ids = [f.id for f in self.facts]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate fact id(s) {dupes}")
        return self
