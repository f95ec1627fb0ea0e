"""``interviewer grade``: JSON shape, the table, batch mode, bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.cli import main

pytestmark = pytest.mark.slow

ANSWER = (
    "Labels are clicks followed by thirty seconds of watching; I'd split train and test by time."
)


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "grade",
            "--stage",
            "data",
            "--problem",
            "video-recommendations",
            "--answer",
            ANSWER,
            "--json",
            "--llm",
            "offline",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert {"stage", "score", "max_score", "criteria", "missing", "engine"} <= set(out)
    assert out["stage"] == "data" and out["max_score"] == 4 and out["engine"] == "offline"
    assert 0 <= out["score"] <= 4
    for c in out["criteria"]:
        assert {"id", "score", "evidence"} <= set(c)
        assert c["evidence"] in ANSWER
    assert set(out["missing"]) == {c["id"] for c in out["criteria"] if c["score"] <= 1}


def test_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", "--stage", "data", "--answer", ANSWER]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stage data: ") and "/ 4" in out and "missing:" in out
    assert "label_definition" in out


def test_answer_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.txt"
    f.write_text(ANSWER, encoding="utf-8")
    assert main(["grade", "--stage", "data", "--answer-file", str(f), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stage"] == "data"


def test_batch_mode_reports_bad_lines_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps({"stage": "data", "answer": ANSWER}),
        "{not json",
        json.dumps({"stage": "dta", "answer": "x"}),
        "",
        json.dumps(
            {
                "stage": "evaluation",
                "answer": "NDCG at ten offline, then an A/B test.",
                "problem": "feed-ranking",
            }
        ),
        json.dumps({"stage": "data", "answer": "x", "problem": "no-such-problem"}),
        json.dumps(["a list"]),
        json.dumps({"stage": "data"}),
    ]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["grade", "--batch", str(f)])
    captured = capsys.readouterr()
    out = [json.loads(x) for x in captured.out.splitlines()]
    assert code == 2
    assert [o["line"] for o in out] == [1, 2, 3, 5, 6, 7, 8]
    assert out[0]["stage"] == "data" and out[0]["max_score"] == 4
    assert out[3]["stage"] == "evaluation" and "criteria" in out[3]
    errors = {o["line"]: o["error"] for o in out if "error" in o}
    assert set(errors) == {2, 3, 6, 7, 8}
    assert "invalid JSON" in errors[2]
    assert "did you mean 'data'" in errors[3]
    assert "no-such-problem" in errors[6]
    assert "answer" in errors[8]
    assert "bad line" in captured.err


def test_batch_all_good_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"stage": "data", "answer": ANSWER}) + "\n", encoding="utf-8")
    assert main(["grade", "--batch", str(f)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["grade", "--stage", "modelling", "--answer", "x"], "did you mean 'modeling'"),
        (
            ["grade", "--stage", "data", "--problem", "video-recs", "--answer", "x"],
            "did you mean 'video-recommendations'",
        ),
        (["grade", "--answer", "x"], "--stage"),
        (["grade", "--stage", "data"], "--answer"),
        (["grade", "--stage", "data", "--answer-file", "/no/such/file.txt"], "cannot read"),
        (["grade", "--batch", "/no/such/file.jsonl"], "cannot read"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_binary_answer_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"\x00\x01\x02binary")
    assert main(["grade", "--stage", "data", "--answer-file", str(f)]) == 2
    assert "binary" in capsys.readouterr().err
