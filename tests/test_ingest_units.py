"""Loaders, cleaning, structure and chunking without the model or Chroma (fast)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from interviewer import tokens
from interviewer.ingest.chunking import MAX_TOKENS, OVERLAP_TOKENS, chunk_document
from interviewer.ingest.clean import clean_text, cross_file_repeats, html_to_markdown, is_cta
from interviewer.ingest.loaders import FileProblem, decode_text, discover, read_file, source_label
from interviewer.ingest.stage_infer import infer_stage
from interviewer.ingest.structure import heading_text, parse_document
from interviewer.stages import STAGE_IDS

SEEDS = Path("/work/shared/seeds")
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="seed guides not present")


# --- loaders -------------------------------------------------------------------------------


def test_decode_rejects_binary_and_non_utf8_and_strips_bom() -> None:
    with pytest.raises(ValueError, match="binary"):
        decode_text(b"abc\x00def")
    with pytest.raises(ValueError, match="control characters"):
        decode_text(bytes(range(1, 9)) * 20)
    with pytest.raises(ValueError, match=r"not valid UTF-8 \(byte 0xe9 at offset 3\)"):
        decode_text("Café".encode("latin-1"))
    assert decode_text("\ufeffhello".encode()) == "hello"


def test_discover_recurses_skips_hidden_and_reports_bad_paths(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / ".hidden").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nbody\n")
    (tmp_path / "docs" / "sub" / "b.TXT").write_text("body\n")
    (tmp_path / "docs" / ".hidden" / "c.md").write_text("hidden\n")
    (tmp_path / "docs" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "notes.docx").write_text("x")
    monkeypatch.chdir(tmp_path)
    found = discover(["docs/", "missing.md", "notes.docx", str(tmp_path / "docs" / "a.md")])
    assert [f.source for f in found.files] == ["docs/a.md", "docs/sub/b.TXT"]
    assert found.folders == ["docs"]
    reasons = {p.source: p.reason for p in found.problems}
    assert reasons["missing.md"] == "no such file or directory"
    assert "unsupported file type '.docx'" in reasons["notes.docx"]


def test_source_label_is_relative_under_cwd(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert source_label("./corpus//x.md") == "corpus/x.md"
    assert source_label(tmp_path / "corpus" / "x.md") == "corpus/x.md"
    assert source_label("/elsewhere/x.md") == "/elsewhere/x.md"


def test_read_file_reports_empty(tmp_path: Path) -> None:
    (tmp_path / "e.md").write_text("  \n\n")
    found = discover([tmp_path / "e.md"]).files[0]
    item = read_file(found)
    assert isinstance(item, FileProblem) and item.reason == "file is empty"


# --- cleaning ------------------------------------------------------------------------------


@needs_seeds
def test_clean_drops_marketing_tail_and_byline_but_keeps_content() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    seed = next(t for t in texts if "Register for our webinar" in t)
    out = clean_text(seed, cross_file_repeats(texts)).text
    for junk in (
        "Register for our webinar",
        "Reading Time",
        "Loading_icon",
        "Time Zone",
        "years of experience creating",
        "Power Patterns",
        "Select a Date",
    ):
        assert junk not in out, junk
    # the real content right before the ad footer, and the key sections, survive
    assert "One focused practice session per day for four weeks" in out
    assert "point-in-time correctness" in out
    assert "Key Takeaways" in out


def test_cta_patterns_spare_real_features() -> None:
    for content in (
        "- Context: browser, login location, time zone, device",
        "User features: age, registration date, phone number verified",
        "By default the model retrains nightly",
        "Predict whether a user will subscribe after the free tier",
    ):
        assert not is_cta(content), content
    for junk in (
        "Subscribe to our newsletter",
        "By Jane Doe",
        "| Reading Time: 3 minutes",
        "Accept all cookies",
        "Share on LinkedIn",
        "00",
        "Time Zone: Asia/Kolkata",
    ):
        assert is_cta(junk), junk


def test_repeated_lines_removed_within_and_across_files() -> None:
    ad = "Join thousands of engineers who landed their dream job with us"
    a = f"Intro\n\nReal content about drift detection.\n\n{ad}\n\nMore content.\n\n{ad}\n"
    b = f"Other text about canaries.\n\n{ad}\n"
    assert ad not in clean_text(a).text
    assert ad not in clean_text(b, cross_file_repeats([a, b])).text
    assert "Real content about drift detection." in clean_text(a).text
    # short labels that repeat are structure, not marketing
    c = "Running Example\nbody one is here.\n\nRunning Example\nbody two is here.\n"
    assert clean_text(c).text.count("Running Example") == 2


def test_markdown_is_left_alone() -> None:
    md = (
        "# Title\n\n<!-- stage: data -->\n\n## Labels\n\nClicks are implicit labels.\n\n"
        "```\ncode line\ncode line\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert clean_text(md).text.strip() == md.strip()


def test_html_to_markdown_drops_chrome() -> None:
    html = """<html><head><title>T</title><script>x=1</script></head><body>
      <nav>Home | Blog</nav><div class="cookie-banner">We use cookies</div>
      <article><h1>Serving</h1><p>Canary first.</p><ul><li>shadow</li><li>rollback</li></ul>
      <h2>Caching</h2><p>Cache <b>popular</b> results.</p></article>
      <aside>Related posts</aside><footer>(c) 2024</footer></body></html>"""
    md = html_to_markdown(html)
    assert "# Serving" in md and "## Caching" in md and "- shadow" in md
    assert "Cache popular results." in md
    for junk in ("Home | Blog", "cookies", "Related posts", "2024", "x=1"):
        assert junk not in md


# --- structure -----------------------------------------------------------------------------


def test_markdown_stage_tags_file_and_section_level() -> None:
    md = (
        "# Guide\n\n<!-- stage: features -->\n\n## Encodings\n\nOne-hot for small sets.\n\n"
        "### Hashing\n\nHash big vocabularies.\n\n## Serving\n\n<!-- stage: deployment -->\n\n"
        "Serve online.\n\n### Caching\n\nCache hot items.\n"
    )
    doc = parse_document(md, "markdown", "fallback", STAGE_IDS)
    got = {s.heading: s.stage for s in doc.sections}
    assert got == {
        "Guide > Encodings": "features",
        "Guide > Encodings > Hashing": "features",
        "Guide > Serving": "deployment",
        "Guide > Serving > Caching": "deployment",
    }
    assert all("<!--" not in s.body for s in doc.sections)


def test_plain_text_heading_inference() -> None:
    text = (
        "My Guide To Interviews\n\nStep 1: Clarify Requirements\n\n"
        "Ask about users, scale and latency before anything else in the interview.\n\n"
        "Scale questions\n\nHow many daily users are there and how many requests per second?"
        " This sets the serving budget.\n\nStep 2: Data\n\nLabels come from clicks.\n"
    )
    doc = parse_document(text, "text", "fallback", STAGE_IDS)
    assert doc.title == "My Guide To Interviews"
    assert [s.heading for s in doc.sections] == [
        "My Guide To Interviews > Step 1: Clarify Requirements",
        "My Guide To Interviews > Step 1: Clarify Requirements > Scale questions",
        "My Guide To Interviews > Step 2: Data",
    ]
    assert heading_text("This is a sentence.") is None
    assert heading_text("- a list item") is None
    assert heading_text("What is drift?") is None


# --- chunking ------------------------------------------------------------------------------


def _long_section(n_sentences: int) -> str:
    return " ".join(
        f"Sentence number {i} explains one more detail of feature stores and joins."
        for i in range(n_sentences)
    )


def test_chunks_are_bounded_overlap_and_deterministic() -> None:
    md = f"# Doc\n\n## Big\n\n{_long_section(80)}\n\n## Small\n\nShort section body here.\n"
    doc = parse_document(md, "markdown", "x", STAGE_IDS)
    chunks = chunk_document(doc, "doc.md", "sha")
    big = [c for c in chunks if c.heading == "Doc > Big"]
    assert len(big) >= 3
    assert all(c.n_tokens <= MAX_TOKENS for c in chunks)
    for prev, nxt in itertools.pairwise(big):
        head = nxt.text.split(". ")[0]
        assert head in prev.text  # overlap: the next chunk starts with the previous tail
        overlap = tokens.count_tokens(nxt.text[: nxt.text.find(head) + len(head)])
        assert overlap <= OVERLAP_TOKENS * 1.5
    assert all(c.text.rstrip().endswith(".") for c in big)  # no mid-sentence cuts
    assert [c.index for c in chunks] == list(range(len(chunks)))
    again = chunk_document(parse_document(md, "markdown", "x", STAGE_IDS), "doc.md", "sha")
    assert [c.id for c in chunks] == [c.id for c in again]
    assert chunks[-1].heading == "Doc > Small"


def test_stage_inference_needs_a_clear_winner() -> None:
    assert (
        infer_stage(
            "Monitoring in production", "Track data drift and concept drift; alert and retrain."
        )
        == "monitoring"
    )
    assert infer_stage("Intro", "This guide helps you prepare.") is None
