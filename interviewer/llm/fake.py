"""A scripted chat model for tests: ``enqueue`` replies (or exceptions), read ``history``."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr


class ScriptedChatModel(BaseChatModel):
    """Replies from a queue; an enqueued exception is raised instead (to inject failures)."""

    _queue: deque[str | BaseException] = PrivateAttr(default_factory=deque)
    _history: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def enqueue(self, *items: str | BaseException) -> ScriptedChatModel:
        self._queue.extend(items)
        return self

    def replace_queue(self, *items: str | BaseException) -> ScriptedChatModel:
        """Drop what is still queued and queue ``items`` (script the next calls exactly)."""
        self._queue.clear()
        return self.enqueue(*items)

    @property
    def history(self) -> list[list[BaseMessage]]:
        return self._history

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _next(self, messages: list[BaseMessage]) -> str:
        self._history.append(list(messages))
        if not self._queue:
            raise RuntimeError("ScriptedChatModel: no reply enqueued")
        item = self._queue.popleft()
        if isinstance(item, BaseException):
            raise item
        return item

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=self._next(messages)))]
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages)
        for i, word in enumerate(text.split(" ")):
            yield ChatGenerationChunk(
                message=AIMessageChunk(content=("" if i == 0 else " ") + word)
            )
