"""Loopback answers of a BackgroundServer come at once, not after a delayed ACK (40 ms)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx

from composer.servers.background import BackgroundServer


async def two_part_answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    # Headers and body in two writes, as every ASGI framework answers.
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_keep_alive_requests_answer_in_well_under_40_ms() -> None:
    with BackgroundServer(two_part_answer) as server, httpx.Client(trust_env=False) as client:
        client.get(server.url)  # connect once; the rest reuse the connection
        timings = []
        for _ in range(15):
            started = time.perf_counter()
            assert client.get(server.url).text == "ok"
            timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.02
