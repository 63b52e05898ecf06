"""The open answer of a stream-mode run: server-sent events read with httpx-sse, as updates.

A stream may end without a terminal event (the contract says so), or be cut; the stream then just
ends, with :attr:`RunStream.error` saying why when it was cut. The tracker falls back to polling
``GET /run/{id}`` in both cases, which is why the stream remembers the run id it learned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
from httpx_sse import EventSource, SSEError

from composer.client.closing import AsyncClosing
from composer.client.errors import TransportError, where
from composer.core.run_parsing import parse_sse
from composer.core.runs import RunUpdate


class RunStream(AsyncClosing):
    """Updates of one stream-mode run; iterate once with ``async for``, then close it.

    ``run_id`` is the run's id once a frame named it (None until then). ``terminal_status`` is
    set when the stream reported the end of the run. ``events`` counts the events read.
    """

    def __init__(
        self, response: httpx.Response, *, target: str = "", run_id: str | None = None
    ) -> None:
        self._response = response
        self._target = target
        self.run_id = run_id
        self.terminal_status: str | None = None
        self.error: TransportError | None = None
        self.events = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once the answer was closed."""
        return self._closed

    def __aiter__(self) -> AsyncIterator[RunUpdate]:
        return self._updates()

    async def _updates(self) -> AsyncIterator[RunUpdate]:
        source = EventSource(self._response)
        # Frames before the first one naming the run (queuing, status queued...) wait here.
        early: list[RunUpdate] = []
        try:
            async for event in source.aiter_sse():
                self.events += 1
                update = parse_sse(event.event, event.data, self.run_id or "")
                if update is None:
                    continue
                if update.is_terminal:
                    self.terminal_status = update.status
                if not update.run_id:
                    early.append(update)
                    continue
                if self.run_id is None:
                    self.run_id = update.run_id
                    for waiting in early:
                        yield dataclasses.replace(waiting, run_id=update.run_id)
                    early.clear()
                yield update
        except (httpx.TransportError, SSEError) as exc:
            # A cut stream is not fatal: the run goes on, and polling can follow it.
            url = str(self._response.request.url)
            name = where(self._target, url)
            self.error = TransportError(
                f"The stream from {name} stopped early ({type(exc).__name__}); "
                f"following the run by polling instead",
                target=self._target,
                method="POST",
                url=url,
            )
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the answer (idempotent); the run itself goes on."""
        if not self._closed:
            self._closed = True
            await self._response.aclose()
