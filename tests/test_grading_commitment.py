"""Commitment: credit only for units that commit, whatever form the answer takes."""

from __future__ import annotations

import pytest

from interviewer.grading.commitment import commitment, specific_words, technology_names
from interviewer.grading.guards import prepare
from interviewer.grading.names import name_words
from interviewer.grading.text import Unit, tokens


def _unit(text: str) -> Unit:
    return Unit(text, 0, len(text))


def test_the_guide_writes_tools_as_names_and_ordinary_words_in_lower_case() -> None:
    names, plain = name_words()
    for tool in ("kafka", "spark", "redis", "xgboost", "smote", "gdpr", "bert", "pii"):
        assert tool in names, tool
    for word in ("age", "country", "category", "merchant", "device", "upload", "chargebacks"):
        assert word not in names and word in plain, word
    assert not {"english", "monday"} & names  # the world's proper nouns are not technology


def test_tool_names_are_not_problem_specific_items() -> None:
    stuffed = "Data: Kafka, Spark, Airflow, ETL, SMOTE, GDPR, PII, node2vec, TensorRT."
    assert technology_names(stuffed) >= {
        "kafka",
        "spark",
        "airflow",
        "etl",
        "smote",
        "gdpr",
        "pii",
        "node2vec",
        "tensorrt",
    }
    assert specific_words(_unit(stuffed), ()) == []
    # the things of the problem stay items, capitalised or not
    notes = "User: Age, Country; item: category, upload age"
    assert technology_names(notes) == set()
    assert set(specific_words(_unit(notes), ())) >= {"age", "country", "category", "upload"}


def test_a_list_of_tool_names_commits_to_nothing() -> None:
    text = "Kafka, Spark, Airflow, SMOTE, GDPR, Redis, XGBoost, BERT"
    concept_words = set(tokens("Kafka Spark SMOTE XGBoost"))  # four of them rubric terms
    assert commitment(_unit(text), 4, concept_words) == 0.0


@pytest.mark.parametrize(
    ("term", "committed"),
    [
        ("p99 latency, throughput, QPS, trade-offs, leakage", "p99 under 60 ms, since QPS peaks"),
        ("precision, recall, trade-offs, risk", "precision over recall, because a miss costs more"),
    ],
)
def test_a_number_or_reason_inside_a_term_does_not_commit(term: str, committed: str) -> None:
    words = set(tokens(term)) | set(tokens(committed))
    assert commitment(_unit(term), 4, set(tokens(term))) == 0.0
    assert commitment(_unit(committed), 3, words - {"60", "ms", "since", "because", "over"}) > 0


def test_a_leading_so_is_talk_not_a_reason() -> None:
    text = "we'd leverage an NDCG-driven framework with recall guardrails and calibrated layers"
    concept_words = set(tokens("NDCG recall guardrails calibrated framework layers"))
    plain = commitment(_unit(text), 5, concept_words)
    assert plain == pytest.approx(0.8)  # one choice spread over five concepts
    # "So we'd ..." is the same talk, not a reason that holds four more concepts
    assert commitment(_unit("So " + text), 5, concept_words) == plain
    assert commitment(_unit("And so " + text), 5, concept_words) == plain
    assert commitment(_unit(text + ", so we keep the page under 200 ms"), 5, concept_words) == 1


def test_notes_and_prose_that_say_the_same_things_commit_alike() -> None:
    notes = prepare(
        "Features:\n- user: age, country, device\n- item: category, upload age\n"
        "- context: time of day\n- retrain weekly",
        8000,
    ).units
    prose = prepare(
        "For the user I'd use age, country and device. For the item, its category and upload "
        "age. For the context, the time of day. We retrain weekly.",
        8000,
    ).units
    assert [u.text for u in notes[:1]] == ["Features:"] and len(notes[1:]) == len(prose) == 4
    taken = set(tokens("device category time of day retrain"))
    note_credit = [commitment(u, 2, taken) for u in notes[1:]]
    assert note_credit == [commitment(u, 2, taken) for u in prose]
    assert note_credit == [1.0, 1.0, 0.5, 1.0]  # "time of day" alone names no item of its own
