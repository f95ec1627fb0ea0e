"""Hostile input: every case costs bounded time and memory and ends in one clear line.

The tables grow: when a probe finds a new way in, add its (input, expected one-line reason) row
here. Each row is checked for the reason, for being one line, and for its cost.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interviewer.rubrics.documents import parse_problem_source, parse_rubric_source
from interviewer.rubrics.loader import validate_dir
from interviewer.rubrics.yamlsource import MAX_YAML_CHARS, MAX_YAML_DEPTH

ROOT = Path(__file__).resolve().parent.parent


def alias_bomb(levels: int = 10, width: int = 9) -> str:
    """A 'billion laughs' rubric: ``width ** levels`` strings once expanded (9**10 ~ 3.5e9)."""
    lines = ["stage: data", "title: Data", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    lines.append(f"criteria: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def alias_only_bomb() -> str:
    """Aliases to an anchor declared on the first line; refused at the first anchor."""
    return 'a: &x "' + "lol" * 1000 + '"\n' + "".join(f"k{i}: [*x, *x, *x]\n" for i in range(200))


@contextmanager
def bounded(seconds: float, megabytes: float) -> Iterator[None]:
    """Assert the block ran within ``seconds`` and allocated at most ``megabytes`` at peak."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s (limit {seconds} s)"
    assert peak < megabytes * 2**20, f"peak {peak / 2**20:.1f} MB (limit {megabytes} MB)"


# (case id, YAML text, expected line, expected reason) — parsed as rubric ``data.yaml``.
YAML_CASES: list[tuple[str, Callable[[], str], int, str]] = [
    ("alias_bomb", alias_bomb, 3, "YAML anchors (&l0) are not allowed"),
    ("alias_only_bomb", alias_only_bomb, 1, "YAML anchors (&x) are not allowed"),
    ("bare_alias", lambda: "stage: data\ntitle: *t\n", 2, "YAML aliases (*t) are not allowed"),
    (
        "merge_key",
        lambda: "stage: data\n<<: {title: Data}\nbase: &b {weight: 1}\n",
        3,
        "YAML anchors (&b) are not allowed",
    ),
    (
        "deep_flow_nesting",
        lambda: "stage: data\ntitle: " + "[" * 200 + "]" * 200 + "\n",
        2,
        f"nested too deeply (the limit is {MAX_YAML_DEPTH} levels)",
    ),
    (
        "deep_block_nesting",
        lambda: "stage: data\n" + "".join("  " * i + f"k{i}:\n" for i in range(60)) + "\n",
        MAX_YAML_DEPTH + 2,
        "nested too deeply",
    ),
    (
        "huge_file",
        lambda: "stage: data\ntitle: '" + "x" * (MAX_YAML_CHARS + 10) + "'\n",
        1,
        "file too large",
    ),
    (
        "huge_integer",
        lambda: "stage: data\ntitle: Data\nweight: " + "9" * 5000 + "\n",
        3,
        "cannot read this value",
    ),
    ("impossible_date", lambda: "stage: data\ntitle: 2024-13-45\n", 2, "cannot read this value"),
    ("control_character", lambda: "stage: data\ntitle: \x07\n", 1, "invalid YAML"),
    ("python_tag", lambda: "stage: !!python/object:os.system ls\n", 1, "invalid YAML"),
    (
        "long_value_in_message",
        lambda: "stage: " + "d" * 50_000 + "\ntitle: Data\n",
        1,
        "is not an allowed value",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [pytest.param(t, ln, r, id=i) for i, t, ln, r in YAML_CASES],
)
def test_hostile_yaml_is_refused_with_file_line_and_bounded_cost(
    text: Callable[[], str], line: int, reason: str
) -> None:
    source = text()
    with bounded(seconds=1.0, megabytes=60):
        model, _src, errors = parse_rubric_source(source, "data.yaml")
    assert model is None
    assert errors, "expected at least one error"
    first = errors[0]
    assert first.startswith(f"data.yaml:{line}: "), first
    assert reason in first, first
    for msg in errors:
        assert "\n" not in msg and len(msg) < 400, msg  # one short line, no expanded value


def test_problem_cards_refuse_aliases_too() -> None:
    _, _, errors = parse_problem_source("id: x\ntitle: &t X\nprompt: *t\n", "x.yaml")
    assert errors == ["x.yaml:2: YAML anchors (&t) are not allowed; write the value out in full"]


@pytest.fixture
def bomb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", target, ignore=shutil.ignore_patterns(".backups"))
    (target / "data.yaml").write_text(alias_bomb(), encoding="utf-8")
    return target


def test_alias_bomb_in_a_rubrics_dir_is_refused_at_once(bomb_dir: Path) -> None:
    # The bomb costs milliseconds (the table above); this also validates the 16 good files,
    # under tracemalloc, on a shared machine: hence the wider time bound.
    with bounded(seconds=5.0, megabytes=60):
        errors = validate_dir(bomb_dir)
    assert [e for e in errors if "data.yaml" in e] == [
        f"{bomb_dir / 'data.yaml'}:3: YAML anchors (&l0) are not allowed; "
        "write the value out in full"
    ]


def test_cli_refuses_alias_bomb_with_exit_2(bomb_dir: Path) -> None:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "rubrics", "validate", str(bomb_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr
    assert "YAML anchors (&l0) are not allowed" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert elapsed < 10  # interpreter start included; the refusal itself is milliseconds


def test_coach_editor_refuses_alias_bomb_at_once(bomb_dir: Path) -> None:
    from ui.rubric_files import RubricDirs, validate_edit

    dirs = RubricDirs(bomb_dir, bomb_dir / "problems")
    (bomb_dir / "data.yaml").write_text((ROOT / "rubrics" / "data.yaml").read_text())
    with bounded(seconds=5.0, megabytes=60):  # two passes over the whole dir, as above
        result = validate_edit(dirs, "data.yaml", alias_bomb(levels=12))
    assert not result.ok
    assert result.file_errors[0].endswith(
        "data.yaml:3: YAML anchors (&l0) are not allowed; write the value out in full"
    )


# ---------------------------------------------------------------------------- corpus files


def bomb_pdf(decompressed: int, fill: bytes = b"0") -> bytes:
    """A one-page PDF whose content stream inflates to ``decompressed`` bytes (zlib ~1000:1)."""
    import zlib

    comp = zlib.compressobj(9)
    block = fill * 2**20
    parts = [comp.compress(block) for _ in range(decompressed // len(block))]
    stream = b"".join(parts) + comp.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources "
        b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


GOOD_MD = (
    "# Monitoring\n\n## Drift\n\nData drift means the live input distribution moves away from "
    "the training data; compare weekly windows with the population stability index.\n"
)


def hostile_folder(root: Path) -> Path:
    """The issue's folder: a decompression bomb, a symlink loop, an oversized file, a good one."""
    d = root / "guides"
    d.mkdir()
    (d / "good.md").write_text(GOOD_MD, encoding="utf-8")
    (d / "bomb.pdf").write_bytes(bomb_pdf(8 * 2**20))  # past the 4 MB limit set below
    (d / "loop-a.md").symlink_to(d / "loop-b.md")
    (d / "loop-b.md").symlink_to(d / "loop-a.md")
    (d / "huge.txt").write_bytes(b"drift " * (3 * 2**20 // 6 + 10))  # > 2 MB limit set below
    (d / "wide.txt").write_text("feature store " * 30_000, encoding="utf-8")  # > text limit
    return d


# (file, expected one-line reason) for the folder above, limits as in the ingest tests below.
CORPUS_CASES = [
    ("guides/bomb.pdf", "PDF stream decompresses past 4.0 MB (a decompression bomb?"),
    ("guides/loop-a.md", "symlink loop"),
    ("guides/loop-b.md", "symlink loop"),
    ("guides/huge.txt", "file too large (3.0 MB; the limit is 2.0 MB"),
    ("guides/wide.txt", "too much text (420,000 characters or more; the limit is 300,000"),
]


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.settings import get_settings

    monkeypatch.setenv("INTERVIEWER_INGEST_MAX_FILE_MB", "2")
    monkeypatch.setenv("INTERVIEWER_INGEST_MAX_TEXT_CHARS", "300000")
    monkeypatch.setenv("INTERVIEWER_INGEST_MAX_PDF_STREAM_MB", "4")
    get_settings.cache_clear()


def test_each_hostile_corpus_file_gets_its_reason_and_bounded_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_limits: None
) -> None:
    from interviewer.ingest.pipeline import load_and_chunk

    monkeypatch.chdir(tmp_path)
    hostile_folder(tmp_path)
    with bounded(seconds=20.0, megabytes=120):
        prepared, problems = load_and_chunk(["guides"])
    assert [p.loaded.source for p in prepared] == ["guides/good.md"]
    reasons = {p.source: p.reason for p in problems}
    assert set(reasons) == {f for f, _ in CORPUS_CASES}
    for source, expected in CORPUS_CASES:
        assert reasons[source].startswith(expected), (source, reasons[source])
        assert "\n" not in reasons[source]


def test_a_symlink_loop_given_by_name_is_named_a_loop(tmp_path: Path) -> None:
    from interviewer.ingest.loaders import discover

    (tmp_path / "a.md").symlink_to(tmp_path / "b.md")
    (tmp_path / "b.md").symlink_to(tmp_path / "a.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    found = discover([tmp_path / "a.md", tmp_path / "dangling.md"])
    assert [p.reason for p in found.problems] == [
        "symlink loop",
        "broken symlink (its target does not exist)",
    ]


def test_an_unexpected_exception_in_one_file_skips_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a parser raises (here a KeyError from 'html'), the file is skipped, not the run."""
    from interviewer.ingest import pipeline
    from interviewer.ingest.pipeline import load_and_chunk

    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.md").write_text(GOOD_MD, encoding="utf-8")
    (tmp_path / "odd.html").write_text("<p>hello</p>", encoding="utf-8")

    def explode(text: str) -> str:
        raise KeyError("surprise")

    monkeypatch.setattr(pipeline, "html_to_markdown", explode)
    prepared, problems = load_and_chunk(["good.md", "odd.html"])
    assert [p.loaded.source for p in prepared] == ["good.md"]
    assert [str(p) for p in problems] == ["odd.html: cannot read (KeyError: 'surprise')"]


@pytest.mark.slow
def test_ingest_cli_skips_each_bad_file_ingests_the_good_one_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    small_limits: None,
) -> None:
    import json

    from interviewer.cli import main

    monkeypatch.chdir(tmp_path)
    hostile_folder(tmp_path)
    code = main(["ingest", "guides", "--index", "idx", "--json", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 2
    summary = json.loads(out)
    assert summary["files"] == 1 and summary["added"] >= 1
    lines = err.strip().splitlines()
    assert len(lines) == len(CORPUS_CASES) and "Traceback" not in err
    for source, expected in CORPUS_CASES:
        assert f"interviewer: skipped {source}: {expected}" in err


# ---------------------------------------------------------------------------- chat messages

# (message, expected: the one-line reason it is refused, or None when it is sent (cleaned)).
MESSAGE_CASES: list[tuple[str, object, str | None]] = [
    ("empty", "", "was empty"),
    ("whitespace", " \n\t ", "was empty"),
    ("not_text", 12345, "was empty"),
    ("huge", "latency " * 20_000, "characters; answers are limited to"),
    ("binary", "\x00\x01\x02\x03\x04\x05" * 50, "looks like binary data"),
    ("only_surrogates", "\ud800" * 40, "nothing was sent"),
    ("forty_lone_surrogates", "We shard by user id " + "\udc80" * 40 + " and cache.", None),
    ("split_emoji", "Latency matters \ud83d\ude00 a lot", None),
    ("control_chars", "two-tower\x07 retrieval\x1b", None),
]


@pytest.mark.parametrize(
    ("message", "reason"), [pytest.param(m, r, id=i) for i, m, r in MESSAGE_CASES]
)
def test_hostile_chat_messages(message: object, reason: str | None) -> None:
    from ui.context import check_message

    with bounded(seconds=1.0, megabytes=20):
        text, problem = check_message(message, 8000)
    if reason is None:
        assert problem is None and text
        text.encode("utf-8")  # sendable back to the page
        assert "shard" in text or "Latency" in text or "two-tower" in text
    else:
        assert text is None and problem is not None and reason in problem
        assert "\n" not in problem


def test_lone_surrogates_are_cleaned_not_dropped() -> None:
    from ui.context import check_message

    text, problem = check_message("We shard by user id " + "\udc80" * 40 + " and cache.", 8000)
    assert problem is None and text == "We shard by user id  and cache."
    text, _ = check_message("Latency matters \ud83d\ude00 a lot", 8000)
    assert text == "Latency matters \U0001f600 a lot"


INERT_CASES = [
    ("![x](https://evil.example/p.png)", "https://evil.example/p.png"),
    ('![](http://e.example/a.gif "t")', "http://e.example/a.gif"),
    ("[click me](https://phish.example)", "https://phish.example"),
    ("see https://evil.example/track?u=1 now", "https://evil.example/track?u=1"),
    ("www.evil.example/x", "www.evil.example/x"),
    ('<img src="https://evil.example/p.png">', "data-blocked-src"),
    ("[ref]: https://evil.example/r", "https://evil.example/r"),
]


@pytest.mark.parametrize(("text", "kept"), INERT_CASES)
def test_candidate_markdown_fetches_and_links_nothing(text: str, kept: str) -> None:
    import re

    from ui.render import chat_messages

    [message] = chat_messages([{"role": "candidate", "text": text, "stage": "data"}])
    out = message["content"]
    assert kept in out  # the candidate's words stay visible
    # No Markdown image or link syntax outside code spans, no live src/href.
    outside_code = re.sub(r"`[^`]*`|data-blocked-\w+=\"[^\"]*\"", "", out)
    assert not re.search(r"!?\[[^\]]*\]\([^)]*\)", outside_code), out
    assert not re.search(r"https?://|www\.", outside_code), out
    assert not re.search(r"\b(src|href)\s*=", outside_code), out


def test_report_markdown_is_untouched_by_the_inert_filter() -> None:
    from ui.safe_text import inert_markdown

    table = "| Stage | Score |\n|---|---|\n| **Data** | 2.5 |\n\nRead: `corpus/03-data.md`"
    assert inert_markdown(table) == table


def test_security_headers_fit_gradio() -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from ui.safe_text import SecurityHeaders

    async def home(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", home)], middleware=[Middleware(SecurityHeaders)])
    headers = TestClient(app).get("/").headers
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["content-security-policy"] == "frame-ancestors 'self'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


# ---------------------------------------------------------------------------- API arguments

# (problem argument, expected one-line reason from the handler's validation)
PROBLEM_ARGS = [
    ("no-such-problem", "unknown problem 'no-such-problem'"),
    ("\ud800bad", "unknown problem '\\ud800bad'"),
    ("x" * 5000, "unknown problem 'xxxx"),
    ("../../etc/passwd", "unknown problem '../../etc/passwd'"),
]


@pytest.mark.parametrize(("value", "reason"), PROBLEM_ARGS)
def test_invalid_problem_argument_is_one_escaped_line(value: str, reason: str) -> None:
    from interviewer.errors import UnknownIdError
    from interviewer.settings import get_settings
    from ui.context import AppContext

    ctx = AppContext(settings=get_settings())
    with pytest.raises(UnknownIdError) as err:
        ctx.pick_problem(value)
    message = str(err.value)
    assert message.startswith(reason) and "\n" not in message
    message.encode("utf-8")  # no lone surrogate: the response can be encoded
