"""Follow one run to its end: polling, a stream, webhooks fed in from outside, merged.

::

    async with RunTracker(api, run_id) as tracker:          # a queued run: polled
        async for state in tracker.updates():                # RunState after every change
            show(state.status, state.percent, state.live_status)
    final = tracker.state

    async with RunTracker.from_stream(api, opened.stream) as tracker:   # a stream-mode run
        final = await tracker.wait()

    tracker.feed_webhook(payload)    # a webhook delivery about this run, any time
    await tracker.cancel()           # POST /run/{id}/cancel, then poll to see the outcome

A Qt window consumes it on the qasync loop without blocking: iterate :meth:`updates` in a task or
register a callback with :meth:`add_listener` (called on the loop for every changed state). A run
tracker is a :class:`~composer.client.group.TrackerGroup` of one run, so one run and hundreds
follow the same rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Self

from composer.client import errors
from composer.client.api import ApiClient
from composer.client.closing import AsyncClosing
from composer.client.group import Listener, PollSchedule, TrackerGroup
from composer.client.results import CancelResult
from composer.client.stream import RunStream
from composer.core.run_parsing import RunParseError, parse_webhook
from composer.core.runs import RunState, RunUpdate, initial_state


class RunTracker(AsyncClosing):
    """Follows one run (given by id, or by the stream of a stream-mode submit)."""

    def __init__(
        self,
        api: ApiClient,
        run_id: str | None = None,
        *,
        stream: RunStream | None = None,
        schedule: PollSchedule | None = None,
    ) -> None:
        if run_id is None and stream is None:
            raise ValueError("a run tracker needs a run id or a stream")
        self.api = api
        self._run_id = run_id
        self._stream = stream
        self._group = TrackerGroup(api, schedule=schedule, concurrency=1)
        self._started = False

    @classmethod
    def from_stream(
        cls, api: ApiClient, stream: RunStream, *, schedule: PollSchedule | None = None
    ) -> RunTracker:
        """A tracker reading a stream-mode run; it polls when the stream ends early."""
        return cls(api, stream.run_id, stream=stream, schedule=schedule)

    @property
    def run_id(self) -> str | None:
        """The run's id (for a stream: once a frame named it)."""
        return self._run_id or (self._stream.run_id if self._stream else None)

    @property
    def state(self) -> RunState:
        """The run's current state."""
        run_id = self.run_id
        state = self._group.state(run_id) if run_id else None
        return state or initial_state(run_id or "")

    @property
    def stream_error(self) -> errors.TransportError | None:
        """Why the stream stopped early, when it did."""
        return self._stream.error if self._stream else None

    def start(self) -> None:
        """Begin following (entering ``async with`` does it); call on the running loop."""
        if self._started:
            return
        self._started = True
        if self._stream is not None:
            self._group.attach_stream(self._stream)
        elif self._run_id is not None:
            self._group.track(self._run_id)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(state)`` on the loop for every changed state; returns a remover."""
        return self._group.add_listener(listener)

    async def updates(self) -> AsyncIterator[RunState]:
        """The run's state after every change, until it ends (or is lost)."""
        self.start()
        async for state in self._group.updates():
            yield state

    async def wait(self) -> RunState:
        """Wait for the end of the run (bound it with ``asyncio.timeout``); returns its state."""
        self.start()
        await self._group.wait()
        return self.state

    def feed(self, update: RunUpdate) -> RunState | None:
        """Merge an update from outside; updates about other runs are ignored."""
        if update.run_id != self.run_id:
            return None
        return self._group.feed(update)

    def feed_webhook(self, payload: object) -> RunState | None:
        """Merge a webhook delivery's JSON about this run."""
        try:
            return self.feed(parse_webhook(payload))
        except RunParseError:
            return None

    def feed_threadsafe(self, update: RunUpdate) -> None:
        """:meth:`feed` from another thread (a webhook receiver's)."""
        self._group.feed_threadsafe(update)

    async def cancel(self) -> CancelResult:
        """Ask the API to cancel the run; the tracker then shows the outcome."""
        run_id = self.run_id
        if run_id is None:
            raise errors.ApiError(
                "The run cannot be cancelled yet: the stream has not named it",
                target=self.api.target,
            )
        return await self._group.cancel(run_id)

    async def aclose(self) -> None:
        """Stop following (the run itself goes on)."""
        await self._group.aclose()

    async def __aenter__(self) -> Self:
        self.start()
        return self
