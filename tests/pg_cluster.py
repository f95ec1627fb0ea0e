"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl on a free loopback port.

Debian's server binaries (``/usr/lib/postgresql/<version>/bin``; ``make test`` installs the
``postgresql`` package where it can). ``initdb`` refuses to run as root, so as root the cluster
is created and run by the ``postgres`` user (``runuser -u postgres --``) in a directory it owns
under /tmp. One cluster per pytest run (conftest's session fixture), one database per test.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.test_ui_support import free_port

SUPERUSER = "postgres"


def server_bindir() -> Path | None:
    """The newest installed server's bin dir, or None (the tests then skip)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for found in reversed(candidates):
        if (Path(found) / "initdb").exists() and (Path(found) / "pg_ctl").exists():
            return Path(found)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_cluster_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SUPERUSER, "--", *argv]


@dataclass
class Cluster:
    bindir: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def run(self, *argv: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _as_cluster_owner([str(self.bindir / argv[0]), *argv[1:]]),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,
        )

    def create_database(self, name: str | None = None) -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(bindir: Path) -> Cluster:
    """initdb + start on a free loopback port; raises RuntimeError with the server's log."""
    root = Path(tempfile.mkdtemp(prefix="interviewer-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, SUPERUSER, SUPERUSER)
    cluster = Cluster(bindir=bindir, root=root, port=free_port())
    init = cluster.run(
        "initdb", "-D", str(cluster.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
        "--no-sync", "--no-instructions",
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr.strip()[-1500:]}")
    options = (
        f"-p {cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
        "-c max_connections=200 -c shared_buffers=32MB"
    )
    started = cluster.run(
        "pg_ctl", "-D", str(cluster.data), "-o", options, "-l", str(root / "server.log"),
        "-w", "-t", "60", "start",
    )  # fmt: skip
    if started.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-1500:]
        cluster.stop()
        raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log}")
    deadline = time.monotonic() + 60
    while cluster.run("pg_isready", "-h", "127.0.0.1", "-p", str(cluster.port)).returncode != 0:
        if time.monotonic() > deadline:
            cluster.stop()
            raise RuntimeError("the test PostgreSQL server did not become ready in 60 s")
        time.sleep(0.2)
    return cluster


def cluster_or_skip_reason() -> Iterator[Cluster | str]:
    """Yields a running cluster (stopped afterwards) or the reason there is none."""
    bindir = server_bindir()
    if bindir is None:
        yield "PostgreSQL server binaries not found (apt-get install postgresql)"
        return
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        yield "running as root without runuser: cannot start initdb as the postgres user"
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield "psycopg is not installed"
        return
    cluster = start_cluster(bindir)
    try:
        yield cluster
    finally:
        cluster.stop()


@dataclass
class GuideServer:
    """A ``chroma run`` server on loopback holding the ingested guide corpus."""

    proc: subprocess.Popen[bytes]
    root: Path
    port: int
    host: str = "127.0.0.1"

    def env(self) -> dict[str, str]:
        return {"INTERVIEWER_CHROMA_HOST": self.host, "INTERVIEWER_CHROMA_PORT": str(self.port)}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        shutil.rmtree(self.root, ignore_errors=True)


def start_guide_server(index: Path) -> GuideServer | str:
    """``chroma run`` serving a copy of ``index`` (the run's shared guide index, built by the
    real ``interviewer ingest``), or the reason it cannot. Ingesting through a server is
    tested by tests/test_chroma_server.py; here the corpus is not embedded a second time."""
    import sys
    import urllib.request

    from tests.test_ui_support import base_env

    local = Path(sys.executable).with_name("chroma")
    exe = str(local) if local.exists() else shutil.which("chroma")
    if exe is None:
        return "the chroma CLI is not installed"
    root = Path(tempfile.mkdtemp(prefix="interviewer-chroma-"))
    shutil.copytree(index, root / "db")
    port = free_port()
    with open(root / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [exe, "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=base_env(),
        )  # fmt: skip
    server = GuideServer(proc, root, port)
    deadline = time.monotonic() + 60
    while True:
        try:
            url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            return "chroma run did not answer its heartbeat within 60 s"
        time.sleep(0.3)
