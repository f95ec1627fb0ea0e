"""Text from candidates made safe to send back and to render.

- :func:`repair_text`: split surrogate pairs (some clients send an emoji as two escaped halves)
  are joined, and lone surrogates, which cannot be encoded as UTF-8 and would fail the whole
  response, are dropped; the rest of the message is kept.
- :func:`inert_markdown`: chat text renders as Markdown in the browser, so an image
  (``![x](https://...)``) would make every viewer's browser fetch an outside URL, and a link or
  a bare URL would invite a click. Images and links are shown as their text and address in
  code spans (inert), and ``src``/``href`` attributes in raw HTML are disabled.
- :class:`SecurityHeaders`: headers that fit a Gradio app (it needs inline scripts, so the
  content security policy only says who may frame it).
"""

from __future__ import annotations

import re
from typing import Any

_IMAGE = re.compile(r"!\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]{1,2000})>?(?:\s+\"[^\"\n]*\")?\s*\)")
_LINK = re.compile(r"(?<!!)\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]{1,2000})>?(?:\s+\"[^\"\n]*\")?\s*\)")
_REFERENCE = re.compile(r"(?m)^\s{0,3}\[([^\]\n]{1,300})\]:\s*(\S+).*$")
_URL = re.compile(r"(?<![`\w/\"'=])((?:https?|ftp)://[^\s<>`]+|www\.[^\s<>`]+)", re.I)
_HTML_ATTR = re.compile(r"(<[a-zA-Z][^>]*?)\b(src|srcset|href|background|poster)\s*=", re.I)
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)


def repair_text(text: str) -> str:
    """Join escaped surrogate halves into their character and drop lone surrogates."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if "\ud800" <= ch <= "\udbff" and i + 1 < n and "\udc00" <= text[i + 1] <= "\udfff":
            out.append(text[i : i + 2].encode("utf-16", "surrogatepass").decode("utf-16"))
            i += 2
            continue
        if not "\ud800" <= ch <= "\udfff":
            out.append(ch)
        i += 1
    return "".join(out)


def _code(text: str) -> str:
    text = text.replace("`", "'")
    return f"`{text}`"


def _inert(part: str) -> str:
    part = _IMAGE.sub(lambda m: f"[image: {m.group(1) or 'no alt text'}] {_code(m.group(2))}", part)
    part = _LINK.sub(lambda m: f"{m.group(1)} ({_code(m.group(2))})", part)
    part = _REFERENCE.sub(lambda m: f"[{m.group(1)}]: {_code(m.group(2))}", part)
    part = _URL.sub(lambda m: _code(m.group(1)), part)
    return _HTML_ATTR.sub(lambda m: f"{m.group(1)}data-blocked-{m.group(2).lower()}=", part)


def inert_markdown(text: str) -> str:
    """``text`` with no image, link or URL that a browser would fetch or follow."""
    if not text or not any(c in text for c in "[(:<w"):
        return text
    parts = _CODE.split(text)  # code spans and blocks are already inert
    return "".join(p if i % 2 else _inert(p) for i, p in enumerate(parts))


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)"),
)


class SecurityHeaders:
    """Pure ASGI middleware (streams and websockets pass untouched) adding the headers above."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
