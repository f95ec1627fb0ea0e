"""Replay one labelled moment through the real interview service and record what it did.

Only the public service API and the turn fields DESIGN fixes (``subkind``, ``target``,
``facts``, ``misconception``) are read, so the same harness measures earlier versions of the
interviewer too. The stage is set directly in the stored state before each message: a moment
says where it happens, whatever the interviewer would have done on its own before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals.listening.moments import Moment


@dataclass
class Outcome:
    id: str
    category: str
    intent: str  # how the candidate message was understood
    replies: list[dict[str, Any]] = field(default_factory=list)  # subkind, target, facts, text
    error: str = ""

    @property
    def subkinds(self) -> list[str]:
        return [str(r.get("subkind", "")) for r in self.replies]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "intent": self.intent,
            "replies": self.replies,
            "error": self.error,
        }


def force_stage(svc: Any, session_id: str, stage: str) -> None:
    """Put the session in ``stage`` (earlier stages done), as if the interview had got there."""
    from interviewer.stages import STAGE_IDS

    state = svc.store.load(session_id)
    if state.stage == stage:
        return
    target = STAGE_IDS.index(stage)
    for i, sid in enumerate(STAGE_IDS):
        state.stages[sid].status = (
            "done" if i < target else ("active" if i == target else "pending")
        )
    state.stage = stage
    svc.store.save(state, len(state.turns))


def replay(svc: Any, moment: Moment) -> Outcome:
    """Run ``moment`` in a fresh session of ``svc`` (an InterviewService)."""
    sid = svc.start(moment.problem).id
    for earlier in moment.history:
        force_stage(svc, sid, earlier.stage)
        svc.respond(sid, earlier.text)
    force_stage(svc, sid, moment.stage)
    replies = svc.respond(sid, moment.message)
    turns = svc.get(sid).turns
    cand = turns[len(turns) - len(replies) - 1]
    out = Outcome(moment.id, moment.category, str(cand.meta.get("intent", "")))
    for t in replies:
        out.replies.append(
            {
                "kind": t.kind,
                "subkind": t.meta.get("subkind", t.meta.get("intent", "")),
                "stage": t.stage,
                "target": t.meta.get("target", ""),
                "facts": list(t.meta.get("facts", [])),
                "misconception": t.meta.get("misconception", ""),
                "asked": t.meta.get("asked", ""),
                "text": t.text,
            }
        )
    return out
