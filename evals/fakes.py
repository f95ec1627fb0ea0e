"""A deterministic scripted chat model for evals, registered as the ``eval-fake`` provider.

It reads the interviewer's own prompts (ask, clarify, grade) and the eval's judge and persona
prompts, and answers them the way a model of a given style would, so the LLM path (prompt
rendering, token accounting, leak guard, validation, fusion, fallbacks) runs end to end
without a network. ``fake-v1`` is faithful; ``fake-v2`` is chatty and over-summarises facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

PROVIDER = "eval-fake"
STYLES = ("fake-v1", "fake-v2")
_WORD = re.compile(r"[a-z]{4,}")
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
_STOP = frozenset(
    _WORD.findall(
        "that this with from what which their there about would could should have they them into "
        "than then when will your much many more most some such only also each other over answer "
        "candidate"
    )
)


def _text(m: BaseMessage) -> str:
    return m.content if isinstance(m.content, str) else str(m.content)


def _after(label: str, text: str) -> str:
    m = re.search(re.escape(label) + r"\s*(.*)", text)
    return m.group(1).strip() if m else ""


def _between(text: str, start: str, end: str) -> str:
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    return text[i + len(start) : j] if i >= 0 and j >= 0 else ""


class EvalFakeChat(BaseChatModel):
    """Replies computed from the prompt; ``style`` picks the behaviour."""

    style: str = "fake-v1"

    @property
    def _llm_type(self) -> str:
        return "eval-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self.respond([_text(m) for m in messages])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])

    # ------------------------------------------------------------------ behaviours
    def respond(self, texts: Sequence[str]) -> str:
        system, user = (texts[0], texts[-1]) if texts else ("", "")
        if "Reply with only a JSON object" in system and "criteria" in system:
            return self._grade(system, user)
        if "EVAL-JUDGE" in system:
            return json.dumps(
                {
                    "scores": {k: 4 for k in re.findall(r"^- (\w+):", system, re.M)},
                    "comment": "scripted judge",
                }
            )
        if "role-playing" in system:
            return (
                "I would start by agreeing on the goal and the scale, then build a simple "
                "baseline before anything more complex."
            )
        if "clarifying question" in system:
            return self._clarify(user)
        return self._ask(user)

    def _ask(self, user: str) -> str:
        question = _after("Question to ask:", user)
        move = _after("Your move:", user)
        if self.style == "fake-v2":
            last = _between(user, '"""', '"""').strip()
            echo = " ".join(last.split()[:6])
            lead = f'Interesting, you said "{echo}". ' if echo and echo != "(none)" else ""
            return f"{lead}Let me ask you this. {question}"
        lead = "Thanks." if "follow-up" in move else ""
        return f"{lead} {question}".strip()

    def _clarify(self, user: str) -> str:
        facts = [
            line[2:].strip()
            for line in user.split("Facts you may use:")[-1].splitlines()
            if line.startswith("- ")
        ]
        if not facts:
            return "That isn't specified. Please make a reasonable assumption and state it."
        if self.style == "fake-v2":
            # Over-summarised: only the first clause of each fact survives, later figures are lost.
            facts = [re.split(r"[,;]|\band\b", f)[0].strip().rstrip(".") + "." for f in facts]
            return "In short: " + " ".join(facts)
        return " ".join(facts)

    def _grade(self, system: str, user: str) -> str:
        ids = [i.strip() for i in _after("for each of these ids:", system).split(",") if i.strip()]
        rubric: dict[str, set[str]] = {}
        for cid in ids:
            line = re.search(rf"^- {re.escape(cid)} \(weight [^)]*\): (.*)$", system, re.M)
            words = set(_WORD.findall(line.group(1).lower())) if line else set()
            rubric[cid] = words - _STOP
        answer = _between(user, "<answer>", "</answer>").strip()
        sentences = [
            s.strip() for s in _SENT.split(answer) if len(s.split()) >= 4 and "[removed:" not in s
        ]
        out = []
        for cid in ids:
            best, hits = "", 0
            for s in sentences:
                n = len((set(_WORD.findall(s.lower())) - _STOP) & rubric.get(cid, set()))
                if n > hits:
                    best, hits = s, n
            score = min(4, hits) if self.style == "fake-v1" else min(4, 1 + hits)
            if not best:
                score = 0
            out.append(
                {
                    "id": cid,
                    "score": score,
                    "evidence": best,
                    "rationale": f"{hits} description words in the best sentence",
                }
            )
        return json.dumps({"criteria": out})


def _factory(settings: Any, model: str) -> EvalFakeChat:
    from interviewer.errors import ConfigError

    if model not in STYLES:
        raise ConfigError(
            f"the {PROVIDER!r} provider has models {', '.join(STYLES)}, not {model!r}"
        )
    return EvalFakeChat(style=model)


def register() -> None:
    """Register ``eval-fake`` with the LLM registry (idempotent)."""
    from interviewer.llm import register_provider

    register_provider(PROVIDER, _factory)
