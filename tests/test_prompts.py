from __future__ import annotations

import pytest

from interviewer.errors import ConfigError, UnknownIdError
from interviewer.prompts import load_prompts, render


def test_every_shipped_prompt_renders_with_its_declared_variables() -> None:
    specs = load_prompts()
    assert specs, "no prompts shipped"
    for (pid, version), spec in specs.items():
        rendered = render(pid, version, **{v: f"<{v}>" for v in spec.variables})
        assert rendered.tag == f"{pid}@v{version}"
        assert all(m.content for m in rendered.messages)


def test_missing_variable_is_an_error_not_an_empty_prompt() -> None:
    (pid, version), spec = next(iter(load_prompts().items()))
    if not spec.variables:
        pytest.skip("first prompt has no variables")
    with pytest.raises(ConfigError, match="undefined"):
        render(pid, version)


def test_unknown_prompt_id() -> None:
    with pytest.raises(UnknownIdError):
        render("no_such_prompt")
