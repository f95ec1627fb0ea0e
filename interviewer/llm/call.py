"""Calling a chat model: bounded retries with backoff, output validation, token accounting.

Every failure mode (timeout, 429, 5xx, connection error, malformed or invalid JSON) ends in
either a valid value or a :class:`ProviderError`; callers then fall back to the offline engine
for that turn, so an interview never stops because a provider failed. Attempts, backoff and
waits all come out of the turn's budget, and a provider that keeps failing is skipped for a
while (:mod:`interviewer.llm.resilience`).
"""

from __future__ import annotations

import functools
import json
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from interviewer.errors import ProviderError
from interviewer.llm.base import LLM, LLMResult, Message
from interviewer.llm.resilience import (
    DeadlineExceeded,
    Kind,
    breaker_of,
    current_budget,
    log,
    run_with_deadline,
)
from interviewer.settings import get_settings
from interviewer.tokens import count_tokens

M = TypeVar("M", bound=BaseModel)

_FATAL_NAMES = ("AuthenticationError", "PermissionDeniedError", "NotFoundError", "BadRequestError")


class OutputError(ValueError):
    """The model answered, but not with what was asked for; worth one more try."""


def _to_langchain(messages: Sequence[Message]) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


def prompt_tokens(messages: Sequence[Message]) -> int:
    # ~4 tokens of chat-format overhead per message, as OpenAI documents for its chat models.
    return sum(count_tokens(m.content) + 4 for m in messages) + 2


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{name}{f' {status}' if status else ''}: {text}".strip().rstrip(":")


def _is_fatal(exc: BaseException) -> bool:
    return type(exc).__name__ in _FATAL_NAMES


def _backoff(attempt: int, base: float) -> float:
    return float(min(base * (2**attempt), 8.0) * (0.5 + random.random() / 2))


def _retrying(
    llm: LLM,
    messages: list[Message],
    attempt_fn: Callable[[list[Message]], Any],
    *,
    retries: int | None,
    backoff_s: float,
    kind: Kind,
) -> LLMResult[Any]:
    if llm.chat is None:
        raise ProviderError("the offline engine has no chat model")
    settings = get_settings()
    retries = settings.llm_max_retries if retries is None else retries
    breaker = breaker_of(llm)
    breaker.before_call()
    budget = current_budget()
    errors: list[str] = []
    start = time.perf_counter()
    tokens_in = prompt_tokens(messages)
    convo = list(messages)
    for attempt in range(retries + 1):
        left = budget.remaining(kind)
        if left <= 0:
            errors.append(f"turn deadline reached ({budget.limits.get(kind, 0):.0f} s for {kind})")
            break
        t0 = time.perf_counter()
        try:
            value, completion = run_with_deadline(functools.partial(attempt_fn, convo), left)
            budget.charge(kind, time.perf_counter() - t0)
            breaker.success()
            return LLMResult(
                value=value,
                prompt_tokens=tokens_in,
                completion_tokens=count_tokens(completion),
                attempts=attempt + 1,
                seconds=time.perf_counter() - start,
                errors=errors,
            )
        except OutputError as exc:
            budget.charge(kind, time.perf_counter() - t0)
            errors.append(f"invalid output: {exc}")
            # Tell the model what was wrong, but keep the prompt bounded: one correction at most.
            convo = [
                *messages,
                Message(
                    "user",
                    f"Your previous reply was invalid ({exc}). "
                    "Reply again with only the JSON object.",
                ),
            ]
        except Exception as exc:
            budget.charge(kind, time.perf_counter() - t0)
            errors.append(_describe(exc))
            if _is_fatal(exc) or isinstance(exc, DeadlineExceeded):
                break  # a timeout used the whole budget
        if attempt < retries:
            pause = min(_backoff(attempt, backoff_s), max(0.0, budget.remaining(kind)))
            time.sleep(pause)
            budget.charge(kind, pause)
    reason = f"{llm.label} failed after {len(errors)} attempt(s): {errors[-1]}"
    breaker.failure(errors[-1])
    log.warning("LLM call (%s) failed; this turn continues offline: %s", kind, reason)
    raise ProviderError(reason)


def _content(reply: Any) -> str:
    content = getattr(reply, "content", reply)
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def extract_json(text: str) -> Any:
    """The first JSON object in ``text`` (models like to wrap JSON in prose or code fences)."""
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)
    candidate = fenced.group(1) if fenced else text
    start = candidate.find("{")
    if start < 0:
        raise OutputError("no JSON object in the reply")
    try:
        obj, _ = json.JSONDecoder().raw_decode(candidate[start:])
    except json.JSONDecodeError as exc:
        raise OutputError(f"malformed JSON ({exc.msg} at char {exc.pos})") from None
    return obj


def invoke_structured(
    llm: LLM,
    messages: Sequence[Message],
    schema: type[M],
    *,
    validate: Callable[[M], None] | None = None,
    retries: int | None = None,
    backoff_s: float = 0.5,
    kind: Kind = "grade",
) -> LLMResult[M]:
    """Ask for a JSON object matching ``schema``; ``validate`` may raise ValueError to reject
    a well-formed but wrong answer (e.g. a quote that is not in the candidate's answer)."""

    def attempt(convo: list[Message]) -> tuple[M, str]:
        text = _content(llm.chat.invoke(_to_langchain(convo)))
        try:
            value = schema.model_validate(extract_json(text))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"]) or "root"
            raise OutputError(f"{loc}: {err['msg']}") from None
        if validate is not None:
            try:
                validate(value)
            except ValueError as exc:
                raise OutputError(str(exc)) from None
        return value, text

    return _retrying(llm, list(messages), attempt, retries=retries, backoff_s=backoff_s, kind=kind)


def invoke_text(
    llm: LLM,
    messages: Sequence[Message],
    *,
    retries: int | None = None,
    backoff_s: float = 0.5,
    kind: Kind = "phrase",
) -> LLMResult[str]:
    def attempt(convo: list[Message]) -> tuple[str, str]:
        text = _content(llm.chat.invoke(_to_langchain(convo))).strip()
        if not text:
            raise OutputError("empty reply")
        return text, text

    return _retrying(llm, list(messages), attempt, retries=retries, backoff_s=backoff_s, kind=kind)


_END = object()


def stream_text(llm: LLM, messages: Sequence[Message], *, kind: Kind = "phrase") -> Iterator[str]:
    """Yield text pieces as they arrive. A stream that fails, stalls past the turn's budget or
    is cut mid-reply raises ProviderError; the caller decides what to keep (and falls back)."""
    if llm.chat is None:
        raise ProviderError("the offline engine has no chat model")
    breaker = breaker_of(llm)
    breaker.before_call()
    budget = current_budget()
    pieces: queue.Queue[Any] = queue.Queue()

    def pump() -> None:  # a daemon thread, so a stalled stream can be abandoned
        try:
            for chunk in llm.chat.stream(_to_langchain(messages)):
                piece = _content(chunk)
                if piece:
                    pieces.put(piece)
            pieces.put(_END)
        except BaseException as exc:
            pieces.put(exc)

    threading.Thread(target=pump, name="llm-stream", daemon=True).start()
    while True:
        left = budget.remaining(kind)
        t0 = time.perf_counter()
        try:
            item = pieces.get(timeout=max(left, 0.0)) if left > 0 else pieces.get_nowait()
        except queue.Empty:
            reason = f"no reply within the turn deadline ({budget.limits.get(kind, 0):.0f} s)"
            breaker.failure(reason)
            raise ProviderError(f"{llm.label} stream failed: {reason}") from None
        finally:
            budget.charge(kind, time.perf_counter() - t0)
        if item is _END:
            breaker.success()
            return
        if isinstance(item, BaseException):
            breaker.failure(_describe(item))
            log.warning("LLM stream (%s) failed: %s", kind, _describe(item))
            raise ProviderError(f"{llm.label} stream failed: {_describe(item)}") from item
        yield item
