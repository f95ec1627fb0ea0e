"""The rubric index cache: concurrent first callers share one build (no embedding model here:
the build is replaced by a slow counting stub)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from interviewer.grading import index as index_mod
from interviewer.grading.index import RubricIndex, rubric_index
from interviewer.rubrics.loader import get_rubric
from interviewer.rubrics.models import Rubric


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    index_mod.clear()
    yield
    index_mod.clear()


def _counting_build(
    monkeypatch: pytest.MonkeyPatch, delay: float = 0.3, fail_first: bool = False
) -> list[str]:
    calls: list[str] = []
    lock = threading.Lock()

    def fake_build(rubric: Rubric) -> RubricIndex:
        with lock:
            calls.append(rubric.stage)
            n = len(calls)
        time.sleep(delay)  # long enough that every thread arrives while the build runs
        if fail_first and n == 1:
            raise RuntimeError("embedding failed")
        return RubricIndex(
            stage=rubric.stage,
            criteria=(),
            stage_matcher=None,  # type: ignore[arg-type]
        )

    monkeypatch.setattr(index_mod, "_build", fake_build)
    return calls


def test_concurrent_first_calls_build_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_build(monkeypatch)
    rubric = get_rubric("features")
    copies = [rubric.model_copy(deep=True) for _ in range(4)]  # same content, other objects
    barrier = threading.Barrier(20)

    def call(i: int) -> RubricIndex:
        barrier.wait()
        return rubric_index(rubric if i % 5 == 0 else copies[i % 4])

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(call, range(20)))
    assert calls == ["features"]
    assert all(r is results[0] for r in results)
    assert rubric_index(rubric) is results[0] and calls == ["features"]


def test_different_rubrics_build_in_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_build(monkeypatch, delay=0.5)
    rubrics = [get_rubric(s) for s in ("framing", "data", "features", "modeling")]
    barrier = threading.Barrier(8)

    def call(i: int) -> RubricIndex:
        barrier.wait()
        return rubric_index(rubrics[i % 4])

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(8)))
    elapsed = time.perf_counter() - start
    assert sorted(calls) == sorted(["framing", "data", "features", "modeling"])
    assert [r.stage for r in results] == ["framing", "data", "features", "modeling"] * 2
    assert elapsed < 1.5  # four 0.5 s builds side by side, not one after another


def test_a_failed_build_reaches_waiters_and_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_build(monkeypatch, fail_first=True)
    rubric = get_rubric("data")
    barrier = threading.Barrier(5)

    def call(_: int) -> str:
        barrier.wait()
        try:
            return rubric_index(rubric).stage
        except RuntimeError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(call, range(5)))
    assert outcomes == ["embedding failed"] * 5 and len(calls) == 1
    assert rubric_index(rubric).stage == "data" and len(calls) == 2  # not cached as failed
