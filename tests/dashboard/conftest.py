"""A seeded results store and the dashboard served live by uvicorn on a free loopback
port (a real server in a thread; the socket is bound before the server starts, so
requests simply queue until it accepts them)."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

from auditor.dashboard.app import Auth, create_app  # noqa: E402
from auditor.history import Store  # noqa: E402
from tests.dashboard.seed import seed  # noqa: E402

SYSTEMS, RUNS = 5, 24


@dataclass
class Live:
    base: str
    store: Store

    def get(self, path: str, headers: dict[str, str] | None = None,
            method: str = "GET") -> tuple[int, dict[str, str], str]:
        req = urllib.request.Request(self.base + path, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()


def serve(store: Store, auth: Auth | None = None) -> Iterator[Live]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store, auth), log_level="warning",
                                          lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{port}", store)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("dashboard-store")
    reports = folder / "reports"
    reports.mkdir()
    (reports / "report.json").write_text('{"masked": "••••(12)"}\n', encoding="utf-8")
    (reports / "report.html").write_text("<p>report</p>\n", encoding="utf-8")
    store = Store.open(f"sqlite:///{folder / 'history.sqlite'}")
    seed(store, SYSTEMS, RUNS, report_dirs=[str(reports)] * SYSTEMS)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def live(seeded_store: Store) -> Iterator[Live]:
    yield from serve(seeded_store)
