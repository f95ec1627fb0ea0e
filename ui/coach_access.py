"""Who may use the coach tab: password guessing throttled, the unlock bound to an identity.

- :class:`UnlockThrottle` refuses an attempt *before* the password is compared when it comes too
  soon: each failure doubles the wait, per client (IP address) and globally (so many clients in
  parallel gain nothing), and after ``client_lockout_after`` failures from one client or
  ``global_lockout_after`` in all, unlocking is locked for ``lockout_s``. A request that passes
  reserves the next slot at once, so parallel requests are serialised. Every failure and
  lockout is logged.
- :class:`CoachAccess` keeps the unlocked identities server-side, keyed by the user id derived
  from the browser's secret token (the encrypted ``BrowserState``), never by Gradio's
  client-chosen session hash; unlocks expire, and "Lock" ends one at once.

No gradio here, so the rules are testable with a fake clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("interviewer.ui.coach")


@dataclass
class _Backoff:
    failures: int = 0
    next_allowed: float = 0.0
    locked_until: float = 0.0


def _wait_text(seconds: float) -> str:
    if seconds >= 90:
        return f"{seconds / 60:.0f} min"
    return f"{max(seconds, 1):.0f} s"


class UnlockThrottle:
    def __init__(
        self,
        *,
        base_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        client_lockout_after: int = 5,
        global_lockout_after: int = 20,
        lockout_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.client_lockout_after = client_lockout_after
        self.global_lockout_after = global_lockout_after
        self.lockout_s = lockout_s
        self.clock = clock
        self._global = _Backoff()
        self._clients: dict[str, _Backoff] = {}
        self._lock = threading.Lock()

    def _delay(self, failures: int) -> float:
        return min(self.base_delay_s * 2 ** max(failures - 1, 0), self.max_delay_s)

    def admit(self, client: str) -> str | None:
        """None when this attempt may be checked (and the next slot is reserved), else the
        one-line reason it is refused without looking at the password."""
        with self._lock:
            now = self.clock()
            mine = self._clients.setdefault(client, _Backoff())
            for state in (self._global, mine):
                if now < state.locked_until:
                    return (
                        "Coach unlock is locked after too many wrong passwords; try again in "
                        f"{_wait_text(state.locked_until - now)}."
                    )
            wait = max(self._global.next_allowed, mine.next_allowed) - now
            if wait > 0:
                return f"Too many unlock attempts; wait {_wait_text(wait)} and try again."
            # Reserve: parallel requests queue behind this one instead of being checked too.
            slot = now + self.base_delay_s
            self._global.next_allowed = max(self._global.next_allowed, slot)
            mine.next_allowed = max(mine.next_allowed, slot)
            if len(self._clients) > 10_000:  # bounded memory under many fake clients
                self._clients = {client: mine}
            return None

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            mine = self._clients.setdefault(client, _Backoff())
            for state, limit, who in (
                (mine, self.client_lockout_after, f"client {client}"),
                (self._global, self.global_lockout_after, "all clients"),
            ):
                state.failures += 1
                state.next_allowed = now + self._delay(state.failures)
                if state.failures >= limit:
                    state.locked_until = now + self.lockout_s
                    log.warning(
                        "coach unlock locked for %.0f s for %s after %d wrong passwords",
                        self.lockout_s,
                        who,
                        state.failures,
                    )
            log.warning(
                "wrong coach password from %s (%d from it, %d in all)",
                client,
                mine.failures,
                self._global.failures,
            )

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)
            if self.clock() >= self._global.locked_until:
                self._global = _Backoff()


class CoachAccess:
    """Unlocked coach identities (user ids from the browser token), with an expiry."""

    def __init__(
        self, *, ttl_s: float = 8 * 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._unlocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def unlock(self, user: str) -> None:
        with self._lock:
            self._unlocked[user] = self.clock() + self.ttl_s

    def lock(self, user: str) -> None:
        with self._lock:
            self._unlocked.pop(user, None)

    def is_unlocked(self, user: str | None) -> bool:
        if not user:
            return False
        with self._lock:
            until = self._unlocked.get(user)
            if until is None:
                return False
            if self.clock() >= until:
                del self._unlocked[user]
                return False
            return True
