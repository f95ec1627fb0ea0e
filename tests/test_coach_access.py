"""Coach unlock throttling and identity binding, with a fake clock (no server)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from ui.coach_access import CoachAccess, UnlockThrottle
from ui.identity import new_token


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guess_as_fast_as_allowed(throttle: UnlockThrottle, clock: Clock, clients: list[str]) -> int:
    """An attacker who retries the moment each refusal says it may; returns checked guesses
    and advances the clock to when the last one ran (100 guesses, or until locked out)."""
    checked = 0
    for i in range(100):
        client = clients[i % len(clients)]
        while (reason := throttle.admit(client)) is not None:
            if "locked" in reason:
                return checked
            clock.now += 0.5
        throttle.failed(client)
        checked += 1
    return checked


def test_one_client_is_locked_out_after_five_wrong_passwords() -> None:
    clock = Clock()
    throttle = UnlockThrottle(clock=clock)
    checked = guess_as_fast_as_allowed(throttle, clock, ["10.0.0.1"])
    assert checked == 5
    assert clock.now - 1000 >= 1 + 2 + 4 + 8  # the backoff doubled between guesses
    reason = throttle.admit("10.0.0.1")
    assert reason is not None and "locked" in reason and "15 min" in reason


def test_many_clients_in_parallel_gain_nothing_and_lock_the_tab() -> None:
    clock = Clock()
    throttle = UnlockThrottle(clock=clock)
    clients = [f"10.0.{i}.1" for i in range(100)]
    checked = guess_as_fast_as_allowed(throttle, clock, clients)
    assert checked == 20  # then the global lockout
    assert clock.now - 1000 > 5 * 60  # minutes, not seconds
    assert "locked" in (throttle.admit("192.168.1.1") or "")


def test_parallel_requests_are_serialised_by_the_reservation() -> None:
    throttle = UnlockThrottle()  # real clock: 100 threads at once
    admitted: list[str] = []
    barrier = threading.Barrier(100)

    def attempt(i: int) -> None:
        barrier.wait()
        if throttle.admit(f"client-{i}") is None:
            admitted.append(f"client-{i}")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(admitted) == 1


def test_success_resets_the_backoff() -> None:
    clock = Clock()
    throttle = UnlockThrottle(clock=clock)
    assert throttle.admit("a") is None
    throttle.failed("a")
    clock.now += 1.1
    assert throttle.admit("a") is None
    throttle.succeeded("a")
    assert throttle.admit("a") is None


def test_unlock_is_bound_to_the_identity_and_expires() -> None:
    clock = Clock()
    access = CoachAccess(ttl_s=60, clock=clock)
    access.unlock("web-aaa")
    assert access.is_unlocked("web-aaa") and not access.is_unlocked("web-bbb")
    assert not access.is_unlocked("") and not access.is_unlocked(None)
    clock.now += 61
    assert not access.is_unlocked("web-aaa")
    access.unlock("web-aaa")
    access.lock("web-aaa")
    assert not access.is_unlocked("web-aaa")


@pytest.fixture
def handlers(tmp_path: Any) -> dict[str, Any]:
    from ui.coach import make_handlers

    ctx: Any = SimpleNamespace(dirs=None)
    return make_handlers(ctx, "s3cret", throttle=UnlockThrottle(), access=CoachAccess())


def test_handlers_check_the_token_not_a_flag(
    handlers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.coach as coach

    monkeypatch.setattr(coach.rf, "list_files", lambda dirs: ["data.yaml"])
    request: Any = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))
    token = new_token()
    out = handlers["coach_unlock"](token, "s3cret", request)
    assert out[0] == token and out[1] == "Unlocked."
    # The old forgeable flag (True) and another browser's token unlock nothing.
    for forged in (True, "", new_token()):
        assert handlers["coach_validate"](forged, "data.yaml", "x") == coach.LOCKED
        assert handlers["coach_save"](forged, "data.yaml", "x", "")[0] == coach.LOCKED
    handlers["coach_lock"](token)
    assert handlers["coach_validate"](token, "data.yaml", "x") == coach.LOCKED


def test_unlock_answers_in_the_status_line_not_a_toast(
    handlers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A toast for a wrong password stayed on screen after the right one unlocked the tab: the
    outcome of every attempt (wrong, throttled, right) is the status line alone."""
    import ui.coach as coach

    toasts: list[str] = []
    monkeypatch.setattr(coach.gr, "Warning", lambda message, *a, **k: toasts.append(message))
    monkeypatch.setattr(coach.rf, "list_files", lambda dirs: ["data.yaml"])
    request: Any = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))
    token = new_token()
    assert handlers["coach_unlock"](token, "wrong", request)[1] == "Wrong password."
    assert handlers["coach_unlock"](token, "s3cret", request)[1].startswith("Too many")
    assert toasts == []
