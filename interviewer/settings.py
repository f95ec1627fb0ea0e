"""All settings in one place: environment variables (``INTERVIEWER_*``) and an optional ``.env``.

The LLM provider defaults to ``openai`` when ``OPENAI_API_KEY`` is set, to ``openai-compatible``
when ``OPENAI_BASE_URL`` is set, and to the deterministic ``offline`` engine otherwise.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
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
    # One turn's LLM budget, retries and backoff included (a hung provider costs this, once).
    llm_turn_deadline_s: float = Field(
        default=6.0, gt=0, description="phrasing and clarification, per turn"
    )
    llm_grade_deadline_s: float = Field(default=15.0, gt=0, description="grading, per turn")
    llm_breaker_failures: int = Field(
        default=3, ge=1, description="failed calls in a row before the provider is skipped"
    )
    llm_breaker_cooldown_s: float = Field(
        default=60.0, ge=0, description="how long a failing provider is skipped"
    )

    # Paths
    data_dir: Path = Field(default_factory=_default_data_dir)
    index_dir: Path | None = Field(
        default=None, description="Chroma directory (default data_dir/index)"
    )
    db_path: Path | None = Field(
        default=None, description="SQLite sessions (default data_dir/sessions.db)"
    )
    # Sessions in PostgreSQL instead of the SQLite file: what several app replicas share.
    database_url: SecretStr | None = Field(
        default=None, description="postgresql://user:password@host:5432/dbname"
    )
    db_pool_size: int = Field(default=10, ge=1, le=200, description="connections per process")
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    rubrics_dir: Path = PROJECT_ROOT / "rubrics"
    problems_dir: Path | None = Field(default=None, description="default rubrics_dir/problems")

    # Vector store: embedded Chroma on disk unless a Chroma server host is given.
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = Field(default="guides", min_length=3)

    # Ingest limits: a hostile or accidental file is skipped with a reason, not ingested for
    # minutes. Generous: the shipped corpus files are a few KB each.
    ingest_max_file_mb: float = Field(default=50.0, gt=0, description="largest file read")
    ingest_max_text_chars: int = Field(
        default=10_000_000, ge=1000, description="most text one file may yield"
    )
    ingest_max_pdf_stream_mb: float = Field(
        default=64.0, gt=0, description="largest decompressed PDF stream (decompression bombs)"
    )

    # Interview policy
    followup_budget: int = Field(default=2, ge=0, le=5)
    listening_policy: Literal["v1", "v2"] = Field(
        default="v2",
        description="v2 takes up wrong claims, counts coverage anywhere in the interview and "
        "asks the problem family's probes; v1 is the earlier policy, kept for eval comparisons",
    )
    max_answer_chars: int = Field(default=8000, ge=200)
    citations_per_gap: int = Field(default=2, ge=1, le=3)

    # App
    host: str = "127.0.0.1"
    port: int = 7860
    coach_password: SecretStr | None = None
    upload_max_mb: float = Field(
        default=25.0, gt=0, description="largest file the app accepts (recordings, uploads)"
    )
    # Encrypts each browser's identity token; replicas behind one address must share it
    # (unset: a random one kept in data_dir/ui-secret, fine for a single process).
    ui_secret: SecretStr | None = Field(default=None, min_length=32)

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
    def session_store(self) -> str | Path:
        """Where sessions live: the PostgreSQL URL when one is set, else the SQLite file."""
        if self.database_url is not None and self.database_url.get_secret_value().strip():
            return self.database_url.get_secret_value().strip()
        return self.db_file

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        text = value.get_secret_value().strip().lower() if value is not None else ""
        if text and not text.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql://… URL (unset it to use the SQLite file)")
        return value

    @property
    def problems_path(self) -> Path:
        return self.problems_dir or self.rubrics_dir / "problems"


_SECRET_FIELDS = {"database_url", "ui_secret", "coach_password", "openai_api_key"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        shown = err.get("input")
        if where in _SECRET_FIELDS:  # never echo a password or a URL that carries one
            shown = "<hidden>"
        raise ConfigError(f"bad setting {where}={shown!r}: {err['msg']}") from None
