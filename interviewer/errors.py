"""A small error hierarchy. The CLI and UI turn these into one-line messages.

``exit_code`` follows DESIGN.md: 2 for bad input the user can fix, 1 for internal errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InterviewerError(Exception):
    """Base class for every error the tool raises on purpose."""

    exit_code = 1


class UserInputError(InterviewerError):
    """Bad input the user can fix: a bad value, a missing file, an unknown id."""

    exit_code = 2


class ConfigError(UserInputError):
    """Settings or configuration files that cannot be used."""


class RubricError(UserInputError):
    """Rubric or problem YAML that fails validation; ``messages`` are ``file:line: message``."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        first = messages[0] if messages else "invalid rubric"
        more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        super().__init__(first + more)


class UnknownIdError(UserInputError):
    """An id (stage, problem, session, criterion) that does not exist."""

    def __init__(self, kind: str, value: str, choices: Iterable[str]) -> None:
        self.kind = kind
        self.value = value
        self.choices = sorted(choices)
        super().__init__(f"unknown {kind} {value!r}{suggest(value, self.choices)}")


class IngestError(UserInputError):
    """A file that cannot be ingested (missing, empty, binary, undecodable)."""


class ProviderError(InterviewerError):
    """An LLM provider failed (timeout, rate limit, server error, malformed output)."""


class GradingError(InterviewerError):
    """Grading could not produce a valid verdict."""


class SessionError(UserInputError):
    """An operation that the session's state does not allow (e.g. answering a finished one)."""


def suggest(value: str, choices: Iterable[str]) -> str:
    """Return a '; did you mean ...?' hint for an unknown id, or list the valid ids."""
    pool = list(choices)
    close = difflib.get_close_matches(value, pool, n=3, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    if pool and len(pool) <= 12:
        return "; choose one of: " + ", ".join(pool)
    return ""
