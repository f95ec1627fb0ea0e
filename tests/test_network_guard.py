import socket

import pytest

from tests.conftest import NetworkBlocked


def test_outbound_connection_is_blocked() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlocked):
            s.connect(("93.184.216.34", 443))
    finally:
        s.close()


def test_dns_lookup_is_blocked() -> None:
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("huggingface.co", 443)


def test_loopback_is_allowed() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    c = socket.socket()
    try:
        c.connect(("127.0.0.1", port))
    finally:
        c.close()
        srv.close()
