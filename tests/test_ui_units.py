"""Fast tests of the UI's pure parts: identity, input checks, rubric file safety, rendering."""

from __future__ import annotations

import io
import re
import shutil
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from interviewer.errors import RubricError, UserInputError
from ui import render
from ui.charts import progress_figure, stage_scores_figure
from ui.context import check_message, configured_providers
from ui.identity import browser_secret, ensure_token, user_id, valid_token
from ui.rubric_files import (
    RubricDirs,
    backup_name,
    list_files,
    read_file,
    resolve_file,
    save_file,
    validate_edit,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dirs(tmp_path: Path) -> RubricDirs:
    target = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", target, ignore=shutil.ignore_patterns(".backups"))
    return RubricDirs(target, target / "problems")


# ------------------------------------------------------------------------------ identity


def test_tokens_and_user_ids() -> None:
    token = ensure_token("")
    assert valid_token(token) and ensure_token(token) == token
    for bad in ("local", "", None, 42, "A" * 32, token + "0", "../" + token[3:]):
        assert not valid_token(bad)
        assert ensure_token(bad) != bad
    uid = user_id(token)
    assert uid.startswith("web-") and token not in uid and uid == user_id(token)
    assert user_id(ensure_token("")) != uid


def test_browser_secret_is_stable_and_private(tmp_path: Path) -> None:
    first = browser_secret(tmp_path / "data")
    assert len(first) >= 32 and browser_secret(tmp_path / "data") == first
    mode = stat.S_IMODE((tmp_path / "data" / "ui-secret").stat().st_mode)
    assert mode == 0o600
    assert browser_secret(tmp_path / "other") != first


# ------------------------------------------------------------------------------ input


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("  \n\t ", "empty"),
        (None, "empty"),
        ("x" * 8001, "8,001 characters"),
        ("\x00\x01\x02\x03" * 50, "binary"),
        ("\ufffd" * 40 + "ok", "binary"),
    ],
)
def test_bad_messages_get_a_reason(text: object, reason: str) -> None:
    clean, why = check_message(text, 8000)
    assert clean is None and why is not None and reason in why


def test_good_messages_pass_cleaned() -> None:
    assert check_message("  We log clicks 👍\n  ", 8000) == ("We log clicks 👍", None)
    assert check_message("a\x00b\x07c", 8000) == ("abc", None)  # stray control chars dropped
    assert check_message("x" * 8000, 8000)[0] == "x" * 8000


def test_providers_offered_are_the_configured_ones() -> None:
    class S:
        openai_api_key = None
        openai_base_url = None

    assert configured_providers(S()) == ["offline"]
    S.openai_base_url = "http://127.0.0.1:8080/v1"  # type: ignore[assignment]
    assert configured_providers(S()) == ["offline", "openai-compatible"]


# ------------------------------------------------------------------------------ rubric files


@pytest.mark.parametrize(
    "name",
    [
        "../pyproject.toml",
        "/etc/passwd",
        "problems/../../README.md",
        "problems/../data.yaml",
        ".backups/data.yaml",
        "schema/rubric.schema.json",
        "problems/",
        "",
        "data.yaml\x00",
        "..\\data.yaml",
        "nope.yaml",
        "problems/nope.yaml",
        "problems/sub/x.yaml",
        "./data.yaml",
    ],
)
def test_only_files_inside_the_rubrics_dir_resolve(dirs: RubricDirs, name: str) -> None:
    with pytest.raises(UserInputError):
        resolve_file(dirs, name)


def test_symlinks_out_of_the_dir_are_refused(dirs: RubricDirs, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("stage: data\n")
    (dirs.rubrics / "link.yaml").symlink_to(outside)
    with pytest.raises(UserInputError):
        resolve_file(dirs, "link.yaml")


def test_list_and_read(dirs: RubricDirs) -> None:
    names = list_files(dirs)
    assert "data.yaml" in names and "problems/feed-ranking.yaml" in names
    assert all(resolve_file(dirs, n).is_file() for n in names)
    text, digest = read_file(dirs, "data.yaml")
    assert text.startswith("#") and len(digest) == 64


def test_validation_matches_the_loader_messages(dirs: RubricDirs) -> None:
    text, _ = read_file(dirs, "data.yaml")
    assert validate_edit(dirs, "data.yaml", text).ok
    result = validate_edit(dirs, "data.yaml", text.replace("stage: data", "stage: dta", 1))
    assert not result.ok
    assert all(re.match(r"^.*data\.yaml:\d+: ", line) for line in result.file_errors)
    # Renaming a criterion that a problem card overrides breaks that card: reported too.
    stage, criterion, card = _an_override(dirs)
    rubric = read_file(dirs, f"{stage}.yaml")[0]
    renamed = rubric.replace(f"id: {criterion}\n", f"id: {criterion}_renamed\n", 1)
    assert renamed != rubric
    result = validate_edit(dirs, f"{stage}.yaml", renamed)
    assert result.file_errors == [] and any(card in m for m in result.other_errors)


def _an_override(dirs: RubricDirs) -> tuple[str, str, str]:
    import yaml

    for name in list_files(dirs):
        data = yaml.safe_load(read_file(dirs, name)[0]) if name.startswith("problems/") else {}
        for stage, override in (data.get("rubric_overrides") or {}).items():
            for criterion in override.get("weights") or {}:
                return stage, criterion, name.split("/")[-1]
    raise AssertionError("no problem card overrides a rubric criterion")


def test_save_refuses_invalid_and_keeps_backups(dirs: RubricDirs) -> None:
    path = dirs.rubrics / "framing.yaml"
    original, digest = read_file(dirs, "framing.yaml")
    with pytest.raises(RubricError) as err:
        save_file(dirs, "framing.yaml", original + "\nbogus: 1\n", digest)
    assert all(":" in m for m in err.value.messages)
    assert path.read_text() == original and not (dirs.rubrics / ".backups").exists()
    assert save_file(dirs, "framing.yaml", original.rstrip("\n"), digest) is None  # no change
    edited = original.replace("title:", "title: Framing the task #", 1).rstrip("\n")
    backup = save_file(dirs, "framing.yaml", edited, digest)
    assert backup is not None and backup.read_text() == original
    assert backup.parent == dirs.rubrics / ".backups"
    assert path.read_text() == edited + "\n"
    with pytest.raises(UserInputError, match="changed on disk"):
        save_file(dirs, "framing.yaml", original, digest)  # a stale editor


def test_backup_names_are_flat_and_timestamped() -> None:
    name = backup_name("problems/feed-ranking.yaml")
    assert re.fullmatch(r"problems__feed-ranking\.\d{8}T\d{12}Z\.yaml", name)


# ------------------------------------------------------------------------------ coach tab


@pytest.mark.parametrize(
    ("query", "shown"), [("coach=1", True), ("coach", True), ("", False), ("x=coach", False)]
)
def test_coach_tab_shows_only_with_the_url_parameter(query: str, shown: bool) -> None:
    from starlette.datastructures import QueryParams

    from ui.coach import show_coach_tab

    request: Any = SimpleNamespace(query_params=QueryParams(query))
    assert show_coach_tab(request).visible is shown


# ------------------------------------------------------------------------------ rendering


def _transcript() -> dict[str, object]:
    return {
        "session_id": "abc123",
        "user": "web-secret",
        "problem": {"id": "p", "title": "P"},
        "turns": [
            {
                "role": "interviewer",
                "stage": "requirements",
                "kind": "question",
                "text": "Q?",
                "timestamp": 1.0,
                "engine": "offline",
                "target": "business_objective",
            },
            {
                "role": "candidate",
                "stage": "requirements",
                "kind": "answer",
                "text": "A.",
                "timestamp": 2.0,
                "intent": "answer",
                "grade_engine": "offline",
            },
        ],
        "report": None,
        "stage_times": {},
    }


def test_candidate_transcript_hides_grading_data_until_the_report() -> None:
    hidden = render.candidate_transcript(_transcript(), finished=False)
    assert set(hidden) == {"session_id", "problem", "turns", "report"}
    assert all(set(t) <= {"role", "stage", "kind", "text", "timestamp"} for t in hidden["turns"])
    assert "business_objective" not in str(hidden) and "web-secret" not in str(hidden)
    shown = render.candidate_transcript(_transcript(), finished=True)
    assert "user" not in shown and shown["turns"][0]["target"] == "business_objective"


def test_chat_messages_and_tracker() -> None:
    turns = _transcript()["turns"]
    chat = render.chat_messages(turns)  # type: ignore[arg-type]
    # The stage heading is its own message, never merged into the interviewer's question.
    assert [m["role"] for m in chat] == ["assistant", "assistant", "user"]
    assert chat[0]["content"] == "**Stage 1/8 · Clarify requirements & scope**"
    assert chat[1]["content"] == "Q?"
    view = {
        "id": "abc",
        "problem_title": "P <b>",
        "stage": "data",
        "finished": False,
        "stage_times": {"requirements": {"elapsed_s": 400, "budget_s": 300}},
    }
    html = render.tracker_html(view)
    assert "▶ now" in html and "6:40 / 5:00" in html and "over" in html
    assert "P &lt;b&gt;" in html and "score" not in html.lower()
    assert "Choose a problem" in render.tracker_html(None)


def test_report_scores_charts_and_exports(tmp_path: Path) -> None:
    report = {
        "overall": 2.25,
        "stages": {"requirements": 3.0, "framing": 1.5, "data": 0.0},
        "covered": {"requirements": True, "framing": True, "data": False},
    }
    assert render.stage_scores(report) == {"requirements": 3.0, "framing": 1.5}
    table = render.scores_table(report)
    assert "| Data | — |" in table and "**2.2" in table
    for fig in (
        stage_scores_figure(render.stage_scores(report)),
        progress_figure([("1. p", {"data": 2.0}), ("2. p", {"data": 3.0})]),
        progress_figure([]),
    ):
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert buf.getvalue()[:4] == b"\x89PNG"
    md, js = render.write_exports({**_transcript(), "report": report}, "# Interview report")
    assert Path(md).read_text().count("Interview report") == 1
    assert '"overall": 2.25' in Path(js).read_text()


def test_serve_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    from interviewer.cli import main

    assert main(["serve", "--port", "70000"]) == 2
    assert "bad --port 70000" in capsys.readouterr().err


def test_serve_refuses_a_busy_port_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from interviewer.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot serve on 127.0.0.1:{port}" in err and "Traceback" not in err


# ------------------------------------------------------------------------------ processing


def test_one_trip_sends_what_gradio_processing_sends() -> None:
    """An event wired with ui.processing.one_trip gets the same handler arguments and sends
    the same outputs as Gradio's own preprocess/postprocess (plain values, updates with and
    without a value, skips, state)."""
    import asyncio

    import gradio as gr
    from gradio.state_holder import SessionState

    from ui.processing import one_trip

    seen: list[tuple[Any, ...]] = []

    def handler(token: Any, sid: Any, text: Any) -> tuple[Any, ...]:
        seen.append((token, sid, text))
        chat = [{"role": "user", "content": "hi **there**"}, render.note("a note")]
        return (chat, "<b>tracker</b>", "  flow\n  line", gr.skip(), "key", gr.update(value=7))

    with gr.Blocks() as demo:
        token, sid = gr.BrowserState(""), gr.BrowserState("")
        text = gr.Textbox()
        outputs = [gr.Chatbot(), gr.HTML(), gr.Markdown(), gr.Textbox(), gr.State(""), gr.Textbox()]
        plain = gr.Button().click(handler, [token, sid, text], outputs)
        trip = gr.Button().click(**one_trip(handler, [token, sid, text], outputs))

    async def run(event: Any) -> Any:
        fn = demo.fns[event["id"]]
        state = SessionState(demo)
        out = await demo.process_api(fn, ["tok", None, "typed"], state=state)
        return out["data"], state[outputs[4]._id]

    assert asyncio.run(run(trip)) == asyncio.run(run(plain))
    assert seen[0] == seen[1] == ("tok", "", "typed")  # BrowserState's None is its default
