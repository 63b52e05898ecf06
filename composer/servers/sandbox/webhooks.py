"""Webhook deliveries exactly as the real service makes them (API-CONTRACT section 5).

Every delivery runs as a task of its own, off the request path, so a slow receiver never slows
the API. One run's events go out one after another in the order they happened (unless the
reorder fault is on: then each waits a random time first, so they overtake each other). Each
delivery has up to 3 attempts with a 20 s timeout, retried after about 0.5 s and 1 s (scaled by
the speed factor) on any status >= 400 or transport error; with ``webhook_get_retries`` the
retries are sent as GET with the same JSON body, like the real service's quirk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from composer.servers.sandbox.config import WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF, SandboxConfig

log = logging.getLogger(__name__)
_MAX_PARALLEL = 32  # deliveries in flight at once; the rest wait their turn
_REORDER_WINDOW = 2.0  # simulated seconds a reordered delivery may wait


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """One HTTP attempt of a delivery, for tests and the sandbox's own log."""

    run_id: str
    url: str
    method: str
    attempt: int
    event_type: str
    payload: dict[str, Any]
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        """True when the receiver answered below 400."""
        return self.status_code is not None and self.status_code < 400


@dataclass
class WebhookDispatcher:
    """Sends webhook deliveries on the sandbox's loop and records every attempt."""

    config: SandboxConfig
    on_result: Callable[[str, bool], None] = lambda _run_id, _ok: None
    attempts: list[WebhookAttempt] = field(default_factory=list)
    _client: httpx.AsyncClient | None = None
    _tails: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _gate: asyncio.Semaphore | None = None
    _rng: random.Random = field(default_factory=random.Random)

    async def start(self) -> None:
        """Create the HTTP client (on the loop that will use it)."""
        self._rng = random.Random(self.config.seed)
        self._gate = asyncio.Semaphore(_MAX_PARALLEL)
        self._client = httpx.AsyncClient(
            timeout=self.config.webhook_timeout,
            trust_env=False,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=_MAX_PARALLEL, max_keepalive_connections=8),
            headers={"User-Agent": "composer-sandbox"},
        )

    async def close(self) -> None:
        """Cancel pending deliveries and close the client."""
        await self.cancel_all()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def cancel_all(self) -> None:
        """Drop every delivery still pending (used between tests)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tails.clear()

    @property
    def pending(self) -> int:
        """Deliveries not finished yet."""
        return len(self._tasks)

    def send(self, url: str, run_id: str, payload: dict[str, Any]) -> None:
        """Queue a delivery of ``payload`` to ``url`` (returns at once)."""
        faults = self.config.faults
        copies = 2 if self._rng.random() < faults.webhook_duplicate_rate else 1
        for _ in range(copies):
            if faults.webhook_reorder:
                delay = self.config.scaled(self._rng.uniform(0, _REORDER_WINDOW))
                self._spawn(self._deliver(url, run_id, payload, delay=delay))
            else:
                previous = self._tails.get(run_id)
                task = self._spawn(self._deliver(url, run_id, payload, after=previous))
                self._tails[run_id] = task
                task.add_done_callback(functools.partial(self._forget_tail, run_id))

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _forget_tail(self, run_id: str, task: asyncio.Task[None]) -> None:
        if self._tails.get(run_id) is task:
            del self._tails[run_id]

    async def _deliver(
        self,
        url: str,
        run_id: str,
        payload: dict[str, Any],
        after: asyncio.Task[None] | None = None,
        delay: float = 0.0,
    ) -> None:
        if after is not None:
            # Keep one run's events in order; a failed earlier delivery does not stop this one.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(after)
        if delay:
            await asyncio.sleep(delay)
        ok = False
        for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
            if attempt > 1:
                await asyncio.sleep(self.config.scaled(WEBHOOK_BACKOFF[attempt - 2]))
            method = "GET" if attempt > 1 and self.config.webhook_get_retries else "POST"
            if await self._attempt(url, run_id, payload, method, attempt):
                ok = True
                break
        self.on_result(run_id, ok)

    async def _attempt(
        self, url: str, run_id: str, payload: dict[str, Any], method: str, attempt: int
    ) -> bool:
        assert self._client is not None and self._gate is not None, "dispatcher not started"
        status: int | None = None
        error: str | None = None
        async with self._gate:
            try:
                answer = await self._client.request(method, url, json=payload)
                status = answer.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            except (httpx.InvalidURL, ValueError) as exc:  # not a usable URL
                error = f"invalid webhook URL: {exc}"
        record = WebhookAttempt(
            run_id, url, method, attempt, payload["event_type"], payload, status, error
        )
        self.attempts.append(record)
        if not record.ok:
            log.info("webhook %s attempt %d to %s: %s", run_id, attempt, url, error or status)
        return record.ok
