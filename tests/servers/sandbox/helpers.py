"""Helpers for the sandbox's tests: a real webhook receiver and small HTTP conveniences."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from composer.servers.background import BackgroundServer
from composer.servers.sandbox.catalogue import SDXL_DEPLOYMENT_ID

SDXL = SDXL_DEPLOYMENT_ID
RESTYLE = "7d3e9b52-1f0a-4c6d-8e2b-5a9c4d7f1e63"
POSTER = "c41a6f0e-92d8-4b3f-a7e5-0d8b2c6e9f14"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got."""

    method: str
    path: str
    query: str
    body: dict[str, Any]


class Recorder:
    """A webhook receiver on a real HTTP server that records what arrives.

    ``statuses`` answers the first requests with these codes (then 200), to test retries.
    """

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.statuses: list[int] = []
        self.delay = 0.0  # seconds before answering, to play a slow receiver
        self._changed = threading.Condition()
        self.server = BackgroundServer(
            Starlette(routes=[Route("/{path:path}", self._receive, methods=["GET", "POST"])])
        )

    async def _receive(self, request: Request) -> JSONResponse:
        raw = await request.body()
        if self.delay:
            await asyncio.sleep(self.delay)
        body = json.loads(raw) if raw else {}
        with self._changed:
            self.deliveries.append(
                Delivery(request.method, request.url.path, request.url.query, body)
            )
            status = self.statuses.pop(0) if self.statuses else 200
            self._changed.notify_all()
        return JSONResponse({"ok": status < 400}, status_code=status)

    def url(self, path: str = "/hook", query: str = "") -> str:
        """A webhook URL on this receiver."""
        return f"{self.server.url}{path}" + (f"?{query}" if query else "")

    def wait_until(self, predicate: Callable[[list[Delivery]], bool], timeout: float = 10) -> None:
        """Block until ``predicate(deliveries)`` holds (fails the test after ``timeout``)."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.deliveries), timeout):
                raise AssertionError(f"webhooks did not arrive as expected: {self.deliveries}")

    def for_run(self, run_id: str) -> list[Delivery]:
        """The deliveries about one run, in arrival order."""
        with self._changed:
            return [d for d in self.deliveries if d.body.get("run_id") == run_id]


@contextmanager
def recorder() -> Iterator[Recorder]:
    """A started :class:`Recorder`, stopped afterwards."""
    receiver = Recorder()
    receiver.server.start()
    try:
        yield receiver
    finally:
        receiver.server.stop()


def terminal(deliveries: list[Delivery], run_id: str) -> bool:
    """True once a terminal ``run.updated`` of this run has arrived."""
    return any(
        d.body.get("run_id") == run_id
        and d.body.get("event_type") == "run.updated"
        and d.body.get("status") in ("success", "failed", "timeout", "cancelled")
        for d in deliveries
    )
