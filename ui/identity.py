"""Per-browser identity: a random token kept in the browser, a hashed user id for the service.

The browser holds a 128-bit random token (``gr.BrowserState``, encrypted in localStorage); the
service only ever sees ``web-<sha256(token)[:24]>``, so the sessions database never stores
anything that would let its reader impersonate a browser. Tokens that are not of our own
format are refused, so a client cannot claim a guessable id such as the CLI's ``local`` user.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
_SESSION_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def new_token() -> str:
    return secrets.token_hex(16)


def valid_token(token: object) -> bool:
    return isinstance(token, str) and bool(_TOKEN_RE.match(token))


def ensure_token(token: object) -> str:
    """The browser's token, or a fresh one when it has none (first visit, API client)."""
    return token if valid_token(token) else new_token()  # type: ignore[return-value]


def user_id(token: str) -> str:
    return "web-" + hashlib.sha256(token.encode("ascii")).hexdigest()[:24]


def clean_session_id(value: object) -> str:
    """A session id as sent by the client, or "" when it is absent or malformed."""
    if isinstance(value, str) and _SESSION_RE.match(value.strip()):
        return value.strip()
    return ""


def configured_secret(settings: Any) -> str:
    """``INTERVIEWER_UI_SECRET`` when set (what replicas behind one address must share, so a
    browser's identity is readable by whichever replica it reaches), else the data dir's."""
    value = getattr(settings, "ui_secret", None)
    if value is not None:
        return str(value.get_secret_value())
    return browser_secret(Path(settings.data_dir))


def browser_secret(data_dir: Path) -> str:
    """A stable key for BrowserState encryption, created once per data dir.

    Gradio's default is random per process, which would make every browser forget its token
    (and so its sessions) whenever the server restarts.
    """
    path = data_dir / "ui-secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            value = path.read_text(encoding="ascii").strip()
            if len(value) >= 32:
                return value
            time.sleep(0.05)  # another process may be writing it right now
            continue
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError):
            break
        try:
            # O_EXCL: when two servers start at once, exactly one writes and both read it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        value = secrets.token_hex(24)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(value)
        return value
    # Unusable secret file: browsers then keep their token for this process's lifetime only.
    return secrets.token_hex(24)
