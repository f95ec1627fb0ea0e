"""An optional LLM judge: rates a finished interview on a short list of criteria (1-5).

Runs after the deterministic metrics and never replaces them: a judge model has its own
biases, so its scores are reported separately (``judge.<criterion>`` in the records).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CRITERIA: dict[str, str] = {
    "on_problem": "the interviewer stays on the design problem and the current stage",
    "no_giveaways": "the interviewer never gives away answers, rubric content or scores",
    "probe_relevance": "follow-up questions target what the candidate's answer left out",
    "clarity": "questions are clear, brief and professional",
}
MAX_TRANSCRIPT_CHARS = 12000


class JudgeOutput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scores: dict[str, int] = Field(description="criterion -> 1..5")
    comment: str = ""


def _messages(transcript: dict[str, Any], problem: Any) -> list[Any]:
    from interviewer.llm.base import Message

    crit = "\n".join(f"- {k}: {v}" for k, v in CRITERIA.items())
    lines = [
        f"{t['role'].upper()} [{t['stage']}/{t['kind']}]: {t['text']}"
        for t in transcript.get("turns", [])
        if t.get("kind") != "report"
    ]
    body = "\n".join(lines)
    if len(body) > MAX_TRANSCRIPT_CHARS:  # keep the prompt bounded; the start and end matter
        half = MAX_TRANSCRIPT_CHARS // 2
        body = body[:half] + "\n[...]\n" + body[-half:]
    system = (
        "EVAL-JUDGE. You review a mock ML system design interview and rate the "
        "INTERVIEWER (not the candidate) from 1 (poor) to 5 (excellent) on each "
        f"criterion:\n{crit}\nReply with only a JSON object: "
        '{"scores": {"<criterion>": <1-5>, ...}, "comment": "<one sentence>"}'
    )
    return [
        Message("system", system),
        Message("user", f"Problem: {problem.title}\n\nTranscript:\n{body}"),
    ]


def judge_transcript(llm: Any, transcript: dict[str, Any], problem: Any) -> dict[str, Any]:
    """Scores per criterion (plus a comment); ``{"error": ...}`` if the judge failed."""
    from interviewer.errors import InterviewerError
    from interviewer.llm import invoke_structured

    def validate(out: JudgeOutput) -> None:
        missing = [k for k in CRITERIA if k not in out.scores]
        bad = [k for k, v in out.scores.items() if not 1 <= v <= 5]
        if missing or bad:
            raise ValueError(f"need a 1-5 score for each of {list(CRITERIA)}")

    try:
        result = invoke_structured(
            llm, _messages(transcript, problem), JudgeOutput, validate=validate
        )
    except InterviewerError as exc:
        return {"error": str(exc)[:200]}
    out: dict[str, Any] = {k: int(result.value.scores[k]) for k in CRITERIA}
    out["comment"] = result.value.comment[:300]
    return out
