"""JSON schemas for the rubric and problem YAML, so editors (yaml-language-server) can check them.

The YAML files point at these with a first-line comment such as
``# yaml-language-server: $schema=schema/rubric.schema.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from interviewer.rubrics.misconceptions import MisconceptionFile
from interviewer.rubrics.models import Problem, Rubric

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON schema (pydantic's, with the dialect named for editors)."""
    out: dict[str, dict[str, Any]] = {}
    models: tuple[tuple[str, type[BaseModel]], ...] = (
        ("rubric.schema.json", Rubric),
        ("problem.schema.json", Problem),
        ("misconception.schema.json", MisconceptionFile),
    )
    for name, model in models:
        out[name] = {"$schema": _DIALECT, **model.model_json_schema()}
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = out_dir / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
