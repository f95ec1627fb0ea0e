"""What really happened in each stage, read from the stored turns (for the UI's tracker).

Pure and score-free: it counts the candidate's answers per stage, how each stage was left (the
candidate pressed Next, or the interviewer moved on by itself), and the time used against the
budget. It reads only fields every stored turn has (role, stage, kind, ``meta`` intent/subkind/
reason), so it works on a live :class:`SessionView` and on a reloaded transcript alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from interviewer.stages import STAGES

# Candidate intents that carry an answer (machine.Intent values; strings keep this module pure).
ANSWER_INTENTS = frozenset({"answer", "mixed"})
CANDIDATE_MOVE = "candidate asked to move on"

Status = Literal["pending", "now", "answered", "skipped", "moved_on", "not_reached"]
LeftBy = Literal["", "you", "interviewer", "end"]


@dataclass(frozen=True)
class StageProgress:
    id: str
    title: str
    status: Status
    answers: int  # candidate messages that answered (clarifying questions not counted)
    questions: int  # clarifying questions the candidate asked here
    followups: int  # follow-ups / challenges the interviewer asked here
    left_by: LeftBy  # who moved the interview out of this stage
    reason: str  # the interviewer's reason when it moved on ("covered", "over time", ...)
    elapsed_s: float
    budget_s: float

    @property
    def label(self) -> str:
        """Short, honest words for the tracker."""
        n = f"{self.answers} answer{'s' if self.answers != 1 else ''}"
        if self.status == "now":
            return f"▶ now · {n}" if self.answers else "▶ now"
        if self.status == "answered":
            by = " · interviewer moved on" if self.left_by == "interviewer" else ""
            return f"✓ answered ({n}){by}"
        asked = f" · asked {self.questions} question{'s' if self.questions != 1 else ''}"
        asked = asked if self.questions else ""
        if self.status == "skipped" and self.left_by == "end":
            return f"■ ended here, not answered{asked}"
        if self.status == "skipped":
            return f"⤼ skipped by you{asked}"
        if self.status == "moved_on":
            return f"→ moved on by the interviewer, not answered{asked}"
        if self.status == "not_reached":
            return "not reached"
        return ""


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _meta(turn: Any, key: str) -> str:
    meta = _get(turn, "meta")
    if isinstance(meta, Mapping) and key in meta:
        return str(meta.get(key) or "")
    return str(_get(turn, key, "") or "")  # a transcript turn carries meta keys at top level


def stage_progress(
    turns: Iterable[Any],
    current: str | None,
    finished: bool,
    stage_times: Mapping[str, Any] | None = None,
) -> list[StageProgress]:
    """One entry per stage, in interview order."""
    ids = [s.id for s in STAGES]
    answers = dict.fromkeys(ids, 0)
    questions = dict.fromkeys(ids, 0)
    followups = dict.fromkeys(ids, 0)
    left: dict[str, tuple[LeftBy, str]] = {}
    entered: list[str] = []
    previous: str | None = None
    for turn in turns:
        stage = str(_get(turn, "stage") or "")
        role = _get(turn, "role")
        if role == "candidate" and stage in answers:
            intent = _meta(turn, "intent")
            if intent in ANSWER_INTENTS or (not intent and _get(turn, "kind") == "answer"):
                answers[stage] += 1
            elif intent == "clarify":
                questions[stage] += 1
        elif role == "interviewer":
            kind = _get(turn, "kind")
            if kind == "followup" and stage in followups:
                followups[stage] += 1
            if kind in ("transition", "report") and previous and previous != stage:
                reason = _meta(turn, "reason")
                by: LeftBy = "you" if reason == CANDIDATE_MOVE else "interviewer"
                left.setdefault(previous, (by, "" if by == "you" else reason))
            if kind == "report" and stage in ids and stage not in left:
                left[stage] = ("end", "")
        if stage and stage not in entered:
            entered.append(stage)
        previous = stage or previous
    times = stage_times or {}
    out: list[StageProgress] = []
    for spec in STAGES:
        info = times.get(spec.id) or {}
        used = float(_get(info, "elapsed_s", 0.0) or 0.0)
        budget = float(_get(info, "budget_s", 0.0) or spec.minutes * 60.0)
        by, reason = left.get(spec.id, ("", ""))
        status: Status
        if spec.id == current and not finished:
            status = "now"
        elif spec.id not in entered:
            status = "not_reached" if finished or current not in ids else "pending"
            if current in ids and ids.index(spec.id) < ids.index(current):
                status = "skipped"  # cannot happen with today's machine; honest if it does
        elif answers[spec.id]:
            status = "answered"
        elif by == "interviewer":
            status = "moved_on"
        else:
            status = "skipped"
        if status == "pending" and finished:
            status = "not_reached"
        out.append(
            StageProgress(
                spec.id,
                spec.title,
                status,
                answers[spec.id],
                questions[spec.id],
                followups[spec.id],
                by,
                reason,
                used,
                budget,
            )
        )
    return out


def moved_on_by_interviewer(turns: list[Any]) -> str | None:
    """The stage the interviewer moved into by itself after the candidate's last message
    (None when the last transition was the candidate's own Next, or there was none)."""
    for turn in reversed(turns):
        role = _get(turn, "role")
        if role == "candidate":
            return None
        if _get(turn, "kind") == "transition":
            if _meta(turn, "reason") == CANDIDATE_MOVE:
                return None
            return str(_get(turn, "stage") or "") or None
    return None
