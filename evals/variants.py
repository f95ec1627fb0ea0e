"""Interviewer variants: prompt versions and settings in YAML, validated with ``extra="forbid"``.

    name: baseline
    description: offline engine, default policy
    provider: offline            # any registered LLM provider (eval-fake for the scripted fake)
    model: null                  # provider's model; null = the settings default
    prompts: {ask: 1, clarify: 1, grade: 1}   # pinned prompt versions (default: latest)
    followup_budget: 2           # probes per stage before moving on
    grader: {llm: true, llm_weight: 0.6}      # does the LLM grade, and its fusion weight
    retrieval_k: 6               # passages retrieved per report gap (0 = no citations)
    citations_per_gap: 2
    price_as: gpt-4o-mini        # price-table entry for cost (default: the model name)
    listening_policy: v2         # v1 = the policy before the listening work (for comparison)

Every problem is one line, ``file:line: message``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interviewer.errors import RubricError, UserInputError

VARIANTS_DIR = Path(__file__).resolve().parent / "variants"


class GraderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    llm: bool = Field(
        default=True,
        description="grade with the variant's LLM (fused) when it "
        "has one; false = offline grading only",
    )
    llm_weight: float = Field(
        default=0.6, ge=0.0, le=1.0, description="weight of the LLM verdict in the fused score"
    )


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)
    description: str = ""
    provider: str = "offline"
    model: str | None = None
    prompts: dict[str, int] = Field(default_factory=dict)
    followup_budget: int = Field(default=2, ge=0, le=5)
    grader: GraderConfig = Field(default_factory=GraderConfig)
    retrieval_k: int = Field(default=6, ge=0, le=50)
    citations_per_gap: int = Field(default=2, ge=1, le=3)
    price_as: str | None = None
    listening_policy: Literal["v1", "v2"] = Field(
        default="v2", description="v2: challenges, coverage anywhere, family probes; v1: before"
    )

    @model_validator(mode="after")
    def _known_prompts(self) -> Variant:
        from interviewer.prompts import load_prompts

        known = load_prompts()
        for pid, version in self.prompts.items():
            if (pid, version) not in known:
                have = sorted(f"{p}@v{v}" for p, v in known)
                raise ValueError(
                    f"unknown prompt version {pid}@v{version} (available: {', '.join(have)})"
                )
        return self

    @property
    def offline(self) -> bool:
        return self.provider == "offline"

    def prompt_tags(self) -> list[str]:
        """``id@vN`` for every prompt this variant may use (pinned or latest)."""
        from interviewer.prompts import latest_version, load_prompts

        ids = sorted({pid for pid, _ in load_prompts()})
        return [f"{pid}@v{self.prompts.get(pid) or latest_version(pid)}" for pid in ids]


def parse_variant(text: str, name: str) -> Variant:
    """Validate YAML text; raise UserInputError with one ``name:line: message`` line."""
    from interviewer.rubrics.yamlsource import compose, validate

    try:
        src = compose(text, name)
    except RubricError as exc:
        raise UserInputError(exc.messages[0]) from None
    variant, errors = validate(Variant, src)
    if errors or variant is None:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise UserInputError(f"{errors[0]}{more}" if errors else f"{name}:1: invalid variant")
    return variant


def load_variant(path: str | Path) -> Variant:
    """A variant file; a bare name (``baseline``) resolves to ``evals/variants/<name>.yaml``."""
    p = Path(path)
    if not p.exists() and not p.suffix and (VARIANTS_DIR / f"{p.name}.yaml").exists():
        p = VARIANTS_DIR / f"{p.name}.yaml"
    if not p.is_file():
        shipped = sorted(f.stem for f in VARIANTS_DIR.glob("*.yaml"))
        raise UserInputError(
            f"variant file {str(path)!r} not found (shipped variants: {', '.join(shipped)})"
        )
    try:
        raw = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserInputError(f"{p}:1: not UTF-8 text") from None
    return parse_variant(raw, str(p))


def load_variants(paths: list[str]) -> list[Variant]:
    variants = [load_variant(p) for p in paths]
    names = [v.name for v in variants]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserInputError(f"variant name {dupes[0]!r} is used twice; names must be unique")
    return variants
