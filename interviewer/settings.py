"""All settings in one place: environment variables (``INTERVIEWER_*``) and an optional ``.env``.

The LLM provider defaults to ``openai`` when ``OPENAI_API_KEY`` is set, to ``openai-compatible``
when ``OPENAI_BASE_URL`` is set, and to the deterministic ``offline`` engine otherwise.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from interviewer.errors import ConfigError

ProviderName = Literal["offline", "openai", "openai-compatible"]
PROVIDER_NAMES: tuple[str, ...] = ("offline", "openai", "openai-compatible")

# The source checkout (editable install): corpus/ and rubrics/ live next to the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / ".interviewer"
    return Path.home() / ".local" / "share" / "interviewer"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTERVIEWER_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # LLM
    llm: ProviderName | None = Field(
        default=None, description="offline | openai | openai-compatible"
    )
    model: str = Field(default="gpt-4o-mini", description="model name for LLM providers")
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "INTERVIEWER_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "INTERVIEWER_OPENAI_BASE_URL"),
    )
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_max_prompt_tokens: int = Field(default=3000, ge=500)

    # Paths
    data_dir: Path = Field(default_factory=_default_data_dir)
    index_dir: Path | None = Field(
        default=None, description="Chroma directory (default data_dir/index)"
    )
    db_path: Path | None = Field(
        default=None, description="SQLite sessions (default data_dir/sessions.db)"
    )
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    rubrics_dir: Path = PROJECT_ROOT / "rubrics"
    problems_dir: Path | None = Field(default=None, description="default rubrics_dir/problems")

    # Vector store: embedded Chroma on disk unless a Chroma server host is given.
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = Field(default="guides", min_length=3)

    # Interview policy
    followup_budget: int = Field(default=2, ge=0, le=5)
    max_answer_chars: int = Field(default=8000, ge=200)
    citations_per_gap: int = Field(default=2, ge=1, le=3)

    # App
    host: str = "127.0.0.1"
    port: int = 7860
    coach_password: SecretStr | None = None

    @property
    def provider(self) -> str:
        if self.llm:
            return self.llm
        if self.openai_api_key:
            return "openai"
        if self.openai_base_url:
            return "openai-compatible"
        return "offline"

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    @property
    def db_file(self) -> Path:
        return self.db_path or self.data_dir / "sessions.db"

    @property
    def problems_path(self) -> Path:
        return self.problems_dir or self.rubrics_dir / "problems"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"bad setting {where}={err.get('input')!r}: {err['msg']}") from None
