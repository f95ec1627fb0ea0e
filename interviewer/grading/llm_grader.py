"""The LLM grader: prompt ``grade`` (versioned YAML), pydantic-validated JSON output, and a
validator that rejects unknown or missing criteria and quotes that are not in the answer, so
:func:`invoke_structured` asks again instead of accepting a hallucinated verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from interviewer.grading.fusion import Verdict
from interviewer.grading.guards import Prepared
from interviewer.grading.text import find_verbatim

if TYPE_CHECKING:
    from interviewer.llm.base import LLM, Message
    from interviewer.rubrics.models import Problem, Rubric

PROMPT_ID = "grade"
INJECTION_PLACEHOLDER = "[removed: text addressed to the grader]"
MAX_QUESTION_TOKENS = 120
MIN_ANSWER_TOKENS = 300


class LLMCriterionVerdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    score: int = Field(ge=0, le=4)
    evidence: str = ""
    rationale: str = ""


class LLMGradeOutput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    criteria: list[LLMCriterionVerdict]


@dataclass
class LLMGrade:
    verdicts: dict[str, Verdict]
    prompt: str  # the prompt tag used, e.g. "grade@v1"


def rubric_summary(rubric: Rubric) -> str:
    lines = []
    for c in rubric.criteria:
        lines.append(f"- {c.id} (weight {c.weight:g}): {c.title}. {c.description}")
        lines += [f"    {level}: {c.levels[level]}" for level in range(5)]
    return "\n".join(lines)


def answer_for_prompt(prep: Prepared) -> str:
    """The answer as the candidate wrote it, minus the sentences addressed to the grader."""
    if not prep.injected:
        return prep.text
    out, pos = [], 0
    for u in sorted(prep.injected, key=lambda u: u.start):
        out += [prep.text[pos : u.start], INJECTION_PLACEHOLDER]
        pos = u.end
    out.append(prep.text[pos:])
    return "".join(out)


def build_messages(
    rubric: Rubric,
    prep: Prepared,
    problem: Problem | None,
    context: str,
    prompt_version: int | None = None,
) -> tuple[list[Message], str]:
    from interviewer.prompts import render
    from interviewer.settings import get_settings
    from interviewer.stages import get_stage
    from interviewer.tokens import count_tokens, truncate_tokens

    stage = get_stage(rubric.stage)
    note = problem.stage_notes.get(rubric.stage, "") if problem is not None else ""
    fixed = dict(
        problem_title=problem.title if problem is not None else "(general)",
        stage_title=f"{stage.title} ({stage.id})",
        stage_note=f"What good looks like for this problem: {note}" if note else "",
        rubric_summary=rubric_summary(rubric),
        criterion_ids=", ".join(c.id for c in rubric.criteria),
        question=truncate_tokens(context.strip() or "(not recorded)", MAX_QUESTION_TOKENS),
    )
    # Bound the prompt: whatever the rubric leaves of the budget goes to the answer.
    skeleton = render(PROMPT_ID, prompt_version, answer="", **fixed)
    used = sum(count_tokens(m.content) for m in skeleton.messages)
    budget = max(MIN_ANSWER_TOKENS, get_settings().llm_max_prompt_tokens - used - 50)
    answer = truncate_tokens(answer_for_prompt(prep), budget)
    rendered = render(PROMPT_ID, prompt_version, answer=answer, **fixed)
    return rendered.messages, rendered.tag


def _validator(rubric: Rubric, prep: Prepared) -> Callable[[LLMGradeOutput], None]:
    ids = [c.id for c in rubric.criteria]

    def validate(out: LLMGradeOutput) -> None:
        got = [v.id for v in out.criteria]
        unknown = sorted(set(got) - set(ids))
        missing = [i for i in ids if i not in got]
        dupes = sorted({i for i in got if got.count(i) > 1})
        if unknown:
            raise ValueError(f"unknown criterion id(s) {unknown}; use exactly {ids}")
        if missing:
            raise ValueError(f"missing criterion id(s) {missing}")
        if dupes:
            raise ValueError(f"criterion id(s) {dupes} appear more than once")
        for v in out.criteria:
            if not v.evidence.strip():
                if v.score > 0:
                    raise ValueError(f"{v.id}: a score above 0 needs a verbatim quote as evidence")
                continue
            span = find_verbatim(prep.text, v.evidence)
            if span is None:
                raise ValueError(
                    f"{v.id}: evidence {v.evidence[:80]!r} is not a verbatim quote from the answer"
                )
            start = prep.text.find(span)
            if prep.overlaps_injection(start, start + len(span)):
                raise ValueError(f"{v.id}: evidence quotes text addressed to the grader")

    return validate


def llm_grade(
    llm: LLM,
    rubric: Rubric,
    prep: Prepared,
    problem: Problem | None = None,
    context: str = "",
    prompt_version: int | None = None,
) -> LLMGrade:
    """One structured call (with the layer's retries). Raises ProviderError on failure."""
    from interviewer.llm import invoke_structured

    messages, tag = build_messages(rubric, prep, problem, context, prompt_version)
    result = invoke_structured(llm, messages, LLMGradeOutput, validate=_validator(rubric, prep))
    verdicts: dict[str, Verdict] = {}
    for v in result.value.criteria:
        span = find_verbatim(prep.text, v.evidence) if v.evidence.strip() else None
        verdicts[v.id] = Verdict(v.id, v.score, span or "", v.rationale.strip())
    return LLMGrade(verdicts, tag)
