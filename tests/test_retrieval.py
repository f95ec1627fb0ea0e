"""Searching a real index (seeds + a small stage-tagged corpus), via the API, the CLI and the
LangChain retriever."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from interviewer.cli import main
from interviewer.errors import UnknownIdError
from interviewer.ingest import ingest_paths
from interviewer.retrieval import Passage, Retriever, ensure_index, get_retriever

pytestmark = pytest.mark.slow

SEEDS = Path("/work/shared/seeds")

TAGGED = {
    "features.md": "# Features\n\n<!-- stage: features -->\n\n## Encodings\n\n"
    "Use one-hot encoding for small categorical vocabularies and learned embeddings for "
    "large ones such as video ids. Hash very large vocabularies into a fixed number of "
    "buckets.\n\n## Feature store\n\nA feature store serves the same feature values to "
    "training and serving, which prevents training-serving skew.\n",
    "monitoring.md": "# Monitoring\n\n<!-- stage: monitoring -->\n\n## Drift\n\n"
    "Watch the input feature distributions for drift with PSI or KS tests and alert when "
    "they move; retrain on a schedule or when quality drops.\n",
    "mixed.md": "# Mixed\n\n## Rollout\n\n<!-- stage: deployment -->\n\nRoll out a new "
    "model with a canary, then an A/B test, and keep the old one for rollback.\n\n"
    "## Labels\n\n<!-- stage: data -->\n\nClicks are implicit labels; they are noisy and "
    "arrive with a delay.\n",
}


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index for the whole module: the seed guides plus a small tagged corpus."""
    root = tmp_path_factory.mktemp("retrieval")
    tagged = root / "tagged"
    tagged.mkdir()
    for name, text in TAGGED.items():
        (tagged / name).write_text(text, encoding="utf-8")
    paths = [tagged] + ([SEEDS] if SEEDS.is_dir() else [])
    report = ingest_paths(paths, root / "index")
    assert report.errors == [] and report.added > 0
    return root / "index"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed guides not present")
def test_point_in_time_query_finds_the_explaining_passage_first(index_dir: Path) -> None:
    top = get_retriever(index_dir).search("point-in-time correctness", k=3)
    assert "point-in-time correctness" in top[0].text
    assert "join feature values as they existed" in top[0].text
    assert top[0].source.endswith("004_e2361867d7ed067e.txt")


def test_results_are_passages_best_first(index_dir: Path) -> None:
    hits = get_retriever(index_dir).search("how do I detect drift in input features", k=5)
    assert len(hits) == 5 and all(isinstance(h, Passage) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert hits[0].source.endswith("monitoring.md") or "drift" in hits[0].text.lower()


@pytest.mark.parametrize("mode", ["dense", "hybrid", "rrf"])
def test_every_mode_answers_an_easy_query(index_dir: Path, mode: str) -> None:
    hits = Retriever(index_dir, mode=mode).search("canary rollout and rollback", k=3)
    assert any(h.source.endswith("mixed.md") for h in hits)


def test_stage_filter_returns_only_that_stage(index_dir: Path) -> None:
    r = get_retriever(index_dir)
    for stage in ("features", "monitoring", "deployment", "data"):
        hits = r.search("what should I say about this", k=4, stage=stage)
        assert hits and all(h.stage == stage for h in hits)
    hits = r.search("labels from clicks", k=3, stage="data")
    assert hits[0].source.endswith("mixed.md") and hits[0].heading == "Mixed > Labels"
    with pytest.raises(UnknownIdError, match="did you mean 'features'"):
        r.search("x", stage="featurs")


def test_get_retriever_is_cached_and_thread_safe(index_dir: Path) -> None:
    assert get_retriever(index_dir) is get_retriever(str(index_dir))
    expected = get_retriever(index_dir).search("feature store and skew", k=3)
    results: list[list[Passage]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(get_retriever(index_dir).search("feature store and skew", k=3))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all([p.text for p in got] == [p.text for p in expected] for got in results)


def test_cli_search_json_shape(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "search",
                "embeddings for large vocabularies",
                "--index",
                str(index_dir),
                "-k",
                "3",
                "--json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list) and len(rows) == 3
    for row in rows:
        assert {"text", "source", "score", "stage"} <= set(row)
        assert isinstance(row["score"], float) and isinstance(row["text"], str)
    assert rows[0]["source"].endswith("features.md") and rows[0]["stage"] == "features"


def test_cli_search_listing_and_stage_errors(
    index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "retrain on a schedule", "--index", str(index_dir), "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. ") and "monitoring.md" in out
    assert main(["search", "x", "--index", str(index_dir), "--stage", "modelling"]) == 2
    err = capsys.readouterr().err
    assert "unknown stage 'modelling'" in err and "'modeling'" in err


def test_cli_batch_mode_file_and_stdin(
    index_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    batch = tmp_path / "queries.txt"
    batch.write_text("canary rollout\n\nimplicit labels from clicks\n", encoding="utf-8")
    assert main(["search", "--batch", str(batch), "--index", str(index_dir), "-k", "2"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["query"] for x in lines] == ["canary rollout", "implicit labels from clicks"]
    assert all(len(x["results"]) == 2 and "source" in x["results"][0] for x in lines)

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"feature store\n")))
    assert main(["search", "--batch", "-", "--index", str(index_dir), "-k", "1"]) == 0
    [row] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert row["query"] == "feature store" and len(row["results"]) == 1


def test_cli_missing_or_empty_index_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert main(["search", "drift", "--index", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("interviewer: error: index at") and "is empty" in err
    assert "interviewer ingest corpus/" in err and len(err.splitlines()) == 1
    assert not missing.exists()  # searching must not create an index
    assert main(["search", "", "--index", str(missing)]) == 2


def test_ensure_index_ingests_the_corpus_when_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interviewer.settings import get_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "features.md").write_text(TAGGED["features.md"], encoding="utf-8")
    monkeypatch.setenv("INTERVIEWER_CORPUS_DIR", str(corpus))
    get_settings.cache_clear()
    ensure_index()
    r = get_retriever()
    n = r.count()
    assert n > 0 and r.index_dir == get_settings().index_path
    ensure_index()  # already filled: nothing happens
    assert r.count() == n
    assert r.search("hashing large vocabularies", k=1)[0].source.endswith("features.md")


def test_langchain_retriever_returns_documents(index_dir: Path) -> None:
    from langchain_core.documents import Document

    from interviewer.retrieval.langchain import GuideRetriever

    docs = GuideRetriever(k=2, stage="monitoring", index_dir=str(index_dir)).invoke(
        "alerting on drift"
    )
    assert docs and all(isinstance(d, Document) for d in docs)
    assert docs[0].metadata["stage"] == "monitoring"
    assert {"source", "heading", "stage", "score"} <= set(docs[0].metadata)
    assert "drift" in docs[0].page_content.lower()
