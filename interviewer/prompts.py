"""Prompts as versioned YAML package data (``interviewer/prompts/<id>.v<N>.yaml``).

Each file holds ``id``, ``version``, ``description``, ``variables`` and ``system``/``user``
Jinja templates, rendered with ``StrictUndefined`` so a missing variable is an error, not a
silently empty prompt. Every turn records the ``id@version`` that produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interviewer.errors import ConfigError, UnknownIdError
from interviewer.llm.base import Message

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
_NAME = re.compile(r"^(?P<id>[a-z0-9_]+)\.v(?P<version>\d+)\.yaml$")


class PromptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    version: int = Field(ge=1)
    description: str
    variables: list[str]
    system: str
    user: str


@dataclass(frozen=True)
class RenderedPrompt:
    id: str
    version: int
    messages: list[Message]

    @property
    def tag(self) -> str:
        return f"{self.id}@v{self.version}"


@lru_cache(maxsize=1)
def load_prompts(directory: Path = PROMPT_DIR) -> dict[tuple[str, int], PromptSpec]:
    specs: dict[tuple[str, int], PromptSpec] = {}
    for path in sorted(directory.glob("*.yaml")):
        m = _NAME.match(path.name)
        if not m:
            raise ConfigError(f"{path}: prompt files are named <id>.v<N>.yaml")
        try:
            spec = PromptSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(f"{path}: invalid prompt file: {str(exc).splitlines()[0]}") from None
        if (spec.id, spec.version) != (m["id"], int(m["version"])):
            raise ConfigError(f"{path}: id/version inside the file do not match its name")
        specs[(spec.id, spec.version)] = spec
    return specs


def latest_version(prompt_id: str) -> int:
    versions = [v for (pid, v) in load_prompts() if pid == prompt_id]
    if not versions:
        raise UnknownIdError("prompt", prompt_id, {pid for pid, _ in load_prompts()})
    return max(versions)


def render(prompt_id: str, version: int | None = None, **variables: Any) -> RenderedPrompt:
    from jinja2 import Environment, StrictUndefined, TemplateError

    version = version or latest_version(prompt_id)
    spec = load_prompts().get((prompt_id, version))
    if spec is None:
        raise UnknownIdError(
            "prompt version", f"{prompt_id}@v{version}", [f"{p}@v{v}" for p, v in load_prompts()]
        )
    env = Environment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    try:
        messages = [
            Message("system", env.from_string(spec.system).render(**variables).strip()),
            Message("user", env.from_string(spec.user).render(**variables).strip()),
        ]
    except TemplateError as exc:
        raise ConfigError(f"prompt {spec.id}@v{spec.version}: {exc}") from None
    return RenderedPrompt(id=spec.id, version=spec.version, messages=messages)
