"""Resend received webhook requests to any URL (e.g. your handler) and collect its answers.

Each record goes out with its original method, headers (without hop-by-hop ones, Host and
Content-Length, which belong to the new connection) and body bytes, one after another in the
order given, since order matters to a webhook handler. Every answer, or the reason there was none,
comes back as a :class:`ReplayResult`; nothing raises for a handler that is down or slow.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import httpx

from composer.core.simulation import DELIVERY_TIMEOUT
from composer.core.webhook_io import resendable_headers
from composer.core.webhooks import WebhookRecord

DEFAULT_TIMEOUT: Final = DELIVERY_TIMEOUT  # seconds, what ComfyDeploy gives a handler per attempt
EXCERPT_CHARS: Final = 1000
# httpx adds these to every request; a faithful resend drops the ones the original lacked.
_CLIENT_DEFAULT_HEADERS: Final = ("accept", "accept-encoding", "user-agent")


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """How the target answered one resent record."""

    seq: int  # the record's number
    method: str
    url: str
    status: int | None  # None when no answer came (see error)
    elapsed: float  # seconds from sending to the full answer (or the failure)
    body_excerpt: str  # the start of the answer's body, as text
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True for an answer below 400."""
        return self.status is not None and self.status < 400

    def summary(self) -> str:
        """One line: ``#3 POST http://... -> 200 in 12 ms`` or the error."""
        head = f"#{self.seq} {self.method} {self.url} -> "
        if self.status is None:
            return head + f"no answer: {self.error}"
        return head + f"{self.status} in {self.elapsed * 1000:.0f} ms"


def replay_url(record: WebhookRecord, url: str, *, keep_query: bool = False) -> str:
    """Where a record goes: ``url``, plus the record's own query string with ``keep_query``.

    Keeping the query matters for handlers that read it (``target_events``, a signed URL's
    ``timestamp``/``signature``); it is appended literally, as received.
    """
    if not keep_query or not record.query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{record.query}"


def build_request(
    client: httpx.AsyncClient, record: WebhookRecord, url: str, *, keep_query: bool = False
) -> httpx.Request:
    """The request that resends ``record`` to ``url`` (original method, headers, body)."""
    headers = resendable_headers(record.headers)
    request = client.build_request(
        record.method,
        replay_url(record, url, keep_query=keep_query),
        headers=headers,
        content=record.body or None,
    )
    present = {name.lower() for name, _ in headers}
    for name in _CLIENT_DEFAULT_HEADERS:
        if name not in present and name in request.headers:
            del request.headers[name]
    return request


async def replay_one(
    client: httpx.AsyncClient,
    record: WebhookRecord,
    url: str,
    *,
    keep_query: bool = False,
) -> ReplayResult:
    """Resend one record with ``client``; the client's timeout applies."""
    target = replay_url(record, url, keep_query=keep_query)
    started = time.perf_counter()

    def failed(error: str) -> ReplayResult:
        return ReplayResult(
            record.seq, record.method, target, None, time.perf_counter() - started, "", error
        )

    try:
        request = build_request(client, record, url, keep_query=keep_query)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return failed(f"not a usable http(s) URL: {exc}")
    try:
        answer = await client.send(request)
    except httpx.TimeoutException:
        return failed(f"no answer within {_timeout_text(client)}")
    except httpx.UnsupportedProtocol as exc:
        return failed(f"not a usable http(s) URL: {exc}")
    except httpx.HTTPError as exc:
        return failed(sending_problem(exc))
    elapsed = time.perf_counter() - started
    excerpt = body_excerpt(answer.content, EXCERPT_CHARS)
    return ReplayResult(record.seq, record.method, target, answer.status_code, elapsed, excerpt)


async def replay(
    records: Iterable[WebhookRecord],
    url: str,
    *,
    client: httpx.AsyncClient | None = None,
    keep_query: bool = False,
    request_timeout: float = DEFAULT_TIMEOUT,
    on_result: Callable[[ReplayResult], None] | None = None,
) -> list[ReplayResult]:
    """Resend records one by one in the given order; ``on_result`` sees each answer as it comes.

    Without ``client`` a private one is made (and closed) with ``request_timeout`` per request.
    """
    if client is None:
        async with httpx.AsyncClient(timeout=request_timeout, follow_redirects=False) as own:
            return await replay(
                records, url, client=own, keep_query=keep_query, on_result=on_result
            )
    results: list[ReplayResult] = []
    for record in records:
        result = await replay_one(client, record, url, keep_query=keep_query)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def sending_problem(exc: httpx.HTTPError) -> str:
    """Why a request to a handler got no answer, for people (a timeout is said by the caller,
    which knows the limit)."""
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc or 'refused'}); is the handler running?"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def body_excerpt(content: bytes, limit: int) -> str:
    """The start of an answer's body as text, at most ``limit`` characters."""
    # A character is at most 4 bytes of UTF-8: decode no more than the excerpt can use.
    return content[: limit * 4].decode("utf-8", errors="replace")[:limit]


def _timeout_text(client: httpx.AsyncClient) -> str:
    seconds = client.timeout.read
    return f"{seconds:g} s" if seconds is not None else "the time limit"
