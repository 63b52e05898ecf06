"""The local webhook receiver: records every request it gets, answers as told (no Qt).

It accepts any method on any path, keeps each request exactly (raw path and query, headers in
order, raw body bytes, parsed JSON when the body is JSON, remote address, UTC time) as a
:class:`~composer.core.webhooks.WebhookRecord`, and answers at once with a configurable status
after a configurable delay, both changeable while it runs (to see how a sender retries).

It runs on its own thread and asyncio loop (:class:`~composer.servers.background.BackgroundServer`,
uvicorn + Starlette), bound to 127.0.0.1 unless told otherwise (:attr:`WebhookReceiver.warning`
says what binding elsewhere means). Consumers on other threads get the records by one of:

- :meth:`WebhookReceiver.subscribe`: a callback called on the receiver's thread for each record.
  Keep it short and thread-safe; emitting a Qt signal (queued to the UI thread) is exactly that.
- :meth:`WebhookReceiver.feed`: a :class:`RecordFeed`, a thread-safe queue to drain from any
  thread (a UI timer, a CLI loop), with :meth:`RecordFeed.get` and :meth:`RecordFeed.drain`.
- :meth:`WebhookReceiver.records` (a snapshot) and :meth:`WebhookReceiver.wait_for`.

Bodies over the size cap get 413 (the body is read and dropped up to a limit, so the sender gets
the answer rather than a reset connection). Malformed HTTP is refused by uvicorn's parser and
the receiver keeps running.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from composer.core.signing import DEFAULT_MAX_AGE, verify_query
from composer.core.webhooks import (
    DEFAULT_RECEIVER_HOST,
    WebhookRecord,
    exposure_warning,
    receiver_url,
)
from composer.servers.background import BackgroundServer, StartStopContext

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY: Final = 5 * 1024 * 1024  # bytes; ComfyDeploy payloads are a few kB
DEFAULT_MAX_RECORDS: Final = 10_000  # kept in memory; subscribers see every one regardless
# A body over the cap is still read (and dropped) up to this many bytes, so a sender gets the
# 413 instead of a reset connection; beyond it the connection is closed.
_DRAIN_FACTOR: Final = 8
_NO_BODY_STATUSES: Final = frozenset({204, 205, 304})

RecordCallback = Callable[[WebhookRecord], None]


@dataclass(frozen=True, slots=True)
class ReceiverStats:
    """Counters since start (or the last :meth:`WebhookReceiver.clear`)."""

    received: int
    refused_too_large: int
    disconnected: int


class RecordFeed:
    """A thread-safe queue of records, filled by the receiver's thread, drained by anyone."""

    def __init__(self, unsubscribe: Callable[[], None] | None = None) -> None:
        self._queue: queue.SimpleQueue[WebhookRecord] = queue.SimpleQueue()
        self._unsubscribe = unsubscribe

    def put(self, record: WebhookRecord) -> None:
        """Add a record (called by the receiver)."""
        self._queue.put(record)

    def get(self, timeout: float | None = None) -> WebhookRecord | None:
        """The next record, waiting up to ``timeout`` seconds; None when none came."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[WebhookRecord]:
        """Every record waiting now, without blocking."""
        items: list[WebhookRecord] = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def close(self) -> None:
        """Stop receiving records."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


class ReceiverApp:
    """The ASGI app: record every request, answer with the configured status and delay."""

    def __init__(
        self,
        *,
        status: int = 200,
        delay: float = 0.0,
        max_body: int = DEFAULT_MAX_BODY,
        max_records: int = DEFAULT_MAX_RECORDS,
        secret: str | None = None,
        signature_max_age: float = DEFAULT_MAX_AGE,
    ) -> None:
        check_status(status)
        self._status = status
        self._delay = max(0.0, delay)
        self._next_statuses: deque[int] = deque()
        self.max_body = max_body
        self._secret = secret or None
        self._signature_max_age = signature_max_age
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._records: deque[WebhookRecord] = deque(maxlen=max_records)
        self._subscribers: list[RecordCallback] = []
        self._seq = 0
        self._refused = 0
        self._disconnected = 0

    # --- settings, changeable from any thread while running ---

    @property
    def status(self) -> int:
        """The status answered to every request (after any queued by :meth:`answer_next`)."""
        return self._status

    @property
    def delay(self) -> float:
        """Seconds to wait before answering."""
        return self._delay

    def set_answer(self, status: int | None = None, delay: float | None = None) -> None:
        """Change the status and/or the delay of the answers from now on."""
        if status is not None:
            check_status(status)
            self._status = status
        if delay is not None:
            self._delay = max(0.0, delay)

    def answer_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, one each, then the usual status again.

        ``answer_next(500, 500)`` makes a sender's first two attempts fail: the way to watch
        ComfyDeploy's retries (sent as GET) arrive.
        """
        for status in statuses:
            check_status(status)
        with self._lock:
            self._next_statuses.extend(statuses)

    def set_secret(self, secret: str | None, max_age: float = DEFAULT_MAX_AGE) -> None:
        """Check signed URLs with this secret from now on (None: stop checking)."""
        self._secret = secret or None
        self._signature_max_age = max_age

    # --- records ---

    def subscribe(self, callback: RecordCallback) -> Callable[[], None]:
        """Call ``callback(record)`` on the receiver's thread for each new record.

        Returns a function that unsubscribes. A callback that raises is logged and skipped;
        it never breaks the receiver.
        """
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def feed(self) -> RecordFeed:
        """A new :class:`RecordFeed` subscribed to every record from now on."""
        holder: list[Callable[[], None]] = []
        feed = RecordFeed(lambda: holder[0]())
        holder.append(self.subscribe(feed.put))
        return feed

    def records(self) -> list[WebhookRecord]:
        """The records kept so far (the newest ``max_records``), oldest first."""
        with self._lock:
            return list(self._records)

    @property
    def count(self) -> int:
        """How many requests were recorded since start or the last clear."""
        with self._lock:
            return self._seq

    def stats(self) -> ReceiverStats:
        """Counters of received, refused and abandoned requests."""
        with self._lock:
            return ReceiverStats(self._seq, self._refused, self._disconnected)

    def clear(self) -> None:
        """Forget the records and counters; numbering starts again at 1."""
        with self._lock:
            self._records.clear()
            self._seq = 0
            self._refused = 0
            self._disconnected = 0

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests were recorded (since start or clear); False on timeout."""
        return self.wait_until(lambda _records: self._seq >= count, timeout)

    def wait_until(
        self, predicate: Callable[[list[WebhookRecord]], bool], timeout: float = 10.0
    ) -> bool:
        """Block until ``predicate(records)`` holds (checked at each new record); False on timeout.

        For tests and scripts: ``receiver.wait_until(lambda rs: any(r.is_terminal for r in rs))``.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self._records)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    # --- ASGI ---

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection (HTTP requests; lifespan; websockets are refused)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http":
            try:
                await self._handle(scope, receive, send)
            except Exception:  # never let one odd request take the receiver down
                logger.exception("the webhook receiver failed on a request")
                await _safe_send(JSONResponse({"detail": "receiver error"}, 500), scope, send)
        elif scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1003})

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        received_at = datetime.now(UTC)
        request = Request(scope, receive)
        body = bytearray()
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size <= self.max_body:
                    body += chunk
                elif size > self.max_body * _DRAIN_FACTOR:
                    break  # stop reading: uvicorn closes the connection after the answer
        except ClientDisconnect:
            with self._lock:
                self._disconnected += 1
            return
        if size > self.max_body:
            with self._lock:
                self._refused += 1
            detail = f"body of {size} bytes or more is over the receiver's {self.max_body} limit"
            await JSONResponse({"detail": detail}, 413)(scope, receive, send)
            return
        record = self._record(scope, received_at, bytes(body))
        status = self._take_status()
        if self._delay > 0:
            await asyncio.sleep(self._delay)
        if status in _NO_BODY_STATUSES:
            response: Response = Response(status_code=status)
        elif status < 400:
            response = JSONResponse({"received": record.seq}, status)
        else:
            response = JSONResponse({"detail": f"composer receiver answering {status}"}, status)
        await response(scope, receive, send)

    def _take_status(self) -> int:
        with self._lock:
            return self._next_statuses.popleft() if self._next_statuses else self._status

    def _record(self, scope: Scope, received_at: datetime, body: bytes) -> WebhookRecord:
        query = _text(scope.get("query_string", b""))
        secret = self._secret
        signature = verify_query(query, secret, max_age=self._signature_max_age) if secret else None
        raw_path = scope.get("raw_path")
        client = scope.get("client")
        with self._lock:
            self._seq += 1
            record = WebhookRecord(
                seq=self._seq,
                received_at=received_at,
                method=scope["method"],
                path=_text(raw_path) if raw_path else scope["path"],
                query=query,
                headers=[(_text(name), _text(value)) for name, value in scope["headers"]],
                body=body,
                json=_parse_json(body),
                remote=_remote(client),
                signature=signature,
            )
            self._records.append(record)
            subscribers = list(self._subscribers)
            self._changed.notify_all()
        for callback in subscribers:
            try:
                callback(record)
            except Exception:
                logger.exception("a webhook record subscriber failed")
        return record


class WebhookReceiver(ReceiverApp, StartStopContext):
    """A :class:`ReceiverApp` served on its own thread; a context manager or start()/stop().

    ``host`` defaults to 127.0.0.1; binding another address is an explicit choice that
    :attr:`warning` describes for the UI and CLI. ``port`` 0 picks a free port.
    """

    def __init__(self, host: str = DEFAULT_RECEIVER_HOST, port: int = 0, **settings: Any) -> None:
        super().__init__(**settings)
        self.host = host
        # uvicorn's ASGI types are narrower than Starlette's; the app follows both at run time.
        self._server = BackgroundServer(cast(Any, self), host, port)

    @property
    def port(self) -> int:
        """The port listened on (the real one once started, also when 0 was asked)."""
        return self._server.port

    @property
    def url(self) -> str:
        """The URL to send webhooks to, ``http://HOST:PORT/`` (loopback for a wildcard bind)."""
        return receiver_url(self.host, self.port)

    @property
    def listen_url(self) -> str:
        """``http://HOST:PORT/`` as bound (``0.0.0.0`` stays as is), for "Listening on ..."."""
        return self._server.url + "/"

    @property
    def warning(self) -> str | None:
        """A warning to show when the receiver is reachable from other machines, else None."""
        return exposure_warning(self.host)

    @property
    def running(self) -> bool:
        """True while serving."""
        return self._server.running

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns :attr:`url`. Raises ServerStartError when the port is taken."""
        self._server.start(timeout)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (idempotent); the records stay readable."""
        self._server.stop(timeout)


def check_status(status: int) -> None:
    """Refuse statuses a server cannot answer with (1xx, out of range)."""
    if not 200 <= status <= 599:
        raise ValueError(f"the receiver answers with a status from 200 to 599, not {status}")


def _text(raw: bytes) -> str:
    # URLs and header values should be ASCII; anything else is kept readable rather than lost.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse_json(body: bytes) -> Any | None:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _remote(client: Any) -> str:
    if not client:
        return ""
    host, port = client[0], client[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _safe_send(response: Response, scope: Scope, send: Send) -> None:
    async def no_body() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    try:
        await response(scope, no_body, send)
    except Exception:  # the answer had already started: nothing more to say
        logger.debug("could not send the error answer", exc_info=True)
