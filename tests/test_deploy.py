"""What can be checked of the many-candidates deployment without a Docker engine: the compose
file parses, its commands are the ones the replica tests run (and valid ``interviewer``
invocations), its settings are real settings, the load balancer knows every replica; and the
UI secret replicas share is the one the app uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from interviewer.cli import build_parser
from interviewer.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _apps(compose: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in compose["services"].items() if k.startswith("app-")}


def test_compose_commands_are_the_ones_the_tests_run(compose: dict[str, Any]) -> None:
    services = compose["services"]
    apps = _apps(compose)
    assert len(apps) >= 2
    parser = build_parser()
    for app in apps.values():
        # tests/test_ui_support.AppServer: python -m interviewer serve --host H --port P
        assert app["command"][:4] == ["interviewer", "serve", "--host", "0.0.0.0"]
        assert app["command"][4] == "--port"
        assert parser.parse_args(app["command"][1:]).func.__module__.endswith(".serve")
    # tests/pg_cluster.start_guide_server: chroma run --path P --host H --port N, then ingest
    assert services["chroma"]["command"][:2] == ["chroma", "run"]
    assert services["chroma"]["command"][2::2] == ["--path", "--host", "--port"]
    ingest = services["ingest"]["command"]
    assert ingest[:2] == ["interviewer", "ingest"]
    assert parser.parse_args(ingest[1:]).func.__module__.endswith(".ingest")
    assert services["postgres"]["image"].startswith("postgres:")


def test_compose_settings_are_real_settings_and_valid(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = next(iter(_apps(compose).values()))["environment"]
    fields = set(Settings.model_fields)
    for name in env:
        if name.startswith("INTERVIEWER_"):
            assert name.removeprefix("INTERVIEWER_").lower() in fields, name
    filled = {
        k: re.sub(r"\$\{[^}]+\}", "x" * 40 if "SECRET" in k else "pw", str(v))
        for k, v in env.items()
    }
    for k, v in filled.items():
        monkeypatch.setenv(k, v)
    s = Settings()
    assert str(s.session_store).startswith("postgresql://interviewer:pw@postgres:5432/")
    assert s.chroma_host == "chroma" and s.ui_secret is not None


def test_the_load_balancer_knows_every_replica(compose: dict[str, Any]) -> None:
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    upstream = set(re.findall(r"server (app-\d+):7860", conf))
    assert upstream == set(_apps(compose)) and "ip_hash" in conf


def test_replicas_share_the_configured_ui_secret(tmp_path: Path) -> None:
    import gradio as gr

    from ui.app import build_app

    secret = "s" * 48
    settings = Settings(data_dir=tmp_path, ui_secret=SecretStr(secret))
    demo = build_app(settings)
    states = [b for b in demo.blocks.values() if isinstance(b, gr.BrowserState)]
    assert states and all(b.secret == secret for b in states)
    assert not (tmp_path / "ui-secret").exists()  # the data dir's own secret is not made
    # Without it, the data dir's secret (one process, or replicas sharing a data dir).
    unset = build_app(Settings(data_dir=tmp_path))
    kept = {b.secret for b in unset.blocks.values() if isinstance(b, gr.BrowserState)}
    assert kept == {(tmp_path / "ui-secret").read_text().strip()}


def test_a_replica_serves_a_session_with_the_provider_it_was_started_with(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from ui.context import AppContext

    engines = {"s-offline": "offline", "s-llm": "openai-compatible:qwen"}

    class Store:
        def load(self, sid: str) -> Any:
            if sid not in engines:
                raise KeyError(sid)
            return SimpleNamespace(engine=engines[sid])

    def factory(provider: str, model: str) -> Any:
        return SimpleNamespace(provider=provider, store=Store())

    settings = Settings(data_dir=tmp_path, openai_base_url="http://127.0.0.1:9/v1")
    ctx = AppContext(settings=settings, service_factory=factory)  # never saw these sessions
    assert ctx.default_provider == "openai-compatible"
    assert ctx.service_for("s-offline").provider == "offline"
    assert ctx.service_for("s-llm").provider == "openai-compatible"
    assert ctx.service_for("unknown").provider == "openai-compatible"
