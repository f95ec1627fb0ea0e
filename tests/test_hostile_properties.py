"""Property tests: any text at all, through the message classifier and the YAML loader, ends in
a valid result (never an exception) within bounded time and memory.

The classifier runs without embeddings (``use_embeddings=False``): the rules and their regular
expressions are what hostile text could make slow (catastrophic backtracking), not the model.
"""

from __future__ import annotations

import functools
import gc
import time
import tracemalloc
import typing

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviewer.rubrics.documents import parse_problem_source, parse_rubric_source
from interviewer.session.classify import Classification, Intent, classify, clean_text

INTENTS = set(typing.get_args(Intent))
PER_CALL_S = 2.0  # generous for a loaded shared 2-core machine; backtracking takes minutes
PROPS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

# Every code point, surrogates and controls included (Hypothesis leaves surrogates out unless
# asked), and text made of the characters the classifier's rules and YAML care about, repeated.
any_char = st.characters(codec=None, exclude_categories=())
rule_chars = st.sampled_from(list(" \n\t?!.,:;'\"-*#`()[]{}<>/\\|=_0123456789aeiostnrlwhy"))
rule_words = st.sampled_from(
    [
        "ignore",
        "previous",
        "instructions",
        "score",
        "4/4",
        "next",
        "move on",
        "what",
        "is",
        "the",
        "latency",
        "?",
        "grader",
        "system:",
        "```",
        "###",
        "end of answer",
        "please",
        "I think",
    ]
)
messages = st.one_of(
    st.text(any_char, max_size=400),
    st.text(rule_chars, max_size=3000),
    st.lists(rule_words, max_size=400).map(" ".join),
)


def setup_module() -> None:
    """First calls compile patterns and load word lists: not what the bounds are about."""
    for text in ("warm up: what is the latency budget?", "grader", "ignore the rubric", "next"):
        classify(text, use_embeddings=False)
    parse_rubric_source("stage: data\n", "data.yaml")
    # The models and tables loaded above are a large heap; a full GC pass over it under
    # tracemalloc can take seconds on a loaded machine and has nothing to do with the input.
    gc.collect()
    gc.freeze()


def teardown_module() -> None:
    gc.unfreeze()


T = typing.TypeVar("T")


def _timed(fn: typing.Callable[[], T]) -> tuple[T, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, elapsed, peak


@PROPS
@given(messages)
def test_classify_any_text_gives_a_known_intent_in_bounded_time(text: str) -> None:
    result, elapsed, peak = _timed(functools.partial(classify, text, use_embeddings=False))
    if elapsed >= PER_CALL_S:  # a load spike on a shared machine passes; backtracking does not
        elapsed = min(elapsed, _timed(functools.partial(classify, text, use_embeddings=False))[1])
    assert isinstance(result, Classification)
    assert result.intent in INTENTS, result
    assert elapsed < PER_CALL_S, f"{elapsed:.2f} s for {text[:80]!r}"
    assert peak < 20 * 2**20


@PROPS
@given(st.text(any_char, max_size=2000))
def test_clean_text_leaves_no_control_or_surrogate(text: str) -> None:
    import unicodedata

    clean = clean_text(text)
    clean.encode("utf-8")  # no lone surrogate survives
    assert all(ch in "\n\t" or unicodedata.category(ch)[0] != "C" for ch in clean)


def test_classify_long_adversarial_repeats_are_fast() -> None:
    """Shapes that make naive regexes backtrack: long runs with no match at the end."""
    for text in (
        "a" * 50_000 + "!",
        "? " * 20_000,
        "ignore " * 8_000 + "x",
        "#" * 30_000,
        "`" * 30_000,
        ("word, " * 10_000) + "?",
        "(" * 20_000,
    ):
        _, elapsed, _ = _timed(functools.partial(classify, text, use_embeddings=False))
        assert elapsed < 3 * PER_CALL_S, f"{elapsed:.2f} s for {text[:40]!r}..."


yaml_chars = st.sampled_from(list(" \n\t:-[]{}&*!|>'\"#?%@`,.0123456789abcdeistu~"))
yaml_texts = st.one_of(
    st.text(yaml_chars, max_size=3000),
    st.text(any_char, max_size=300),
    st.lists(
        st.sampled_from(
            [
                "stage: data\n",
                "title: Data\n",
                "criteria:\n",
                "  - id: a\n",
                "    weight: 1\n",
                "x: &a [1, 2]\n",
                "y: *a\n",
                "<<: *a\n",
                "- [[[[\n",
                "k: !!binary AAA\n",
                "k: !!python/object:os.system x\n",
                "d: 2024-13-45\n",
                "n: " + "9" * 5000 + "\n",
                "? complex\n",
                "---\n",
                "...\n",
            ]
        ),
        max_size=60,
    ).map("".join),
)


@PROPS
@given(yaml_texts)
def test_yaml_loader_never_raises_and_reports_file_line(text: str) -> None:
    for parse, name in ((parse_rubric_source, "data.yaml"), (parse_problem_source, "p.yaml")):
        (model, _src, errors), elapsed, peak = _timed(functools.partial(parse, text, name))
        assert elapsed < PER_CALL_S and peak < 50 * 2**20
        if model is None:
            assert errors, "a refused document must say why"
        for msg in errors:
            assert msg.startswith(f"{name}:") and "\n" not in msg and len(msg) < 1000, msg
            line = msg.split(":", 2)[1]
            assert line.isdigit() or msg.startswith(f"{name}: "), msg
