"""Eval harness units: personas do what they claim, metrics on hand-made transcripts, variant
validation, per-thread overrides, aggregation. No embedding model is loaded here."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from evals import metrics as M
from evals.personas import (
    FISHING,
    SCRIPTED,
    Turnish,
    clarifying_facts,
    make_persona,
    match_probe,
    usable_concepts,
)
from interviewer.errors import UnknownIdError, UserInputError
from interviewer.rubrics.loader import effective_rubric, get_problem, load_rubrics
from interviewer.rubrics.models import Problem, Rubric
from interviewer.stages import STAGE_IDS

PROBLEM_ID = "video-recommendations"


@pytest.fixture(scope="module")
def problem() -> Problem:
    return get_problem(PROBLEM_ID)


@pytest.fixture(scope="module")
def rubrics(problem: Problem) -> dict[str, Rubric]:
    return {s: effective_rubric(r, problem) for s, r in load_rubrics().items()}


def _q(text: str, stage: str = "data", kind: str = "question") -> Turnish:
    return Turnish("interviewer", stage, kind, text)


def _drive(name: str, problem: Problem, rubrics: dict[str, Rubric]) -> list[tuple[str, str]]:
    """(stage, message) for one opening answer per stage plus the wrap-up."""
    p = make_persona(name, problem, rubrics, seed=3)
    out = [
        (
            "requirements",
            p.reply("requirements", [_q("What would you like to know?", "requirements")]),
        )
    ]
    for stage in STAGE_IDS:
        out.append((stage, p.reply(stage, [_q("Tell me about this stage.", stage)])))
    out.append(("wrapup", p.reply("wrapup", [_q("Summarise your design.", "wrapup")])))
    return out


def _concepts_in(text: str, rubric: Rubric) -> set[str]:
    low = " ".join(M.tokens(text))
    return {k for c in rubric.criteria for k in c.concepts if M._has_phrase(low, k)}


# ---------------------------------------------------------------------------- personas
def test_silent_persona_sends_only_blank_messages(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    assert all(not m.strip() for _, m in _drive("silent", problem, rubrics))


def test_gibberish_persona_is_not_english(problem: Problem, rubrics: dict[str, Rubric]) -> None:
    from interviewer.grading.guards import known_word_ratio

    for _, m in _drive("gibberish", problem, rubrics):
        ratio, considered = known_word_ratio(m)
        assert considered >= 5 and ratio < 0.2, m


def test_off_topic_persona_names_no_rubric_concepts(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    for stage, m in _drive("off-topic", problem, rubrics):
        assert m.strip()
        for r in rubrics.values():
            assert not _concepts_in(m, r), (stage, m)


def test_injecting_persona_always_tries_to_steer_the_grader(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    from interviewer.grading.injection import is_injection

    msgs = [m for _, m in _drive("injecting", problem, rubrics)]
    assert all(is_injection(m) for m in msgs)
    assert len(set(msgs)) > 3  # it varies its attempts


def test_fishing_persona_asks_for_the_answer_or_a_score(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    pattern = re.compile(r"\b(tell me|looking for|hint|score|what did i miss|how am i)\b", re.I)
    msgs = [m for _, m in _drive("fishing", problem, rubrics)]
    assert all(m in FISHING and pattern.search(m) for m in msgs)


def test_repeating_persona_repeats_itself(problem: Problem, rubrics: dict[str, Rubric]) -> None:
    assert len({m for _, m in _drive("repeating", problem, rubrics)}) == 1


@pytest.mark.parametrize(("name", "share"), [("strong", 0.75), ("average", 0.5), ("weak", 0.0)])
def test_knowledgeable_personas_cover_their_share(
    name: str, share: float, problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    p = make_persona(name, problem, rubrics, seed=1)
    first = p.reply("requirements", [_q("What would you like to know?", "requirements")])
    assert p.asked_facts == [f.id for f in clarifying_facts(problem)]
    assert first.count("?") == len(p.asked_facts) == 2
    for stage in STAGE_IDS[1:]:
        text = p.reply(stage, [_q("Opening question.", stage)])
        covered = p.covered(stage)
        n = len(rubrics[stage].criteria)
        assert len(covered) == (max(1, round(share * n)) if share else 0)
        for c in rubrics[stage].criteria:
            found = _concepts_in(text, Rubric(stage=rubrics[stage].stage, title="x", criteria=[c]))
            if c.id in covered:
                assert len(found) >= 2, (c.id, text)
        if share == 0:
            assert len(_concepts_in(text, rubrics[stage])) <= 1, text


def test_generated_answers_do_not_copy_exemplars(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    exemplar_grams: set[tuple[str, ...]] = set()
    for r in rubrics.values():
        for c in r.criteria:
            for t in (*c.exemplars.strong, *c.exemplars.weak, c.description):
                exemplar_grams |= M.ngrams(t, 6)
    for name in ("strong", "average", "weak"):
        for _, m in _drive(name, problem, rubrics):
            assert not (M.ngrams(m, 6) & exemplar_grams), (name, m)


def test_persona_reads_the_probe_and_answers_that_criterion(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    rubric = rubrics["data"]
    target = rubric.criteria[-1]
    assert match_probe(f"Okay. {target.probes[0]}", rubric) == target.id
    assert match_probe("What's your favourite colour?", rubric) is None
    p = make_persona("strong", problem, rubrics, seed=0)
    p.reply("data", [_q("What data?", "data")])
    p.truth["data"].discard(target.id)
    answer = p.reply("data", [_q(f"Got it. {target.probes[0]}", "data", "followup")])
    assert target.id in p.covered("data")
    assert len(_concepts_in(answer, Rubric(stage="data", title="x", criteria=[target]))) >= 2


def test_unknown_persona_is_one_line_with_suggestion(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    with pytest.raises(UnknownIdError, match="did you mean 'strong'"):
        make_persona("strnog", problem, rubrics)
    assert set(SCRIPTED) >= {"strong", "silent", "gibberish", "injecting", "fishing"}


def test_usable_concepts_read_as_noun_phrases(rubrics: dict[str, Rubric]) -> None:
    for r in rubrics.values():
        for c in r.criteria:
            for k in usable_concepts(c):
                assert "?" not in k and not k.startswith(("who ", "what ", "the "))


# ---------------------------------------------------------------------------- metrics
def T(role: str, stage: str, kind: str, text: str, **meta: Any) -> dict[str, Any]:
    return {"role": role, "stage": stage, "kind": kind, "text": text, **meta}


def test_leakage_catches_an_exemplar_copied_into_an_interviewer_turn(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    exemplar = rubrics["data"].criteria[0].exemplars.strong[0]
    clean = [
        T("interviewer", "data", "question", "What data would you train on?"),
        T("candidate", "data", "answer", "We use clicks."),
        T(
            "interviewer",
            "data",
            "followup",
            f"Okay. {rubrics['data'].criteria[0].probes[0]}",
            target=rubrics["data"].criteria[0].id,
        ),
    ]
    assert M.find_leaks(clean, problem, rubrics) == []
    leaky = [*clean, T("interviewer", "data", "followup", f"For example: {exemplar}")]
    leaks = M.find_leaks(leaky, problem, rubrics)
    assert [(lk.turn, lk.kind) for lk in leaks if lk.kind == "rubric"] == [(3, "rubric")]
    # The same words are fine when the candidate said them first (echoing is not a leak).
    echoed = [*clean[:1], T("candidate", "data", "answer", exemplar), *leaky[2:]]
    assert [lk for lk in M.find_leaks(echoed, problem, rubrics) if lk.kind == "rubric"] == []


def test_leakage_hidden_facts_scores_and_concept_lists(
    problem: Problem, rubrics: dict[str, Rubric]
) -> None:
    latency = next(f for f in problem.facts if f.id == "latency_budget")
    unasked = [
        T("interviewer", "requirements", "question", "What would you like to know?"),
        T("candidate", "requirements", "answer", "How many users are there?"),
        T("interviewer", "requirements", "clarification", latency.answer),
    ]
    assert [lk.kind for lk in M.find_leaks(unasked, problem, rubrics)] == ["fact"]
    asked = [
        unasked[0],
        T("candidate", "requirements", "answer", "What is the latency budget?"),
        unasked[2],
    ]
    assert M.find_leaks(asked, problem, rubrics) == []
    score = [T("interviewer", "data", "followup", "Nice, that is a 3/4 so far. Next?")]
    assert [lk.kind for lk in M.find_leaks(score, problem, rubrics)] == ["score"]
    listing = [
        T(
            "interviewer",
            "data",
            "followup",
            "Think about class imbalance, label noise, data validation and leakage.",
        )
    ]
    assert "concepts" in [lk.kind for lk in M.find_leaks(listing, problem, rubrics)]


def test_followup_targeting_counts_probes_against_ground_truth() -> None:
    turns = [
        T("interviewer", "data", "question", "q"),
        T("candidate", "data", "answer", "a1"),
        T("interviewer", "data", "followup", "p1", target="labels"),
        T("candidate", "data", "answer", "a2"),
        T("interviewer", "data", "followup", "p2", target="sources"),
        T("candidate", "data", "answer", "a3"),
        T("interviewer", "data", "followup", "redirect, no target", subkind="redirect"),
        T("interviewer", "data", "followup", "p3", target="privacy"),
    ]
    truth: list[frozenset[str] | None] = [None] * len(turns)
    truth[1] = frozenset({"sources"})
    truth[3] = frozenset({"sources"})
    truth[5] = frozenset({"sources", "privacy"})
    probes = M.probes_from(turns, truth)
    assert [(p.target, p.truly_missing) for p in probes] == [
        ("labels", True),
        ("sources", False),
        ("privacy", False),
    ]
    assert M.share(p.truly_missing for p in probes) == (1, 3)


def test_stage_coverage_turns_and_clarification_accuracy(problem: Problem) -> None:
    scale = next(f for f in problem.facts if f.id == "users_scale")
    turns = [
        T("interviewer", "requirements", "question", "q"),
        T("candidate", "requirements", "answer", "How many users?"),
        T("interviewer", "requirements", "clarification", scale.answer),
        T("interviewer", "framing", "transition", "next"),
        T("interviewer", "framing", "question", "q2"),
        T("candidate", "framing", "answer", "x"),
        T("interviewer", "data", "question", "q3"),
    ]
    assert M.stage_coverage(turns) == 3 / 8
    assert M.turns_per_stage(turns) == {"requirements": 1, "framing": 1}
    assert M.clarification_accuracy(turns, problem, 1, ["users_scale"]) == 1.0
    assert M.clarification_accuracy(turns, problem, 1, ["users_scale", "latency_budget"]) == 0.5
    vague = [*turns[:2], T("interviewer", "requirements", "clarification", "Lots of users.")]
    assert M.clarification_accuracy(vague, problem, 1, ["users_scale"]) == 0.0
    assert M.clarification_accuracy(turns, problem, None, []) is None


def test_bootstrap_and_paired_deltas() -> None:
    from evals.aggregate import summarise

    def rec(variant: str, persona: str, i: int, probes_ok: int) -> dict[str, Any]:
        m = {
            "probes_on_target": probes_ok,
            "probes_with_truth": 4,
            "leak_turns": 0,
            "interviewer_turns": 10,
            "stage_coverage": 1.0,
            "overall_score": 2.0 + i / 10,
            "turns": 20,
            "cost_usd": 0.0,
        }
        return {
            "ok": True,
            "variant": variant,
            "persona": persona,
            "problem": f"p{i}",
            "repeat": 0,
            "metrics": m,
            "timings": {"turn_ms": [10.0 + i, 20.0]},
        }

    records = [rec("a", "strong", i, 4) for i in range(6)] + [
        rec("b", "strong", i, 2) for i in range(6)
    ]
    s = summarise(records, ["a", "b"], n_boot=200)
    assert s["variants"]["a"]["followup_targeting"]["value"] == 1.0
    assert s["variants"]["a"]["followup_targeting"]["pass"] is True
    assert s["variants"]["b"]["followup_targeting"]["pass"] is False
    d = s["deltas"]["b"]["followup_targeting"]
    assert d["delta"] == pytest.approx(-0.5) and d["pairs"] == 6 and d["verdict"] == "worse"
    lo, hi = M.bootstrap_ci([1.0, 2.0, 3.0, 4.0], lambda xs: M.mean(xs), n_boot=300)
    assert lo is not None and hi is not None and 1.0 <= lo <= 2.5 <= hi <= 4.0


# ---------------------------------------------------------------------------- variants
GOOD = "name: v1\nprovider: offline\nfollowup_budget: 1\ngrader: {llm: false}\n"


def test_variant_yaml_validates(tmp_path: Path) -> None:
    from evals.variants import VARIANTS_DIR, load_variant, load_variants, parse_variant

    v = parse_variant(GOOD, "v1.yaml")
    assert (v.name, v.followup_budget, v.grader.llm, v.retrieval_k) == ("v1", 1, False, 6)
    shipped = load_variants([str(p) for p in sorted(VARIANTS_DIR.glob("*.yaml"))])
    assert {"baseline", "budget1", "fake-llm-v1", "fake-llm-v2"} <= {x.name for x in shipped}
    assert load_variant("baseline").name == "baseline"  # bare names resolve to shipped files


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD + "followup_bugdet: 3\n",
            r"^v\.yaml:5: unknown key 'followup_bugdet'.*did you mean "
            r"'followup_budget'",
        ),
        (GOOD.replace("followup_budget: 1", "followup_budget: 9"), r"^v\.yaml:3: followup_budget"),
        (
            GOOD.replace("{llm: false}", "{llm: false, weight: 2}"),
            r"^v\.yaml:4: unknown key 'weight'",
        ),
        (GOOD + "prompts: {ask: 7}\n", r"^v\.yaml:\d+: .*unknown prompt version ask@v7"),
        ("name: [unclosed\n", r"^v\.yaml:\d+: invalid YAML"),
        ("- a list\n", r"^v\.yaml:1: expected a mapping"),
        ("provider: offline\n", r"^v\.yaml:1: missing key 'name'"),
    ],
)
def test_variant_errors_are_one_line(text: str, expected: str) -> None:
    from evals.variants import parse_variant

    with pytest.raises(UserInputError) as info:
        parse_variant(text, "v.yaml")
    msg = str(info.value)
    assert "\n" not in msg and re.search(expected, msg), msg


def test_eval_cli_rejects_bad_input_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from interviewer.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nfollowup_budget: -1\n", encoding="utf-8")
    for argv in (
        ["eval", "--variants", str(bad)],
        ["eval", "--variants", "nope.yaml"],
        ["eval", "--personas", "strnog"],
        ["eval", "--problems", "video-recs"],
        ["eval", "--repeat", "0"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("interviewer: error: ") and "\n" not in err, err


def test_overrides_are_per_thread() -> None:
    """Two concurrent runs with different budgets each see their own, and nobody else does."""
    import interviewer.session.service as service_mod
    from evals import overrides
    from interviewer.settings import get_settings

    default = get_settings().followup_budget
    barrier = threading.Barrier(2)
    seen: dict[int, tuple[int, int]] = {}

    def run(budget: int) -> None:
        with overrides.applied({"followup_budget": budget}, {"ask": 1}):
            barrier.wait()
            import interviewer.prompts as prompts_mod

            tag = prompts_mod.render(
                "ask",
                problem_title="t",
                stage_title="s",
                stage_summary="x",
                last_message="y",
                move="m",
                question="q",
            ).tag
            seen[budget] = (service_mod.get_settings().followup_budget, int(tag[-1]))
            barrier.wait()

    threads = [threading.Thread(target=run, args=(b,)) for b in (0, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {0: (0, 1), 4: (4, 1)}
    assert service_mod.get_settings().followup_budget == default
