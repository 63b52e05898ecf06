"""ASGI layers in front of the sandbox's routes: injected faults, the body size limit, and auth.

They are plain ASGI (not FastAPI middleware) so they act before any routing or body parsing:
a missing token is a 401 whatever the body, an oversized body a 413 without reading it whole,
and a dropped connection can really drop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from composer.servers.sandbox.config import SandboxConfig

API_PREFIX: Final = "/api"
# Paths served without a token, as on the real service (the catalogue, public file URLs, docs).
PUBLIC_PATHS: Final = ("/api/models", "/api/files/", "/api/docs", "/api/openapi.json")
DROP_MARKER: Final = "composer-sandbox: connection dropped on purpose"


async def send_json(send: Send, status: int, body: Any) -> None:
    """Answer with a JSON body."""
    await _send(send, status, json.dumps(body).encode(), b"application/json")


async def send_text(send: Send, status: int, text: str) -> None:
    """Answer with a plain-text body (what a proxy or an unhandled error gives)."""
    await _send(send, status, text.encode(), b"text/plain; charset=utf-8")


async def _send(send: Send, status: int, content: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class _DropFilter(logging.Filter):
    """Hides uvicorn's complaint about a connection the fault layer dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return DROP_MARKER not in record.getMessage()


_DROP_FILTER: Final = _DropFilter()


class FaultLayer:
    """Latency, 5xx answers and dropped connections, as set in ``config.faults`` at the time."""

    _ERRORS: Final = (
        (500, "json", {"detail": "Internal Server Error"}),
        (502, "text", "Bad Gateway"),
        (503, "text", "Service Unavailable"),
    )

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config
        self.rng = random.Random()
        logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)  # added once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        faults = self.config.faults
        if scope["type"] != "http" or not faults.active():
            return await self.app(scope, receive, send)
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        if self.rng.random() < faults.error_rate:
            status, kind, body = self.rng.choice(self._ERRORS)
            if kind == "json":
                await send_json(send, status, body)
            else:
                await send_text(send, status, str(body))
            return None
        if self.rng.random() < faults.drop_rate:
            # Handle the request (a run may be created), then close without answering.
            async def swallow(_message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            # uvicorn closes the connection without a byte when an ASGI app returns a value and
            # has not started a response: the only way to drop a connection through ASGI.
            return DROP_MARKER
        return await self.app(scope, receive, send)


class BodyLimitLayer:
    """Refuse request bodies over ``config.max_body_bytes`` with 413; buffer the rest."""

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self.config.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for the disconnect, as usual

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        detail = f"Request body too large: the limit is {limit} bytes"
        await send_json(send, 413, {"detail": detail})


class AuthLayer:
    """``Authorization: Bearer <token>`` on every ``/api`` path except the public ones."""

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        header = _header(scope, b"authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            await send_json(send, 401, {"detail": "Invalid or missing token"})
            return
        if self.config.token is not None and token != self.config.token:
            await send_json(send, 401, {"detail": "Invalid or expired token"})
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _protected(path: str) -> bool:
        if not path.startswith(API_PREFIX + "/"):
            return False
        return not any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC_PATHS)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def wrap(app: ASGIApp, config: SandboxConfig) -> ASGIApp:
    """The sandbox's full ASGI stack: faults, then the body limit, then auth, then the routes."""
    return FaultLayer(BodyLimitLayer(AuthLayer(app, config), config), config)
