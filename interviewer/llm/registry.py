"""Provider registry: name -> factory building a LangChain chat model (or None for offline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from interviewer.errors import ConfigError, UnknownIdError
from interviewer.llm.base import LLM
from interviewer.settings import Settings, get_settings

ProviderFactory = Callable[[Settings, str], Any]


def _offline(settings: Settings, model: str) -> None:
    return None


def _openai(settings: Settings, model: str) -> Any:
    if not settings.openai_api_key:
        raise ConfigError("the 'openai' provider needs OPENAI_API_KEY (or use --llm offline)")
    from langchain_openai import ChatOpenAI

    # max_retries=0: our call layer owns retries so that backoff and fallback are uniform.
    return ChatOpenAI(
        model=model,
        api_key=settings.openai_api_key,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0.2,
    )


def _openai_compatible(settings: Settings, model: str) -> Any:
    if not settings.openai_base_url:
        raise ConfigError(
            "the 'openai-compatible' provider needs OPENAI_BASE_URL, e.g. http://127.0.0.1:8080/v1"
        )
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    # Local servers (llama.cpp, Ollama, vLLM) ignore the key, but the client insists on one.
    key = settings.openai_api_key or SecretStr("not-needed")
    return ChatOpenAI(
        model=model,
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0.2,
    )


_REGISTRY: dict[str, ProviderFactory] = {
    "offline": _offline,
    "openai": _openai,
    "openai-compatible": _openai_compatible,
}


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Add a provider (tests register scripted fakes this way)."""
    _REGISTRY[name] = factory


def available_providers() -> list[str]:
    return list(_REGISTRY)


def get_llm(
    name: str | None = None, model: str | None = None, settings: Settings | None = None
) -> LLM:
    settings = settings or get_settings()
    name = name or settings.provider
    if name not in _REGISTRY:
        raise UnknownIdError("LLM provider", name, _REGISTRY)
    model = model or settings.model
    chat = _REGISTRY[name](settings, model)
    return LLM(name=name, model=model if chat is not None else "offline", chat=chat)
