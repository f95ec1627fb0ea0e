"""What every tab's handlers share: settings, one InterviewService per provider, ownership checks.

Handlers stay thin: they check who is asking (the browser's token → user id), check that the
session belongs to that user, call the service, and render. Ownership is checked against the
user's own session list with an exact id match before any session id reaches the service, so a
guessed or leaked id of another browser's session is simply "not found".
"""

from __future__ import annotations

import logging
import random
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from interviewer.errors import UnknownIdError, UserInputError
from ui.identity import clean_session_id, user_id, valid_token
from ui.rubric_files import RubricDirs

log = logging.getLogger("interviewer.ui")
RANDOM = "random"


def configured_providers(settings: Any) -> list[str]:
    """Providers this install can actually use: offline always, the others when configured."""
    out = ["offline"]
    if settings.openai_api_key:
        out.append("openai")
    if settings.openai_base_url:
        out.append("openai-compatible")
    return out


@dataclass
class AppContext:
    settings: Any
    service_factory: Any = None  # (provider, model) -> InterviewService; tests may inject
    _services: dict[str, Any] = field(default_factory=dict)
    _session_provider: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ready: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._ready.set()

    def warm_up_in_background(self) -> None:
        """Load the embedding model and rubric indexes once, in a background thread.

        The page is served at once; grading handlers wait for this instead of each building
        the same indexes at the same time (20 first answers arriving together would otherwise
        all do the full warm-up work in parallel on the same few cores).
        """
        self._ready.clear()

        def work() -> None:
            try:
                from interviewer.grading import warm_up

                warm_up()
            except Exception:  # the first turn then loads lazily and reports any real problem
                log.exception("warm-up failed")
            finally:
                self._ready.set()

        threading.Thread(target=work, name="interviewer-warm-up", daemon=True).start()

    def wait_ready(self, timeout: float = 300.0) -> None:
        self._ready.wait(timeout)

    @property
    def dirs(self) -> RubricDirs:
        return RubricDirs.from_settings(self.settings)

    @property
    def providers(self) -> list[str]:
        return configured_providers(self.settings)

    @property
    def default_provider(self) -> str:
        provider = str(self.settings.provider)
        return provider if provider in self.providers else "offline"

    def service(self, provider: str | None = None) -> Any:
        """The InterviewService for a provider (one per provider; each is thread-safe)."""
        name = provider if provider in self.providers else self.default_provider
        with self._lock:
            svc = self._services.get(name)
            if svc is None:
                if self.service_factory is not None:
                    svc = self.service_factory(name, self.settings.model)
                else:
                    from interviewer.session.service import InterviewService

                    svc = InterviewService(
                        db_path=self.settings.session_store,
                        llm_name=name,
                        model=self.settings.model,
                    )
                self._services[name] = svc
            return svc

    def remember_provider(self, session_id: str, provider: object) -> None:
        if isinstance(provider, str) and provider in self.providers:
            with self._lock:
                self._session_provider[session_id] = provider

    def service_for(self, session_id: str) -> Any:
        """The service of the provider a session was started with. A replica that did not
        start it (or this one after a restart) reads that from the stored session's engine."""
        with self._lock:
            provider = self._session_provider.get(session_id)
        if provider is None:
            provider = self._stored_provider(session_id)
        return self.service(provider)

    def _stored_provider(self, session_id: str) -> str | None:
        store = getattr(self.service(), "store", None)  # test doubles may have none
        try:
            engine = str(store.load(session_id).engine) if store is not None else ""
        except Exception:  # unknown id or unreadable: the default; the handler reports it
            return None
        provider = engine.split(":", 1)[0]  # LLM.label: "offline" or "<provider>:<model>"
        self.remember_provider(session_id, provider)
        return provider if provider in self.providers else None

    # ------------------------------------------------------------------ identity & ownership

    @staticmethod
    def user(token: object) -> str:
        if not valid_token(token):
            raise UserInputError("this browser has no identity yet; reload the page")
        return user_id(str(token))

    def owned_session(self, token: object, session_id: object) -> tuple[str, str]:
        """(user, session id) for a request; every service call then passes ``user=``.

        The service answers "unknown session" for another user's id, the same as for an id
        that does not exist, so ids cannot be probed.
        """
        user = self.user(token)
        sid = clean_session_id(session_id)
        if not sid:
            raise UserInputError("no interview yet: choose a problem and press Start interview")
        return user, sid

    # ------------------------------------------------------------------ problems

    def problems(self) -> list[tuple[str, str]]:
        """(title, id) for the dropdown; empty (with a logged reason) when the cards are broken."""
        from interviewer.errors import RubricError
        from interviewer.rubrics.loader import load_problems

        try:
            return [(p.title, p.id) for p in load_problems(self.settings.problems_path).values()]
        except RubricError as exc:
            log.warning("problem cards do not load: %s", exc)
            return []

    def pick_problem(self, choice: object) -> str:
        ids = [pid for _, pid in self.problems()]
        if not ids:
            raise UserInputError(
                "no problem cards load; ask a coach to run `interviewer rubrics validate`"
            )
        if not isinstance(choice, str) or not choice or choice == RANDOM:
            return random.choice(ids)
        if choice not in ids:
            raise UnknownIdError("problem", choice, ids)
        return choice


def check_message(text: object, max_chars: int) -> tuple[str | None, str | None]:
    """(clean text, None) for a sendable answer, or (None, friendly reason) for bad input."""
    if isinstance(text, str):
        # A few invalid characters (lone surrogates from a broken paste) are cleaned out,
        # never a reason to drop the message: they cannot even be sent back to the page.
        from ui.safe_text import repair_text

        text = repair_text(text)
    if not isinstance(text, str) or not text.strip():
        return None, "That message was empty, so nothing was sent. Type your answer and press Send."
    if len(text) > max_chars:
        return None, (
            f"Your message is {len(text):,} characters; answers are limited to {max_chars:,}. "
            "Shorten it to the key points and send it again. Nothing was sent."
        )
    bad = sum(
        1
        for ch in text
        if ch == "\ufffd"
        or (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\r\t")
    )
    if bad > max(2, len(text) // 10):
        return None, (
            "That looks like binary data rather than text, so it was not sent. "
            "Please type or paste your answer as plain text."
        )
    cleaned = "".join(
        ch
        for ch in text
        if ch in "\n\r\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    ).strip()
    if not cleaned:
        return None, "That message had no readable text, so nothing was sent."
    return cleaned, None
