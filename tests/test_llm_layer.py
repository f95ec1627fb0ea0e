"""The one LLM interface: retries, validation, fallback signals, registry, prompts."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from interviewer.errors import ConfigError, ProviderError, UnknownIdError
from interviewer.llm import LLM, Message, get_llm, invoke_structured, invoke_text, stream_text
from interviewer.llm.fake import ScriptedChatModel


class Verdict(BaseModel):
    score: int
    quote: str


class FakeStatusError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code = status


class AuthenticationError(Exception):
    """Named like openai's, which must not be retried."""


def _llm(fake: ScriptedChatModel) -> LLM:
    return LLM(name="fake", model="scripted", chat=fake)


MSGS = [Message("system", "be terse"), Message("user", "grade this")]


def test_structured_output_parses_json_in_fences() -> None:
    fake = ScriptedChatModel().enqueue('Sure!\n```json\n{"score": 3, "quote": "abc"}\n```')
    result = invoke_structured(_llm(fake), MSGS, Verdict, backoff_s=0)
    assert result.value == Verdict(score=3, quote="abc")
    assert result.attempts == 1
    assert result.prompt_tokens > 0


def test_malformed_then_valid_is_retried_with_a_correction() -> None:
    fake = ScriptedChatModel().enqueue('{"score": 3, "quote": ', '{"score": 2, "quote": "x"}')
    result = invoke_structured(_llm(fake), MSGS, Verdict, backoff_s=0)
    assert result.value.score == 2
    assert result.attempts == 2
    assert "malformed JSON" in result.errors[0]
    # the retry told the model what was wrong
    assert "invalid" in str(fake.history[1][-1].content)


def test_validate_callback_rejects_hallucinated_quote() -> None:
    answer = "we log clicks"

    def quote_in_answer(v: Verdict) -> None:
        if v.quote not in answer:
            raise ValueError(f"quote {v.quote!r} is not in the answer")

    fake = ScriptedChatModel().enqueue(
        '{"score": 4, "quote": "we use NDCG"}', '{"score": 1, "quote": "we log clicks"}'
    )
    result = invoke_structured(_llm(fake), MSGS, Verdict, validate=quote_in_answer, backoff_s=0)
    assert result.value.quote == "we log clicks"
    assert "not in the answer" in result.errors[0]


@pytest.mark.parametrize(
    "failure", [TimeoutError("read timed out"), FakeStatusError(429), FakeStatusError(500)]
)
def test_transient_failures_exhaust_retries_into_provider_error(failure: Exception) -> None:
    fake = ScriptedChatModel().enqueue(failure, failure, failure)
    with pytest.raises(ProviderError) as info:
        invoke_text(_llm(fake), MSGS, retries=2, backoff_s=0)
    assert len(fake.history) == 3
    assert "3 attempt" in str(info.value)


def test_transient_failure_then_success() -> None:
    fake = ScriptedChatModel().enqueue(FakeStatusError(429), "hello")
    result = invoke_text(_llm(fake), MSGS, retries=2, backoff_s=0)
    assert result.value == "hello" and result.attempts == 2


def test_auth_errors_are_not_retried() -> None:
    fake = ScriptedChatModel().enqueue(AuthenticationError("bad key"), "never reached")
    with pytest.raises(ProviderError):
        invoke_text(_llm(fake), MSGS, retries=3, backoff_s=0)
    assert len(fake.history) == 1


def test_stream_yields_pieces_and_wraps_failures() -> None:
    fake = ScriptedChatModel().enqueue("one two three", RuntimeError("boom"))
    assert "".join(stream_text(_llm(fake), MSGS)) == "one two three"
    with pytest.raises(ProviderError):
        list(stream_text(_llm(fake), MSGS))


def test_registry_defaults_to_offline_without_configuration() -> None:
    llm = get_llm()
    assert llm.offline and llm.name == "offline"
    with pytest.raises(ProviderError):
        invoke_text(llm, MSGS)


def test_registry_errors_are_one_line_and_helpful(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnknownIdError, match="did you mean 'openai'"):
        get_llm("opneai")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_llm("openai")
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        get_llm("openai-compatible")


def test_openai_compatible_builds_a_chat_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.settings import get_settings

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    get_settings.cache_clear()
    llm = get_llm(model="smol")
    assert llm.name == "openai-compatible" and llm.model == "smol" and not llm.offline
