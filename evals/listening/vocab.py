"""Words that belong to one problem family's world (or to one problem within a family), for
checking that an interview never asks another family's questions: the probes test and the
listening benchmark's off-family metric share them."""

from __future__ import annotations

import re

from interviewer.rubrics.models import Problem

# Words that belong to one problem family's world. Regexes matched case-insensitively on word
# boundaries. Chosen to be exclusive: a word that two families use naturally ("candidate", "index",
# "merchant", "click", "label") is not in any list.
FAMILY_WORDS: dict[str, list[str]] = {
    "recommendation": [
        r"items?",
        r"catalogu?e?s?",
        r"feeds?",
        r"videos?",
        r"watch time",
        r"watch history",
        r"recommend\w*",
        r"recommender\w*",
        r"impressions?",
        r"home ?page",
        r"scroll\w*",
        r"subscri\w+",
        r"ads?",
        r"advertisers?",
        r"auctions?",
        r"friends?",
    ],
    "classification": [
        r"fraud\w*",
        r"payments?",
        r"transactions?",
        r"chargebacks?",
        r"cardholders?",
        r"moderat\w+",
        r"harmful",
        r"violat\w+",
        r"takedowns?",
        r"appeals?",
        r"hate speech",
        r"spam\w*",
    ],
    "search": [
        r"quer(y|ies)",
        r"documents?",
        r"search results?",
        r"searcher\w*",
        r"search box",
        r"relevance judge?ments?",
        r"navigational",
        r"reformulat\w+",
    ],
    "rag": [
        r"chatbots?",
        r"bots?",
        r"hallucinat\w+",
        r"passages?",
        r"llms?",
        r"language models?",
        r"prompts?",
        r"grounded",
        r"grounding",
        r"hand-?offs?",
        r"help (centre|center|articles?|content)",
    ],
}

# Words that belong to one problem inside a family: family probes are shared by every problem of
# the family, so "payments" must not reach the moderation interview, nor "videos" the
# people-you-may-know one.
PROBLEM_WORDS: dict[str, list[str]] = {
    "video-recommendations": [r"videos?", r"watch (time|history)", r"watched", r"channels?"],
    "feed-ranking": [r"feeds?", r"posts?", r"newsfeed"],
    "people-you-may-know": [r"connections?", r"invit\w+", r"members?"],
    "ads-click-prediction": [r"ads?", r"advertisers?", r"auctions?", r"bids?", r"campaigns?"],
    "fraud-detection": [
        r"fraud\w*",
        r"payments?",
        r"transactions?",
        r"chargebacks?",
        r"merchants?",
        r"cards?",
    ],
    "harmful-content-detection": [
        r"posts?",
        r"comments?",
        r"moderat\w+",
        r"hate speech",
        r"harmful",
    ],
    "semantic-document-search": [r"documents?", r"employees?", r"wiki\w*", r"intranet"],
    "visual-search": [r"images?", r"photos?", r"pictures?", r"crops?", r"camera"],
    "support-chatbot-rag": [],
}


def card_text(problem: Problem) -> str:
    """Everything the card says to or about the problem (not its asks or probes)."""
    parts = [problem.id.replace("-", " "), problem.title, problem.kind, problem.prompt]
    for fact in problem.facts:
        parts += [fact.answer, *fact.keywords]
    parts += problem.stage_notes.values()
    parts += problem.stage_questions.values()
    for override in problem.rubric_overrides.values():
        for extra in override.extra_concepts.values():
            parts += extra
    return " ".join(parts).lower()


def hits(words: list[str], text: str) -> list[str]:
    return [m.group(0) for w in words for m in re.finditer(rf"\b{w}\b", text, re.IGNORECASE)]


def family_of(problem: Problem) -> str:
    """The problem's family (also for cards of versions that had no families: by kind)."""
    family = getattr(problem, "problem_family", None)
    if family:
        return str(family)
    if problem.id == "ads-click-prediction":
        return "recommendation"
    by_kind = {"ranking": "recommendation", "classification": "classification", "rag": "rag"}
    return by_kind.get(problem.kind, problem.kind)


def foreign_words(text: str, problem: Problem) -> list[str]:
    """Words of another family in ``text`` that the problem's own card does not use."""
    own = card_text(problem)
    out: list[str] = []
    mine = family_of(problem)
    for family, words in FAMILY_WORDS.items():
        if family != mine:
            out += [w for w in hits(words, text) if not hits([re.escape(w)], own)]
    return out
