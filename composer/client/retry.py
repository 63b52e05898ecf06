"""When and how long to wait before sending a read again.

Only reads are retried (``GET /run/{id}``, the catalogue, a deployment's runs): on 429, 502, 503
and 504 answers and on connection failures, with exponential backoff and full jitter, honouring a
``Retry-After`` header. ``POST /run*`` is never retried: the API has no idempotency key, so a
second POST can start a second run. 500 is not retried either: the API answers 500 for its own
bugs and for cancels that failed, which a retry does not fix.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

RETRY_STATUSES: Final[frozenset[int]] = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: try ``attempts`` times in all, waiting about
    ``initial * factor ** n`` seconds (at most ``maximum``) between tries. A ``Retry-After``
    answer is honoured up to ``retry_after_cap`` seconds."""

    attempts: int = 4
    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 10.0
    retry_after_cap: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES
    # Random source for jitter; a test may pass a seeded one.
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry), jittered."""
        ceiling = min(self.maximum, self.initial * self.factor ** max(0, retry - 1))
        # "Full jitter": spread retries of many clients over the whole window.
        return self.rng.uniform(ceiling / 2, ceiling)

    def delay(self, retry: int, retry_after: float | None) -> float:
        """The wait before retry ``retry``: the server's ``Retry-After`` (capped), if given."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.retry_after_cap)
        return self.backoff(retry)

    def should_retry_status(self, status_code: int) -> bool:
        """True for the statuses worth another try."""
        return status_code in self.statuses


NO_RETRY: Final = RetryPolicy(attempts=1)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None when unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_retryable_exception(exc: BaseException) -> bool:
    """Connection failures and timeouts of a read are worth another try; our own pool running
    dry (PoolTimeout) or a bad URL are not."""
    if isinstance(exc, httpx.PoolTimeout | httpx.UnsupportedProtocol | httpx.InvalidURL):
        return False
    return isinstance(exc, httpx.TransportError)


Sleep = Callable[[float], Awaitable[None]]


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    on_retry: Callable[[int, float, str], None] | None = None,
) -> httpx.Response:
    """Call ``send`` (one read) until it gives an answer not worth retrying, or tries run out.

    Returns the last response (which may still be an error status for the caller to map);
    re-raises the last transport exception when every try failed to connect. ``on_retry`` is told
    (retry number, wait in seconds, reason) before each wait, for logs and tests.
    """
    attempt = 1
    while True:
        try:
            response = await send()
        except httpx.TransportError as exc:
            if attempt >= policy.attempts or not is_retryable_exception(exc):
                raise
            reason = type(exc).__name__
            wait = policy.delay(attempt, None)
        else:
            if attempt >= policy.attempts or not policy.should_retry_status(response.status_code):
                return response
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            await response.aclose()
            reason = f"HTTP {response.status_code}"
            wait = policy.delay(attempt, retry_after)
        if on_retry is not None:
            on_retry(attempt, wait, reason)
        await sleep(wait)
        attempt += 1
