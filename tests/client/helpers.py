"""Helpers for client tests: run a coroutine, a client on the sandbox, a webhook sink server."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from composer.client.api import ApiClient, Timeouts
from composer.client.group import PollSchedule
from composer.client.retry import RetryPolicy
from composer.servers.background import BackgroundServer
from composer.servers.sandbox import Sandbox
from composer.servers.sandbox.catalogue import SDXL_DEPLOYMENT_ID

# Polls every 10..100 ms: runs at sandbox speed 200 last tens of milliseconds.
FAST = PollSchedule(initial=0.01, factor=1.5, maximum=0.1, discovery=0.02, discovery_timeout=10)
# Retries without real waiting; many attempts so random faults never exhaust them.
FAST_RETRY = RetryPolicy(attempts=10, initial=0.001, maximum=0.005)

MODEL_BODY: dict[str, Any] = {"model_id": "flux-schnell", "inputs": {"prompt": "A fox", "seed": 1}}
DEPLOYMENT_ID = SDXL_DEPLOYMENT_ID
DEPLOYMENT_BODY: dict[str, Any] = {
    "deployment_id": DEPLOYMENT_ID,
    "inputs": {"positive_prompt": "A bakery", "seed": 7, "steps": 4},
}


def run[T](coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run a coroutine on a fresh event loop, failing after ``timeout`` seconds."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


def api_for(sandbox: Sandbox, **options: Any) -> ApiClient:
    """A client on the sandbox with its token, no environment proxies and fast retries."""
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("trust_env", False)
    options.setdefault("target", "sandbox")
    options.setdefault("timeouts", Timeouts(connect=2, read=10, run_wait=20, stream_idle=10))
    return ApiClient(sandbox.base_url, sandbox.token, **options)


class WebhookSink:
    """A real HTTP server that takes webhook deliveries and hands each JSON body to a callback
    (on the server's thread); answers 200 to any method and path."""

    def __init__(self, on_json: Callable[[Any], None] | None = None) -> None:
        self.payloads: list[Any] = []
        # (method, path, headers) of every request, headers lower-cased
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._on_json = on_json

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await self._handle(scope, receive, send)

        self._server = BackgroundServer(app)

    async def _handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        with self._lock:
            self.payloads.append(payload)
            self.requests.append((scope["method"], scope["path"], headers))
        if payload is not None and self._on_json is not None:
            self._on_json(payload)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def start(self) -> str:
        """Start serving; returns the URL to give as ``webhook``."""
        return self._server.start() + "/hook"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        return self._server.url

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def __enter__(self) -> WebhookSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
