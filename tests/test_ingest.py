"""Ingestion into a real Chroma index with real embeddings: idempotency, changes, deletions,
bad files, and the throughput measurement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.cli import main
from interviewer.ingest import ingest_paths, measure_ingest_throughput
from interviewer.retrieval import get_retriever
from interviewer.retrieval.store import fetch_manifest, open_collection

pytestmark = pytest.mark.slow

DRIFT = (
    "# Monitoring\n\n<!-- stage: monitoring -->\n\n## Drift\n\n"
    "Data drift means the live input distribution moves away from the training data. "
    "Compare weekly windows with the population stability index and alert on big moves.\n"
)
CANARY = (
    "# Rollout\n\n<!-- stage: deployment -->\n\n## Canary\n\n"
    "A canary release sends a small share of traffic to the new model first, watching "
    "latency and error rates before widening the rollout.\n"
)
BASELINE = (
    "# Baselines\n\n## Popularity\n\nStart with a most-popular list per country as the "
    "non-ML baseline that every model must beat.\n"
)


def _corpus(root: Path) -> Path:
    d = root / "guides"
    (d / "ops").mkdir(parents=True)
    (d / "drift.md").write_text(DRIFT, encoding="utf-8")
    (d / "ops" / "canary.md").write_text(CANARY, encoding="utf-8")
    (d / "baseline.txt").write_text(BASELINE, encoding="utf-8")
    return d


def _sources(index: Path) -> dict[str, int]:
    return {s: len(e.ids) for s, e in fetch_manifest(open_collection(index)).items()}


def test_second_run_adds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _corpus(tmp_path)
    first = ingest_paths(["guides"], tmp_path / "idx")
    assert (first.files, first.skipped, first.errors) == (3, 0, [])
    assert first.added == first.chunks > 0
    second = ingest_paths(["guides/"], tmp_path / "idx")
    assert (second.added, second.skipped, second.removed, second.chunks) == (0, 3, 0, first.chunks)
    assert set(_sources(tmp_path / "idx")) == {
        "guides/drift.md",
        "guides/ops/canary.md",
        "guides/baseline.txt",
    }
    # the same files named by absolute path are recognised, not duplicated
    third = ingest_paths([tmp_path / "guides"], tmp_path / "idx")
    assert third.added == 0 and get_retriever(tmp_path / "idx").count() == first.chunks


def test_changed_file_replaces_its_chunks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    d = _corpus(tmp_path)
    ingest_paths(["guides"], "idx")
    (d / "drift.md").write_text(
        DRIFT.replace("population stability index", "Kolmogorov-Smirnov test"), encoding="utf-8"
    )
    report = ingest_paths(["guides"], "idx")
    assert (report.updated_files, report.skipped, report.added) == (1, 2, 1)
    assert report.removed == 1
    texts = [p.text for p in get_retriever("idx").search("drift statistics test", k=10)]
    assert any("Kolmogorov-Smirnov" in t for t in texts)
    assert not any("population stability index" in t for t in texts)
    assert _sources(tmp_path / "idx")["guides/drift.md"] == 1


def test_file_deleted_from_folder_is_removed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    d = _corpus(tmp_path)
    ingest_paths(["guides"], "idx")
    (d / "ops" / "canary.md").unlink()
    report = ingest_paths(["guides"], "idx")
    assert report.deleted_files == ["guides/ops/canary.md"]
    assert "guides/ops/canary.md" not in _sources(tmp_path / "idx")
    assert all("canary" not in p.text for p in get_retriever("idx").search("canary release"))


def test_bad_files_reported_with_exit_2_and_good_ones_ingested(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    d = _corpus(tmp_path)
    (d / "empty.md").write_text("")
    (d / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (d / "latin1.txt").write_bytes("Résumé of drift détection".encode("latin-1"))
    code = main(["ingest", "guides", "missing.md", "--index", "idx", "--json"])
    assert code == 2
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["files"] == 3 and summary["added"] > 0
    for key in ("files", "chunks", "added", "skipped", "seconds"):
        assert key in summary
    errors = "\n".join(summary["errors"])
    assert "guides/empty.md: file is empty" in errors
    assert "guides/binary.txt: looks binary" in errors
    assert "guides/latin1.txt: not valid UTF-8" in errors
    assert "missing.md: no such file or directory" in errors
    assert len(err.strip().splitlines()) == 4 and "Traceback" not in err
    assert set(_sources(tmp_path / "idx")) == {
        "guides/drift.md",
        "guides/ops/canary.md",
        "guides/baseline.txt",
    }
    # once fixed, a clean run exits 0
    for name in ("empty.md", "binary.txt", "latin1.txt"):
        (d / name).unlink()
    assert main(["ingest", "guides", "--index", "idx", "--no-progress"]) == 0


def test_file_that_turns_bad_loses_its_old_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    d = _corpus(tmp_path)
    ingest_paths(["guides"], "idx")
    (d / "drift.md").write_bytes(b"\xff\xfe broken")
    report = ingest_paths(["guides"], "idx")
    assert report.errors and "guides/drift.md" not in _sources(tmp_path / "idx")


def test_html_and_pdf_are_ingested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfWriter

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.html").write_text(
        "<html><body><nav>Menu</nav><h1>Serving</h1><p>Shadow deployments log predictions "
        "without serving them.</p><footer>Subscribe to our newsletter</footer></body></html>"
    )
    w = PdfWriter()
    w.add_blank_page(100, 100)
    with open("blank.pdf", "wb") as fh:
        w.write(fh)
    report = ingest_paths(["p.html", "blank.pdf"], "idx")
    assert report.files == 1 and report.errors == [
        "blank.pdf: PDF has no extractable text (scanned images?)"
    ]
    [hit] = get_retriever("idx").search("shadow deployment", k=1)
    assert hit.source == "p.html" and "Menu" not in hit.text and "newsletter" not in hit.text


def test_measure_ingest_throughput_on_seeds() -> None:
    seeds = Path("/work/shared/seeds")
    if not seeds.is_dir():
        pytest.skip("seed guides not present")
    # one seed (~45 chunks) keeps the test short; `interviewer bench` measures the corpus
    m = measure_ingest_throughput(sorted(seeds.glob("004_*.txt")))
    assert m["chunks"] > 30 and m["reingest_added"] == 0
    assert m["raw_embed_chunks_per_s"] > 0 and m["ingest_chunks_per_s"] > 0
    # DESIGN target is 0.8; a looser bound keeps a busy CI machine from flaking
    assert m["ingest_to_raw_ratio"] >= 0.7, m
    assert m["reingest_seconds"] < m["ingest_seconds"] / 5
    assert m["non_embed_share"] < 0.2, m
