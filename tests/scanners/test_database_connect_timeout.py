"""The MySQL connect timeout is the documented 10 s (issue 17, item 19): a server that
accepts the TCP connection and never sends its greeting is given up on after the connect
timeout, not after ``statement_timeout + 30`` s (60 s by default). Real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from auditor.scanners.database.options import Budget, DbSettings
from auditor.scanners.database.session import CONNECT_TIMEOUT_S, Session
from auditor.scanners.database.urls import parse_url

from auditor.errors import TargetError


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_documented_default() -> None:
    assert CONNECT_TIMEOUT_S == 10


def test_silent_mysql_server_times_out_after_the_connect_timeout(silent_server: int) -> None:
    dburl = parse_url(f"mysql://root@127.0.0.1:{silent_server}/x", env={})
    # NOTE: a short connect timeout and the default statement timeout (30 s): the old code
    # waited statement_timeout + 30 s for the greeting
    started = time.monotonic()
    with pytest.raises(TargetError, match=r"cannot connect to mysql://root@127\.0\.0\.1"):
        Session(dburl, DbSettings(), Budget(None), connect_timeout=0.5)
    assert time.monotonic() - started < 20
