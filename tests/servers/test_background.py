"""The background server helper: start on a free port, serve real HTTP, stop cleanly."""

from __future__ import annotations

import httpx
import pytest
from pytestqt.qtbot import QtBot
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from composer.servers.background import BackgroundServer, ServerStartError
from tests.qt_async import run_async


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path, "body": (await request.body()).decode()})


APP = Starlette(routes=[Route("/{rest:path}", echo, methods=["GET", "POST"])])


def test_serves_on_a_free_port_and_stops() -> None:
    server = BackgroundServer(APP)
    url = server.start()
    assert server.port > 0 and url == f"http://127.0.0.1:{server.port}"
    answer = httpx.post(f"{url}/hello", content=b"hi", trust_env=False)
    assert answer.json() == {"path": "/hello", "body": "hi"}
    server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/hello", trust_env=False)


def test_port_in_use_is_a_clear_error() -> None:
    with BackgroundServer(APP) as first, pytest.raises(ServerStartError, match="cannot listen"):
        BackgroundServer(APP, port=first.port).start()


def test_reachable_from_the_qasync_loop(qasync_loop: object, qtbot: QtBot) -> None:
    with BackgroundServer(APP) as server:

        async def fetch() -> object:
            async with httpx.AsyncClient(trust_env=False) as client:
                return (await client.get(f"{server.url}/x")).json()

        assert run_async(qtbot, fetch()) == {"path": "/x", "body": ""}


def test_listening_socket_is_tcp_so_responses_are_not_delayed() -> None:
    # With proto 0 asyncio skips TCP_NODELAY on accepted connections: ~40 ms per response.
    import socket

    from composer.servers.background import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
