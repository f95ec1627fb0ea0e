"""The offline interviewer's words, from versioned YAML (``interviewer/wording/offline.vN.yaml``).

Templates are picked deterministically per session and turn (the same replay gives the same
words) and filled with the policy's question and, where the move is grounded, a short quote of
the candidate's own words. The tag ``offline@vN`` is recorded on every turn that used them.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from interviewer.errors import ConfigError

WORDING_DIR = Path(__file__).resolve().parent.parent / "wording"
_NAME = re.compile(r"^offline\.v(?P<version>\d+)\.yaml$")
QUOTE_WORDS = 14  # longer units are cut (at a word) and marked with an ellipsis
REQUIRED = (
    "open_first",
    "probe_grounded",
    "probe_plain",
    "challenge",
    "transition_strong",
    "transition_neutral",
    "transition_check",
    "transition_asked",
    "transition_time",
    "transition_stuck",
    "transition_last",
    "clarify_none",
    "refuse_injection",
    "refuse_reveal",
    "reframe",
    "redirect",
    "nudge",
)


class Wording(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern="^offline$")
    version: int = Field(ge=1)
    templates: dict[str, list[str]]
    stage_names: dict[str, str]
    plain_questions: dict[str, str]

    @field_validator("templates")
    @classmethod
    def _complete(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [k for k in REQUIRED if not v.get(k)]
        if missing:
            raise ValueError(f"missing templates: {', '.join(missing)}")
        return v

    @property
    def tag(self) -> str:
        return f"offline@v{self.version}"

    def pick(self, name: str, key: str, **values: str) -> str:
        options = self.templates[name]
        h = int(hashlib.sha1(f"{key}:{name}".encode()).hexdigest()[:8], 16)
        text = options[h % len(options)]
        question = values.get("question", "")
        values.setdefault("question_lower", question[:1].lower() + question[1:])
        return text.format_map(_Defaults(values)).strip()

    def stage_name(self, stage: str) -> str:
        return self.stage_names.get(stage, stage)

    def plain_question(self, stage: str) -> str:
        return self.plain_questions.get(stage, "")


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


@lru_cache(maxsize=4)
def load_wording(version: int | None = None, directory: Path = WORDING_DIR) -> Wording:
    """The offline wording (the newest version unless one is pinned)."""
    found = {int(m["version"]): p for p in directory.glob("*.yaml") if (m := _NAME.match(p.name))}
    if not found:
        raise ConfigError(f"{directory}: no offline wording files (offline.vN.yaml)")
    v = version or max(found)
    if v not in found:
        raise ConfigError(f"offline wording v{v} not found (have {sorted(found)})")
    path = found[v]
    try:
        spec = Wording.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: invalid wording file: {str(exc).splitlines()[0]}") from None
    if spec.version != v:
        raise ConfigError(f"{path}: version inside the file does not match its name")
    return spec


def quote(text: str, limit: int = QUOTE_WORDS) -> str:
    """The candidate's words as a short inline quote: “…”, cut at a word, no trailing stop."""
    words = text.strip().strip("-*• ").split()
    if not words:
        return ""
    cut = len(words) > limit
    body = " ".join(words[:limit]).rstrip(",;:.!?")
    return f"“{body}{'…' if cut else ''}”"
