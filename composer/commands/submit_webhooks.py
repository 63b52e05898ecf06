"""A local webhook endpoint for ``composer submit``, to learn the run ids of a model batch.

The API answers a batch with ``{"batch_id"}`` only, and model runs are not listed anywhere; each
run names itself in its own webhook deliveries. When such a batch goes to an API on this machine
(the built-in sandbox, or one on loopback) and the request has no webhook of its own, ``submit``
points the request's ``webhook`` here and feeds what arrives to its tracker group.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

from composer.servers.background import BackgroundServer

if TYPE_CHECKING:
    from uvicorn._types import ASGIApplication

WEBHOOK_PATH: Final = "/composer-submit"
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(base_url: str) -> bool:
    """True when the API runs on this machine (it can then reach a local webhook)."""
    host = urlsplit(base_url).hostname or ""
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


class WebhookCatcher:
    """Takes webhook deliveries on 127.0.0.1 and hands each JSON body to one consumer.

    Deliveries that arrive before :meth:`attach` wait, so none is lost between the POST and the
    moment the tracker exists. The consumer is called on the server's thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Any] = []
        self._consumer: Callable[[Any], None] | None = None
        self.received = 0

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await self._handle(scope, receive, send)

        # uvicorn's ASGI types are stricter than a plain coroutine function can spell.
        self._server = BackgroundServer(cast("ASGIApplication", app))

    @property
    def url(self) -> str:
        """The webhook URL to put in the request."""
        return self._server.url + WEBHOOK_PATH

    def start(self) -> str:
        """Start listening; returns :attr:`url`."""
        self._server.start()
        return self.url

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        self._server.stop()

    def attach(self, consumer: Callable[[Any], None]) -> None:
        """Send every delivery, those waiting first, to ``consumer``."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
            self._consumer = consumer
        for payload in waiting:
            consumer(payload)

    def _deliver(self, payload: Any) -> None:
        with self._lock:
            self.received += 1
            consumer = self._consumer
            if consumer is None:
                self._waiting.append(payload)
                return
        consumer(payload)

    async def _handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more and len(body) <= 1_000_000:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        # The real service retries as GET with the same body: any method counts.
        if payload is not None:
            self._deliver(payload)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})
