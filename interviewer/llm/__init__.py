"""One small LLM interface.

An :class:`LLM` is a provider name, a model name and a LangChain chat model; ``chat is None``
is the deterministic offline engine, registered like any other provider. Callers use
:func:`invoke_structured`, :func:`invoke_text` and :func:`stream_text`, which own retries,
backoff, timeouts and token accounting.
"""

from interviewer.llm.base import LLM, LLMResult, Message
from interviewer.llm.call import invoke_structured, invoke_text, stream_text
from interviewer.llm.registry import available_providers, get_llm, register_provider

__all__ = [
    "LLM",
    "LLMResult",
    "Message",
    "available_providers",
    "get_llm",
    "invoke_structured",
    "invoke_text",
    "register_provider",
    "stream_text",
]
