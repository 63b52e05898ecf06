"""Follow many runs at once: one pool, a fixed number of workers, a timer per run, no task pile-up.

::

    async with TrackerGroup(api) as group:
        group.add_listener(lambda state: print(state.run_id, state.status))
        group.track(run_id)                   # a queued run
        group.track_batch(batch_queued)       # a batch: its runs are discovered
        group.feed_webhook(payload)           # webhook deliveries, from any source
        states = await group.wait()           # every run terminal (or lost)

How it works: each followed run has one timer (``loop.call_later``) that puts it on a ready queue
when its next poll is due; ``concurrency`` worker tasks take runs from that queue and poll
``GET /run/{id}?queue_position=true``. A run is on the timer, in the queue or being polled, never
twice, so a slow server makes polls later, not more numerous. The interval grows from
``initial`` by ``factor`` up to ``maximum`` (:class:`PollSchedule`); webhook and stream updates
merge into the same states (:func:`composer.core.runs.merge`).

Batches (``{"batch_id"}`` answers) are resolved into runs by discovery: for a deployment, the
newest runs of ``GET /deployment/{id}/runs`` created since the submit; for any kind, the run ids
that webhook deliveries name. A candidate run is adopted when its inputs (``workflow_inputs``)
match a combination of the batch that has no run yet (:func:`composer.core.batch.expand_runs`
order), which ties each run to its combination and leaves other people's runs alone.

Everything runs on the caller's event loop (the qasync loop in the window); listeners are called
on that loop. From another thread, use :meth:`TrackerGroup.feed_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from composer.client import errors
from composer.client.api import ApiClient
from composer.client.batches import BatchBook, BatchProgress, BatchSlots, Candidate
from composer.client.closing import AsyncClosing
from composer.client.results import BatchQueued, CancelResult
from composer.client.stream import RunStream
from composer.core.run_parsing import RunParseError, parse_webhook
from composer.core.runs import RunState, RunUpdate, initial_state, merge

# Errors after which polling a run again cannot help.
_FATAL = (errors.UnauthorizedError, errors.ValidationFailedError, errors.BadRequestError)

Listener = Callable[[RunState], None]
BatchListener = Callable[[BatchProgress], None]
JobKind = Literal["run", "candidate", "batch"]


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """How often to poll: ``initial`` seconds at first, times ``factor`` after each poll, at most
    ``maximum``. ``discovery`` is the interval between two looks for a batch's runs, which stop
    after ``discovery_timeout`` seconds. ``max_errors`` failed polls in a row lose a run."""

    initial: float = 0.5
    factor: float = 1.5
    maximum: float = 5.0
    discovery: float = 1.0
    discovery_timeout: float = 300.0
    max_errors: int = 5

    def next_interval(self, interval: float) -> float:
        """The interval after ``interval``."""
        return min(self.maximum, interval * self.factor)


@dataclass(slots=True)
class _Entry:
    state: RunState
    interval: float
    timer: asyncio.TimerHandle | None = None
    busy: bool = False  # on the ready queue or being polled
    streaming: bool = False
    errors: int = 0


class TrackerGroup(AsyncClosing):
    """Follows any number of runs to their end with at most ``concurrency`` requests at a time."""

    def __init__(
        self,
        api: ApiClient,
        *,
        schedule: PollSchedule | None = None,
        concurrency: int = 8,
    ) -> None:
        self.api = api
        self.schedule = schedule or PollSchedule()
        self.concurrency = max(1, concurrency)
        self.polls = 0  # GET /run requests made by this group (for figures)
        # Problems not tied to one run (a stream that never named its run), for people.
        self.problems: list[str] = []
        self._entries: dict[str, _Entry] = {}
        self._open: set[str] = set()  # runs neither ended nor lost: kept so `done` costs O(1)
        self._book = BatchBook()
        self._batch_timers: dict[str, asyncio.TimerHandle] = {}
        self._listeners: list[Listener] = []
        self._batch_listeners: list[BatchListener] = []
        self._subscribers: list[asyncio.Queue[RunState | None]] = []
        self._ready: asyncio.Queue[tuple[JobKind, str]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._readers: set[asyncio.Task[None]] = set()
        self._done = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._began = False  # something was given to follow

    # --- what is known ---

    @property
    def states(self) -> dict[str, RunState]:
        """The current state of every followed run, by run id (a copy)."""
        return {run_id: entry.state for run_id, entry in self._entries.items()}

    def state(self, run_id: str) -> RunState | None:
        """The current state of one run, if followed."""
        entry = self._entries.get(run_id)
        return entry.state if entry else None

    @property
    def batches(self) -> dict[str, BatchProgress]:
        """Discovery progress of every batch, by batch id."""
        return {batch_id: batch.progress() for batch_id, batch in self._book.batches.items()}

    @property
    def began(self) -> bool:
        """True once something was given to follow (a run, a batch or a stream)."""
        return self._began

    @property
    def done(self) -> bool:
        """True once something was followed and now every run ended (or was lost), every batch
        was resolved (or its discovery gave up) and every stream was read."""
        if not self._began or self._book.unresolved or self._readers_busy():
            return False
        return not self._open

    # --- listening ---

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(state)`` on the loop for every changed state; returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def add_batch_listener(self, listener: BatchListener) -> Callable[[], None]:
        """Call ``listener(progress)`` on the loop when a batch's run is found or its discovery
        gives up (``progress.error``); returns a remover."""
        self._batch_listeners.append(listener)
        return lambda: (
            self._batch_listeners.remove(listener) if listener in self._batch_listeners else None
        )

    async def updates(self) -> AsyncIterator[RunState]:
        """Every state change, starting with the current states, until the group is done."""
        queue: asyncio.Queue[RunState | None] = asyncio.Queue()
        self._subscribers.append(queue)
        try:
            for entry in list(self._entries.values()):
                yield entry.state
            if self.done:
                return
            while (item := await queue.get()) is not None:
                yield item
        finally:
            self._subscribers.remove(queue)

    async def wait(self) -> dict[str, RunState]:
        """Wait until :attr:`done` (bound it with ``asyncio.timeout``); returns the states."""
        if self._began:
            await self._done.wait()
        return self.states

    # --- following ---

    def track(
        self,
        run_id: str,
        *,
        batch_id: str | None = None,
        batch_index: int | None = None,
        inputs: Mapping[str, Any] | None = None,
        poll: bool = True,
    ) -> RunState:
        """Follow a run (idempotent); ``poll=False`` waits for pushed updates (a stream)."""
        self._start()
        entry = self._entries.get(run_id)
        if entry is None:
            state = initial_state(
                run_id,
                batch_id=batch_id,
                batch_index=batch_index,
                inputs=dict(inputs) if inputs is not None else None,
            )
            entry = _Entry(state, self.schedule.initial, streaming=not poll)
            self._entries[run_id] = entry
            self._open.add(run_id)
            self._emit(state)
            if poll:
                self._schedule(run_id, 0.0)
        return entry.state

    def track_batch(self, batch: BatchQueued) -> BatchProgress:
        """Follow a batch: discover its runs (see the module docstring) and follow each."""
        self._start()
        known = self._book.batches.get(batch.batch_id)
        if known is not None:
            return known.progress()
        loop = self._running_loop()
        slots = self._book.add(
            batch,
            batch.submitted_at or time.time(),
            loop.time() + self.schedule.discovery_timeout,
        )
        if slots.pending and batch.deployment_id:
            self._schedule_discovery(batch.batch_id, 0.0)
        elif slots.pending:
            # Only webhooks can name these runs; give up after the timeout.
            self._batch_timers[batch.batch_id] = loop.call_later(
                self.schedule.discovery_timeout, self._discovery_expired, batch.batch_id
            )
        self._check_done()
        return slots.progress()

    def attach_stream(self, stream: RunStream, **batch_fields: Any) -> asyncio.Task[None]:
        """Read a stream-mode run's updates; poll it when the stream ends before the run does."""
        self._start()
        task = self._running_loop().create_task(self._read_stream(stream, batch_fields))
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)
        return task

    def feed(self, update: RunUpdate) -> RunState | None:
        """Merge an update from outside (a webhook); returns the new state when it changed.

        An update about an unknown run may belong to a batch whose runs are not all known yet:
        it is kept until the run's inputs tell (one poll), then adopted or ignored.
        """
        entry = self._entries.get(update.run_id)
        if entry is not None:
            return self._apply(entry, update)
        if self._book.consider(update) is not None:
            self._done.clear()
            self._ready.put_nowait(("candidate", update.run_id))
        return None

    def feed_webhook(self, payload: object) -> RunState | None:
        """Merge a webhook delivery's JSON (contract section 5); None for other payloads."""
        try:
            update = parse_webhook(payload)
        except RunParseError:
            return None
        return self.feed(update)

    def feed_threadsafe(self, update: RunUpdate) -> None:
        """:meth:`feed` from another thread (a webhook receiver's); runs on the group's loop."""
        if self._loop is None:
            raise RuntimeError("the group has not started: track a run first")
        self._loop.call_soon_threadsafe(self.feed, update)

    def poll_now(self, run_id: str) -> None:
        """Poll a run as soon as a worker is free (after a cancel, or on the user's request)."""
        entry = self._entries.get(run_id)
        if entry is not None and not entry.busy and not entry.state.is_terminal:
            entry.interval = self.schedule.initial
            self._schedule(run_id, 0.0)

    async def cancel(self, run_id: str, *, attempts: int = 3, wait: float = 0.5) -> CancelResult:
        """Ask the API to cancel a run, then poll it at once to see the outcome.

        The API cannot cancel a run it has not handed to a machine yet (``not-started``: its
        answer is a 500); such a cancel is tried again, ``attempts`` times in all, ``wait``
        seconds apart. Cancelling twice does no harm, unlike sending a run twice.
        """
        for attempt in range(1, attempts + 1):
            try:
                result = await self.api.cancel(run_id)
            except errors.ServerError:
                state = self.state(run_id)
                if attempt >= attempts or state is None or state.status != "not-started":
                    raise
                self.poll_now(run_id)
                await asyncio.sleep(wait)
                continue
            self.poll_now(run_id)
            return result
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def cancel_all(self) -> list[CancelResult | errors.ApiError]:
        """Cancel every followed run that has not ended (concurrently); errors are returned."""
        open_runs = [rid for rid, e in self._entries.items() if not e.state.is_terminal]

        async def one(run_id: str) -> CancelResult | errors.ApiError:
            try:
                return await self.cancel(run_id)
            except errors.ApiError as exc:
                return exc

        return list(await asyncio.gather(*(one(run_id) for run_id in open_runs)))

    # --- lifecycle ---

    async def __aenter__(self) -> Self:
        self._start(follow=False)
        return self

    async def aclose(self) -> None:
        """Stop every timer, worker and stream reader (the runs themselves go on)."""
        self._closed = True
        for entry in self._entries.values():
            if entry.timer is not None:
                entry.timer.cancel()
        for timer in self._batch_timers.values():
            timer.cancel()
        tasks = [*self._workers, *self._readers]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        for queue in self._subscribers:
            queue.put_nowait(None)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _start(self, follow: bool = True) -> None:
        if self._closed:
            raise RuntimeError("the tracker group is closed")
        if follow:
            self._began = True
            self._done.clear()
        if not self._workers:
            loop = self._running_loop()
            self._workers = [
                loop.create_task(self._work(), name=f"composer-poller-{n}")
                for n in range(self.concurrency)
            ]

    # --- scheduling ---

    def _schedule(self, run_id: str, delay: float) -> None:
        entry = self._entries[run_id]
        if entry.timer is not None:
            entry.timer.cancel()
        entry.timer = self._running_loop().call_later(delay, self._due, "run", run_id)

    def _schedule_discovery(self, batch_id: str, delay: float) -> None:
        self._cancel_batch_timer(batch_id)
        timer = self._running_loop().call_later(delay, self._due, "batch", batch_id)
        self._batch_timers[batch_id] = timer

    def _cancel_batch_timer(self, batch_id: str) -> None:
        timer = self._batch_timers.pop(batch_id, None)
        if timer is not None:
            timer.cancel()

    def _due(self, kind: JobKind, key: str) -> None:
        if kind == "run":
            entry = self._entries.get(key)
            if entry is None or entry.busy:
                return
            entry.timer = None
            entry.busy = True
        self._ready.put_nowait((kind, key))

    async def _work(self) -> None:
        while True:
            kind, key = await self._ready.get()
            try:
                if kind == "run":
                    await self._poll(key)
                elif kind == "candidate":
                    await self._poll_candidate(key)
                else:
                    await self._discover(key)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not stop the worker: report and go on
                self._running_loop().call_exception_handler(
                    {"message": f"tracker job {kind} {key} failed", "exception": exc}
                )

    # --- polling ---

    async def _poll(self, run_id: str) -> None:
        entry = self._entries[run_id]
        try:
            self.polls += 1
            update = await self.api.get_run(run_id)
        except errors.ApiError as exc:
            entry.busy = False
            self._poll_failed(entry, exc)
            return
        entry.busy = False
        entry.errors = 0
        changed = self._apply(entry, update)
        if entry.state.is_terminal or entry.streaming:
            return
        if changed is None:
            entry.interval = self.schedule.next_interval(entry.interval)
        self._schedule(run_id, entry.interval)

    def _poll_failed(self, entry: _Entry, exc: errors.ApiError) -> None:
        entry.errors += 1
        lost = isinstance(exc, _FATAL) or entry.errors >= self.schedule.max_errors
        state = dataclasses.replace(entry.state, error=str(exc), lost=lost)
        self._set(entry, state)
        if not lost:
            entry.interval = self.schedule.maximum
            self._schedule(entry.state.run_id, entry.interval)

    def _apply(self, entry: _Entry, update: RunUpdate) -> RunState | None:
        was_lost = entry.state.lost
        state = merge(entry.state, update)
        if state is None:
            return None
        self._set(entry, state)
        if state.is_terminal and entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        elif was_lost and not state.is_terminal and not entry.streaming and not entry.busy:
            # News of a run given up on: it can be followed again.
            entry.errors = 0
            self._schedule(state.run_id, self.schedule.maximum)
        return state

    def _set(self, entry: _Entry, state: RunState) -> None:
        entry.state = state
        if state.is_terminal or state.lost:
            self._open.discard(state.run_id)
        else:
            self._open.add(state.run_id)
        self._emit(state)
        self._check_done()

    def _emit(self, state: RunState) -> None:
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception as exc:  # a broken listener must not break tracking
                self._running_loop().call_exception_handler(
                    {"message": "a run listener failed", "exception": exc}
                )
        for queue in self._subscribers:
            queue.put_nowait(state)

    def _check_done(self) -> None:
        if self.done:
            self._done.set()
            for queue in self._subscribers:
                queue.put_nowait(None)

    def _readers_busy(self) -> bool:
        return any(not task.done() for task in self._readers)

    # --- streams ---

    async def _read_stream(self, stream: RunStream, batch_fields: dict[str, Any]) -> None:
        try:
            async for update in stream:
                if update.run_id not in self._entries:
                    self.track(update.run_id, poll=False, **batch_fields)
                self._apply(self._entries[update.run_id], update)
        except Exception as exc:  # a bug here must not leave the group waiting for ever
            self.problems.append(f"Reading the run's stream failed: {exc}")
        finally:
            await stream.aclose()
            # This reader counts as busy until it has returned: decide right after.
            self._running_loop().call_soon(self._stream_ended, stream)

    def _stream_ended(self, stream: RunStream) -> None:
        run_id = stream.run_id
        entry = self._entries.get(run_id) if run_id else None
        if entry is None:
            self.problems.append(str(stream.error or "The stream ended before naming its run"))
        else:
            entry.streaming = False
            if not entry.state.is_terminal:
                self._schedule(entry.state.run_id, 0.0)  # follow it by polling from now on
        self._check_done()

    # --- batches ---

    async def _discover(self, batch_id: str) -> None:
        batch = self._book.batches[batch_id]
        self._batch_timers.pop(batch_id, None)
        if not batch.pending or batch.deployment_id is None:
            return
        try:
            limit = min(100, max(20, 2 * len(batch.free())))
            page = await self.api.deployment_runs(batch.deployment_id, limit=limit)
        except errors.ApiError as exc:
            if isinstance(exc, _FATAL):
                self._give_up(batch, f"Cannot list the runs of the batch: {exc}")
                return
            page = None  # try again at the next look
        if page is not None:
            for row in self._book.new_rows(batch, page.runs, self._entries):
                if row.inputs is None:  # one GET tells
                    self._book.candidates[row.run_id] = Candidate(row.run_id)
                    self._ready.put_nowait(("candidate", row.run_id))
                else:
                    self._place(row.run_id, row, [])
        if batch.pending:
            if self._running_loop().time() >= batch.deadline:
                self._discovery_expired(batch_id)
            else:
                self._schedule_discovery(batch_id, self.schedule.discovery)
        self._check_done()

    async def _poll_candidate(self, run_id: str) -> None:
        candidate = self._book.candidates.get(run_id)
        if candidate is None:
            return
        try:
            self.polls += 1
            update = await self.api.get_run(run_id)
        except errors.ApiError:
            candidate.errors += 1
            if candidate.errors >= self.schedule.max_errors:
                del self._book.candidates[run_id]
                self._check_done()
            else:
                self._running_loop().call_later(
                    self.schedule.maximum, self._ready.put_nowait, ("candidate", run_id)
                )
            return
        del self._book.candidates[run_id]
        self._place(run_id, update, candidate.updates)
        self._check_done()

    def _place(self, run_id: str, update: RunUpdate, waiting: list[RunUpdate]) -> None:
        """Follow a run found for a batch, with the updates that came before it was placed."""
        placed = self._book.place(run_id, update.inputs)
        if placed is None:
            return  # someone else's run
        batch, index = placed
        self.track(run_id, batch_id=batch.batch_id, batch_index=index, inputs=batch.expected[index])
        entry = self._entries[run_id]
        for item in [update, *waiting]:
            self._apply(entry, item)
        if not batch.pending:
            self._cancel_batch_timer(batch.batch_id)
        self._emit_batch(batch)

    def _discovery_expired(self, batch_id: str) -> None:
        batch = self._book.batches[batch_id]
        if batch.pending:
            self._give_up(batch, batch.missing_message())

    def _give_up(self, batch: BatchSlots, message: str) -> None:
        batch.error = message
        self._cancel_batch_timer(batch.batch_id)
        self._emit_batch(batch)
        self._check_done()

    def _emit_batch(self, batch: BatchSlots) -> None:
        progress = batch.progress()
        for listener in list(self._batch_listeners):
            try:
                listener(progress)
            except Exception as exc:  # a broken listener must not break discovery
                self._running_loop().call_exception_handler(
                    {"message": "a batch listener failed", "exception": exc}
                )
