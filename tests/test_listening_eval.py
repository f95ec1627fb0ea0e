"""The listening benchmark: moments replayed through the real service, checked and summarised.

The moments here are written for the tests (never the blind sets in evals/listening/, which are
measured once, honestly, by hand). They double as end-to-end checks of the listening policy:
a wrong claim is taken up, a paraphrased question gets the right fact, a hedge stays an answer,
what was covered earlier is not probed, and the earlier policy (v1) really behaves differently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.listening.__main__ import main, run_moments
from evals.listening.metrics import moment_checks, summarise
from evals.listening.moments import Moment, load_set
from evals.listening.replay import Outcome

pytestmark = pytest.mark.slow


def _m(**kw: Any) -> Moment:
    base: dict[str, Any] = {"history": [], "expect": {}}
    base.update(kw)
    return Moment.model_validate(base)


MOMENTS = [
    _m(
        id="t-claim",
        problem="fraud-detection",
        stage="data",
        category="wrong_claim",
        message="Labels from chargebacks. For testing I'd hold out 20% of payments randomly.",
        expect={"reaction": "challenge", "claim": "hold out 20% of payments randomly"},
    ),
    _m(
        id="t-correct",
        problem="fraud-detection",
        stage="data",
        category="unusual_correct",
        message="I would not split randomly: train on older months and test on a later, "
        "fully matured window, because chargebacks arrive weeks late.",
        expect={"challenge": False},
    ),
    _m(
        id="t-clarify",
        problem="support-chatbot-rag",
        stage="requirements",
        category="clarify",
        message="what happens if the bot gives a wrong answer?",
        expect={"reaction": "clarify", "facts": ["hallucination_risk"]},
    ),
    _m(
        id="t-hedge",
        problem="video-recommendations",
        stage="framing",
        category="hedge",
        message="watch time I guess?",
        expect={"answer": True},
    ),
    _m(
        id="t-covered",
        problem="fraud-detection",
        stage="evaluation",
        category="covered",
        history=[
            {
                "stage": "framing",
                "text": "Offline I'd track precision and recall at the operating threshold and "
                "PR-AUC, since fraud is 0.1%; online, fraud dollars caught and the false "
                "decline rate in an A/B test.",
            }
        ],
        message="I'd evaluate on a later month of payments with matured labels.",
        expect={"covered": ["offline_metrics"]},
    ),
]


def test_replayed_moments_are_checked_and_summarised(tmp_path: Path) -> None:
    rows = run_moments(MOMENTS, progress=False)
    by_id = {r["id"]: r for r in rows}
    assert not any(r["error"] for r in rows), [r["error"] for r in rows]
    claim = by_id["t-claim"]
    assert claim["checks"]["claim_taken_up"], claim["replies"]
    (challenge,) = [r for r in claim["replies"] if r["subkind"] == "challenge"]
    assert challenge["misconception"] == "random_split_time_ordered"
    assert "randomly" in challenge["text"]  # the candidate's own words are quoted
    assert not by_id["t-correct"]["checks"]["false_challenge"], by_id["t-correct"]["replies"]
    assert by_id["t-clarify"]["checks"]["clarify_right_fact"], by_id["t-clarify"]["replies"]
    assert by_id["t-hedge"]["checks"]["hedge_kept"], by_id["t-hedge"]
    assert by_id["t-covered"]["checks"]["probe_on_covered"] is False
    summary = summarise(rows)
    assert summary["claims_taken_up"] == {"rate": 1.0, "k": 1, "n": 1}
    assert summary["targets_met"]["hedges_kept"] is True
    # the earlier policy lets the wrong claim pass: the knob really changes behaviour
    old = {r["id"]: r for r in run_moments(MOMENTS[:1], policy="v1", progress=False)}
    assert not old["t-claim"]["checks"]["claim_taken_up"]


def test_checks_read_only_the_outcome_fields() -> None:
    m = MOMENTS[4]
    probe = {"subkind": "probe", "target": "offline_metrics", "facts": [], "text": "?"}
    checks = moment_checks(m, Outcome(m.id, m.category, "answer", [probe]), [])
    assert checks["probe_on_covered"] is True
    assert checks["off_family"] is False
    assert moment_checks(m, Outcome(m.id, m.category, "answer", []), ["items"])["off_family"]


def test_the_cli_writes_rows_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "m.jsonl"
    src.write_text(MOMENTS[3].model_dump_json() + "\n", encoding="utf-8")
    out = tmp_path / "rows.jsonl"
    assert main(["--set", str(src), "--no-progress", "--out", str(out)]) == 0
    assert "hedges_kept" in capsys.readouterr().out
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["id"] == "t-hedge" and row["checks"]["hedge_kept"]


def test_the_blind_sets_parse_and_are_big_enough() -> None:
    moments = load_set()
    assert len(moments) >= 120
    cats = {m.category for m in moments}
    assert {"covered", "gap", "clarify", "wrong_claim", "unusual_correct", "hedge"} <= cats


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "No such file"), ("{not json\n", "bad.jsonl:1"), ('{"id": 1}\n', "bad.jsonl:1")],
)
def test_a_bad_moment_set_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, reason: str
) -> None:
    path = tmp_path / "bad.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["--set", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot load moment set") and reason in err
    assert len(err.splitlines()) == 1
