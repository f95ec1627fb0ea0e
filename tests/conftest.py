"""Test-wide guards: no network beyond loopback, offline switches, isolated data dirs.

Any hidden download (a Hugging Face model, tiktoken BPE files, Chroma's default embedder,
Gradio analytics) fails the test that triggers it instead of silently succeeding on a
connected laptop.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from interviewer.runtime import configure_offline

if TYPE_CHECKING:
    from tests.pg_cluster import Cluster, GuideServer

configure_offline()
# Session-scoped fixtures are set up before the per-test autouse fixture below, so give the
# whole run a throwaway data dir too: nothing a test does may write into the checkout.
os.environ["INTERVIEWER_DATA_DIR"] = tempfile.mkdtemp(prefix="interviewer-tests-")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "0.0.0.0", ""}


class NetworkBlocked(RuntimeError):
    pass


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in _LOCAL_NAMES:
        return True
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return addr.is_loopback or addr.is_unspecified


def _check(sock: socket.socket, address: object) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _is_loopback(host):
        raise NetworkBlocked(f"network access blocked in tests: {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
    if host is not None and not _is_loopback(host if isinstance(host, str) else str(host)):
        raise NetworkBlocked(f"DNS lookup blocked in tests: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test gets its own data dir and a clean settings cache; no LLM keys leak in."""
    from interviewer.settings import get_settings

    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(data))
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "INTERVIEWER_LLM",
        "INTERVIEWER_INDEX_DIR",
        "INTERVIEWER_DB_PATH",
        "INTERVIEWER_DATABASE_URL",
        "INTERVIEWER_UI_SECRET",
    ):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster per run (tests/pg_cluster.py); skips without binaries."""
    from tests.pg_cluster import cluster_or_skip_reason

    for cluster in cluster_or_skip_reason():
        if isinstance(cluster, str):
            pytest.skip(cluster)
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A fresh, empty database on the session's cluster."""
    return pg_cluster.create_database()


@pytest.fixture(scope="session")
def guide_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuideServer]:
    """A ``chroma run`` server holding the guide index, shared by the whole run."""
    from tests.pg_cluster import start_guide_server
    from tests.test_ui_support import shared_index

    server = start_guide_server(shared_index(tmp_path_factory))
    if isinstance(server, str):
        pytest.skip(server)
    try:
        yield server
    finally:
        server.stop()
