"""`interviewer bench`: every DESIGN.md key is reported (no timing asserts: machines differ)."""

from __future__ import annotations

import json

import pytest

from evals.bench import table, targets

DESIGN_KEYS = (
    "turn_overhead_ms_p50",
    "turn_overhead_ms_p95",
    "raw_embed_query_ms_p50",
    "grade_ms_p50",
    "ingest_chunks_per_s",
    "raw_embed_chunks_per_s",
    "help_s",
    "app_ready_s",
    "rss_mb_peak",
    "max_prompt_tokens",
    "stt_rtf",
    "tts_rtf",
)


def test_targets_pass_and_fail_on_the_design_thresholds() -> None:
    good = {
        "turn_overhead_ratio": 2.0,
        "turn_overhead_ms_p50": 40.0,
        "ingest_ratio": 0.9,
        "help_s": 0.2,
        "max_prompt_tokens": 900,
        "max_prompt_tokens_early": 900,
        "max_prompt_tokens_late": 880,
        "cross_talk_sessions": 0,
        "stt_rtf": 0.1,
        "tts_rtf": 0.05,
        "app_turn_ratio": 2.5,
        "app_gradio_client_turn_ratio": 2.8,
        "app_burst_ratio": 1.2,
        "app_payload_bytes_turn5": 10_000,
        "app_payload_bytes_last_turn": 9_000,
    }
    assert all(t["pass"] for t in targets(good, 3000).values())
    bad = {
        **good,
        "turn_overhead_ratio": 3.5,
        "ingest_ratio": 0.5,
        "help_s": 0.7,
        "max_prompt_tokens": 4000,
        "max_prompt_tokens_late": 2000,
        "stt_rtf": 0.5,
        "app_turn_ratio": 3.5,
        "app_gradio_client_turn_ratio": 3.2,
        "app_payload_bytes_last_turn": 20_000,
    }
    res = targets(bad, 3000)
    assert [k for k, t in res.items() if t["pass"] is False] == [
        "turn_overhead_ratio",
        "ingest_ratio",
        "help_s",
        "max_prompt_tokens",
        "prompt_tokens_growth",
        "stt_rtf",
        "app_turn_ratio",
        "app_gradio_client_turn_ratio",
        "app_payload_growth",
    ]
    assert targets({}, 3000)["help_s"]["pass"] is None
    assert "FAIL" in table({**bad, "targets": res})


@pytest.mark.slow
def test_bench_quick_json_has_every_design_key(capsys: pytest.CaptureFixture[str]) -> None:
    from interviewer.cli import main

    assert main(["bench", "--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in (*DESIGN_KEYS, "turn_overhead_ratio", "ingest_ratio"):
        assert key in result and result[key] is not None, (key, result.get("app_ready_error"))
    assert set(result["targets"]) >= {
        "turn_overhead_ratio",
        "ingest_ratio",
        "help_s",
        "max_prompt_tokens",
    }
    assert result["cross_talk_sessions"] == 0


def test_burst_rounds_run_back_to_back_and_report_the_median_round_ratio() -> None:
    """After an unmeasured warm-up round, the service's and the app's bursts alternate (the
    order flips every round) and the target figure is the median of the rounds' p95 ratios,
    beside the pooled p95s."""
    from evals.burst import paired_bursts

    calls: list[str] = []

    class Side:
        clients, turns = 20, 2

        def __init__(self, name: str, p95s: list[float]) -> None:
            self.name, self.p95s = name, iter(p95s)
            self.cross_talk: list[str] = []
            self.errors: list[str] = []

        def warm(self) -> None:
            calls.append(f"warm {self.name}")

        def close(self) -> None:
            calls.append(f"close {self.name}")

        def run(self) -> list[float]:
            calls.append(self.name)
            return [next(self.p95s)] * 10

    # The warm-up round is slow on one side only; round 2 has a spike of outside load on one.
    service = Side("service", [900.0, 100.0, 200.0, 100.0])
    app = Side("app", [110.0, 120.0, 500.0, 130.0])
    settle = lambda: calls.append("settle")  # noqa: E731
    out = paired_bursts(service, app, 3, settle=settle)  # type: ignore[arg-type]
    bursts = [c for c in calls if c in ("service", "app")]
    assert bursts == ["app", "service", "service", "app", "app", "service", "service", "app"]
    assert calls.count("settle") == 8 and calls[:2] == ["warm service", "warm app"]
    assert calls[-2:] == ["close service", "close app"]
    assert out["app_burst_round_ratios"] == [1.2, 2.5, 1.3]
    assert out["app_burst_ratio"] == 1.3  # the median round, not the spike
    assert out["burst_rounds"] == 3 and out["cross_talk_sessions"] == 0
    assert out["concurrent_turn_ms_p95"] == 200.0 and out["app_burst20_turn_ms_p95"] == 500.0
    assert out["app_burst_ratio_pooled"] == 2.5
    assert "median" in out["app_burst_ratio_method"]
    assert targets(out, 3000)["app_burst_ratio"]["pass"] is True
