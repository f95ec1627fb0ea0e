"""Bounded cost when a provider hangs or fails: a deadline per turn, and a circuit breaker.

- **Turn budget.** A turn's LLM calls share one budget per kind: ``phrase`` (questions and
  clarification answers; a few seconds) and ``grade`` (structured grading; longer). Retries and
  backoff come out of the same budget, so a server that never answers costs at most the budget,
  not attempts × timeout. The session engine opens the budget for a whole turn
  (:func:`within_turn_budget`); a call made outside any turn gets a budget of its own.
- **Deadline per attempt.** A call runs in a daemon thread and is abandoned when the budget
  runs out (the HTTP client's own timeout ends the thread later); the caller falls back to the
  offline engine at once.
- **Circuit breaker.** After ``llm_breaker_failures`` failed calls in a row, the provider is
  skipped for ``llm_breaker_cooldown_s``; then one trial call decides whether it is back.
- **Notice.** :func:`fallback_notice` is the one line the chat CLI and the app show while the
  provider is failing.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from interviewer.errors import ProviderError
from interviewer.llm.base import LLM

log = logging.getLogger("interviewer.llm")

Kind = Literal["phrase", "grade"]
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

FALLBACK_NOTICE = "The LLM is not responding; continuing with the offline interviewer."


def _settings() -> Any:
    from interviewer.settings import get_settings

    return get_settings()


# ------------------------------------------------------------------------------ turn budget


@dataclass
class TurnBudget:
    """Seconds each kind of call may still spend in this turn."""

    limits: dict[str, float]
    spent: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any = None) -> TurnBudget:
        s = settings or _settings()
        return cls({"phrase": float(s.llm_turn_deadline_s), "grade": float(s.llm_grade_deadline_s)})

    def remaining(self, kind: Kind) -> float:
        return self.limits.get(kind, 0.0) - self.spent.get(kind, 0.0)

    def charge(self, kind: Kind, seconds: float) -> None:
        self.spent[kind] = self.spent.get(kind, 0.0) + max(0.0, seconds)


_CURRENT: ContextVar[TurnBudget | None] = ContextVar("interviewer_turn_budget", default=None)


@contextmanager
def turn_budget(settings: Any = None) -> Iterator[TurnBudget]:
    """One budget for every LLM call inside; nested uses share the outermost one."""
    current = _CURRENT.get()
    if current is not None:
        yield current
        return
    budget = TurnBudget.from_settings(settings)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def within_turn_budget(fn: F) -> F:
    """Decorator: the whole call (e.g. one candidate message) is one turn's budget."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with turn_budget():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_budget() -> TurnBudget:
    return _CURRENT.get() or TurnBudget.from_settings()


class DeadlineExceeded(TimeoutError):
    """The turn's budget ran out while waiting for the provider (not the client's timeout)."""


def run_with_deadline(fn: Callable[[], T], seconds: float) -> T:
    """``fn()`` in a daemon thread; DeadlineExceeded when it has not returned after ``seconds``.

    The thread is abandoned, not killed (Python cannot), so it must end by itself: LLM clients
    have their own request timeout. Daemon, so an abandoned call never delays process exit.
    """
    done = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="llm-call", daemon=True).start()
    if not done.wait(max(0.0, seconds)):
        raise DeadlineExceeded(f"no reply within the turn deadline ({seconds:.1f} s left)")
    if "error" in box:
        raise box["error"]
    return box["value"]


# ------------------------------------------------------------------------------ breaker


class CircuitBreaker:
    """Consecutive failures of one provider; open (skipping calls) for a cool-down after
    ``threshold`` of them, then half-open: one trial call closes or re-opens it."""

    def __init__(self, label: str, threshold: int, cooldown_s: float) -> None:
        self.label = label
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    def before_call(self) -> None:
        """Raise ProviderError instead of calling a provider that is known to be down."""
        with self._lock:
            if self.opened_at is None:
                return
            left = self.opened_at + self.cooldown_s - time.monotonic()
            if left > 0 or self._trial:
                wait = max(left, 0.0)
                raise ProviderError(
                    f"LLM {self.label} skipped: it failed {self.failures} time(s) in a row "
                    f"(next try in {wait:.0f} s)"
                )
            self._trial = True  # half-open: this call decides

    def success(self) -> None:
        with self._lock:
            if self.opened_at is not None:
                log.warning("LLM %s is answering again; back from the offline engine", self.label)
            self.failures, self.opened_at, self._trial = 0, None, False

    def failure(self, reason: str) -> None:
        with self._lock:
            self.failures += 1
            reopen = self._trial
            self._trial = False
            if reopen or (self.opened_at is None and self.failures >= self.threshold):
                self.opened_at = time.monotonic()
                log.warning(
                    "LLM %s failed %d time(s) in a row (%s); skipping it for %.0f s and "
                    "continuing with the offline engine",
                    self.label,
                    self.failures,
                    reason,
                    self.cooldown_s,
                )

    @property
    def failing(self) -> bool:
        return self.failures > 0


_breakers_lock = threading.Lock()


def breaker_of(llm: LLM) -> CircuitBreaker:
    """The breaker of this configured provider (kept on the object: the service builds one
    LLM per provider and shares it between sessions, so every session sees the outage)."""
    with _breakers_lock:
        found = llm.__dict__.get("_breaker")
        if found is None:
            s = _settings()
            found = CircuitBreaker(
                llm.label, int(s.llm_breaker_failures), float(s.llm_breaker_cooldown_s)
            )
            llm.__dict__["_breaker"] = found
        return found


def fallback_notice(llm: LLM | None) -> str:
    """The line to show the candidate while ``llm`` is failing ("" when it is fine)."""
    if llm is None or llm.offline:
        return ""
    found = llm.__dict__.get("_breaker")
    return FALLBACK_NOTICE if found is not None and found.failing else ""
