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
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from composer.client import errors
from composer.client.api import ApiClient
from composer.client.results import BatchQueued, CancelResult
from composer.client.stream import RunStream
from composer.core.run_parsing import RunParseError, parse_webhook
from composer.core.runs import RunState, RunUpdate, initial_state, merge

# Errors after which polling a run again cannot help.
_FATAL = (errors.UnauthorizedError, errors.ValidationFailedError, errors.BadRequestError)
# Clock difference tolerated between this machine and the API when matching batch runs by time.
_CLOCK_SKEW = 120.0

Listener = Callable[[RunState], None]
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


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """How far the discovery of a batch's runs got: ``run_ids[i]`` is the run of combination
    ``i`` (``expected[i]`` its inputs), None until found. ``error`` says why discovery stopped."""

    batch_id: str
    expected: tuple[Mapping[str, Any], ...]
    run_ids: tuple[str | None, ...]
    deployment_id: str | None = None
    error: str | None = None

    @property
    def found(self) -> int:
        """How many runs of the batch are known."""
        return sum(run_id is not None for run_id in self.run_ids)

    @property
    def complete(self) -> bool:
        """True when every run of the batch is known."""
        return self.found == len(self.run_ids)


@dataclass(slots=True)
class _Entry:
    state: RunState
    interval: float
    timer: asyncio.TimerHandle | None = None
    busy: bool = False  # on the ready queue or being polled
    streaming: bool = False
    errors: int = 0
    polls: int = 0


@dataclass(slots=True)
class _Batch:
    batch_id: str
    expected: list[Mapping[str, Any]]
    slots: list[str | None]
    deployment_id: str | None
    not_before: float  # epoch seconds: runs created before this are not ours
    deadline: float  # loop time when discovery gives up
    error: str | None = None
    timer: asyncio.TimerHandle | None = None

    def free(self) -> list[int]:
        return [index for index, run_id in enumerate(self.slots) if run_id is None]

    def match(self, inputs: Mapping[str, Any] | None) -> int | None:
        """The first free combination these inputs are (creation order when inputs are unknown)."""
        free = self.free()
        if not free:
            return None
        if inputs is None:
            return free[0]
        for index in free:
            if all(inputs.get(key) == value for key, value in self.expected[index].items()):
                return index
        return None

    def progress(self) -> BatchProgress:
        return BatchProgress(
            self.batch_id,
            tuple(self.expected),
            tuple(self.slots),
            self.deployment_id,
            self.error,
        )


@dataclass(slots=True)
class _Candidate:
    """A run that may belong to a pending batch; its updates wait until it is adopted."""

    run_id: str
    updates: list[RunUpdate] = field(default_factory=list)
    errors: int = 0


class TrackerGroup:
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
        self._batches: dict[str, _Batch] = {}
        self._candidates: dict[str, _Candidate] = {}
        self._rejected: set[str] = set()
        self._listeners: list[Listener] = []
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
        return {batch_id: batch.progress() for batch_id, batch in self._batches.items()}

    @property
    def done(self) -> bool:
        """True once something was followed and now every run ended (or was lost), every batch
        was resolved (or its discovery gave up) and every stream was read."""
        if not self._began or self._candidates or self._readers_busy():
            return False
        if any(b.free() and b.error is None for b in self._batches.values()):
            return False
        return all(e.state.is_terminal or e.state.lost for e in self._entries.values())

    # --- listening ---

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(state)`` on the loop for every changed state; returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

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
            self._emit(state)
            if poll:
                self._schedule(run_id, 0.0)
        return entry.state

    def track_batch(self, batch: BatchQueued) -> BatchProgress:
        """Follow a batch: discover its runs (see the module docstring) and follow each."""
        self._start()
        if batch.batch_id in self._batches:
            return self._batches[batch.batch_id].progress()
        loop = self._running_loop()
        count = len(batch.runs)
        record = _Batch(
            batch.batch_id,
            list(batch.runs),
            [None] * count,
            batch.deployment_id,
            (batch.submitted_at or time.time()) - _CLOCK_SKEW,
            loop.time() + self.schedule.discovery_timeout,
        )
        self._batches[batch.batch_id] = record
        if count and batch.deployment_id:
            self._schedule_job(record, "batch", batch.batch_id, 0.0)
        elif count:
            # Only webhooks can name these runs; give up after the timeout.
            record.timer = loop.call_later(
                self.schedule.discovery_timeout, self._discovery_expired, batch.batch_id
            )
        self._check_done()
        return record.progress()

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
        if update.run_id in self._rejected:
            return None
        candidate = self._candidates.get(update.run_id)
        if candidate is not None:
            candidate.updates.append(update)
        elif self._pending_batches():
            self._candidates[update.run_id] = _Candidate(update.run_id, [update])
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

    async def __aenter__(self) -> TrackerGroup:
        self._start(follow=False)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop every timer, worker and stream reader (the runs themselves go on)."""
        self._closed = True
        for entry in self._entries.values():
            if entry.timer is not None:
                entry.timer.cancel()
        for batch in self._batches.values():
            if batch.timer is not None:
                batch.timer.cancel()
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

    def _schedule_job(self, batch: _Batch, kind: JobKind, key: str, delay: float) -> None:
        if batch.timer is not None:
            batch.timer.cancel()
        batch.timer = self._running_loop().call_later(delay, self._due, kind, key)

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
            entry.polls += 1
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

    def _pending_batches(self) -> list[_Batch]:
        return [b for b in self._batches.values() if b.free() and b.error is None]

    async def _discover(self, batch_id: str) -> None:
        batch = self._batches[batch_id]
        batch.timer = None
        if not batch.free() or batch.error is not None or batch.deployment_id is None:
            return
        try:
            limit = min(100, max(20, 2 * len(batch.free())))
            page = await self.api.deployment_runs(batch.deployment_id, limit=limit)
        except errors.ApiError as exc:
            if isinstance(exc, _FATAL):
                self._give_up(batch, f"Cannot list the runs of the batch: {exc}")
                return
            page = None
        if page is not None:
            rows = sorted(
                (row for row in page.runs if self._is_new_row(batch, row)), key=_created_key
            )
            for row in rows:
                if row.inputs is None:
                    self._candidates[row.run_id] = _Candidate(row.run_id)
                    self._ready.put_nowait(("candidate", row.run_id))
                else:
                    self._adopt_or_reject(row.run_id, row, [])
        if batch.free() and batch.error is None:
            if self._running_loop().time() >= batch.deadline:
                self._discovery_expired(batch_id)
            else:
                self._schedule_job(batch, "batch", batch_id, self.schedule.discovery)
        self._check_done()

    def _is_new_row(self, batch: _Batch, row: RunUpdate) -> bool:
        if row.run_id in self._entries or row.run_id in self._rejected:
            return False
        if row.run_id in self._candidates:
            return False
        created = row.timings.created_at if row.timings else None
        return created is None or created.timestamp() >= batch.not_before

    async def _poll_candidate(self, run_id: str) -> None:
        candidate = self._candidates.get(run_id)
        if candidate is None:
            return
        try:
            self.polls += 1
            update = await self.api.get_run(run_id)
        except errors.ApiError:
            candidate.errors += 1
            if candidate.errors >= self.schedule.max_errors:
                del self._candidates[run_id]
                self._check_done()
            else:
                self._running_loop().call_later(
                    self.schedule.maximum, self._ready.put_nowait, ("candidate", run_id)
                )
            return
        del self._candidates[run_id]
        self._adopt_or_reject(run_id, update, candidate.updates)
        self._check_done()

    def _adopt_or_reject(self, run_id: str, update: RunUpdate, waiting: list[RunUpdate]) -> None:
        for batch in self._pending_batches():
            index = batch.match(update.inputs)
            if index is None:
                continue
            batch.slots[index] = run_id
            self.track(
                run_id, batch_id=batch.batch_id, batch_index=index, inputs=batch.expected[index]
            )
            entry = self._entries[run_id]
            for item in [update, *waiting]:
                self._apply(entry, item)
            if not batch.free() and batch.timer is not None:
                batch.timer.cancel()
                batch.timer = None
            return
        self._rejected.add(run_id)

    def _discovery_expired(self, batch_id: str) -> None:
        batch = self._batches[batch_id]
        if batch.free() and batch.error is None:
            missing = len(batch.free())
            how = "listing the deployment's runs" if batch.deployment_id else "webhook events"
            self._give_up(
                batch,
                f"{missing} of {len(batch.slots)} runs of batch {batch_id} were not found "
                f"through {how}",
            )

    def _give_up(self, batch: _Batch, message: str) -> None:
        batch.error = message
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        self._check_done()


def _created_key(row: RunUpdate) -> float:
    """Sort key: creation time (epoch seconds), unknown times last."""
    created = row.timings.created_at if row.timings else None
    return created.timestamp() if created is not None else float("inf")
