"""``interviewer serve``."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="start the Gradio app",
        description=(
            "Start the Gradio app: the interview and history tabs; coaches open the page with "
            "?coach=1 for the coach tab (unlocked with INTERVIEWER_COACH_PASSWORD)."
        ),
        epilog="example: interviewer serve --port 7860",
    )
    p.add_argument("--host", help="bind address (default: settings, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: settings, 7860)")
    p.set_defaults(func=run)


def _check_bindable(host: str, port: int) -> None:
    """Fail fast on a busy port, before minutes could go into building the index."""
    import socket

    from interviewer.errors import UserInputError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UserInputError(f"bad --host {host!r}: {exc.strerror or exc}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(addr)
        except OSError as exc:
            raise UserInputError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --port"
            ) from None


def _check_session_store(settings: Any) -> str:
    """Open the session store once before serving: an unreachable database fails here, in one
    line, and schema migrations run before the first candidate arrives."""
    from interviewer.session.store import is_database_url, open_store

    target = settings.session_store
    with open_store(target, pool_size=1) as store:
        where = store.where
    if is_database_url(target) and settings.ui_secret is None:
        print(
            "interviewer: warning: sessions are shared through PostgreSQL but "
            "INTERVIEWER_UI_SECRET is not set; replicas behind one address need the same "
            "secret, or browsers lose their interviews when they reach another replica",
            file=sys.stderr,
            flush=True,
        )
    return where


def run(args: argparse.Namespace) -> int:
    from interviewer.errors import UserInputError
    from interviewer.runtime import configure_offline

    configure_offline()  # before gradio/chromadb/torch: no analytics, no downloads

    from interviewer.settings import get_settings

    settings = get_settings()
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    if not 1 <= port <= 65535:
        raise UserInputError(f"bad --port {port!r}: expected 1-65535")
    if not host.strip():
        raise UserInputError(f"bad --host {host!r}")
    _check_bindable(host, port)
    settings = settings.model_copy(update={"host": host, "port": port})
    sessions_at = _check_session_store(settings)

    from interviewer.retrieval import ensure_index

    print("interviewer: checking the guide index…", file=sys.stderr, flush=True)
    ensure_index()

    from ui.app import launch

    try:
        demo = launch(settings, block=False)
    except OSError as exc:
        reason = "is already in use" if "empty port" in str(exc) else f"cannot be used ({exc})"
        raise UserInputError(
            f"port {port} on {host} {reason}; choose another with --port"
        ) from None
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    coach = "on" if settings.coach_password else "off (set INTERVIEWER_COACH_PASSWORD)"
    print(
        f"interviewer: serving on http://{shown}:{port}/  (engine: {settings.provider}; "
        f"coach tab: {coach}; sessions: {sessions_at}; Ctrl-C to stop)",
        flush=True,
    )
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
    return 0
