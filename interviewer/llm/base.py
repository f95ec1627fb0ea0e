"""Plain data for the LLM layer (no LangChain import here, so it stays cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class LLM:
    """A configured provider. ``chat`` is a LangChain ``BaseChatModel``; None means offline."""

    name: str
    model: str
    chat: Any = None

    @property
    def offline(self) -> bool:
        return self.chat is None

    @property
    def label(self) -> str:
        return "offline" if self.offline else f"{self.name}:{self.model}"


@dataclass
class LLMResult(Generic[T]):
    """A value from an LLM call plus what it cost, for transcripts, evals and the bench."""

    value: T
    prompt_tokens: int
    completion_tokens: int
    attempts: int
    seconds: float
    errors: list[str] = field(default_factory=list)
