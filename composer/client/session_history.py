"""Recording a session's submissions and runs in the local history, off the event loop.

Every write is a short SQLite transaction; a few of them per run update, for hundreds of runs,
would still add up on the window's loop (and a WAL checkpoint may wait for the disk). So the
session only decides *what* changed, on its loop, and hands each write to one worker thread that
performs them in order. The hand-over is a plain thread-safe queue: no asyncio future or
callback per write, so a burst of updates costs the loop nothing but appending to a queue.
:meth:`HistoryRecorder.flush` and :meth:`HistoryRecorder.aclose` wait until every write so far is
done (the command line exits only then). A history that cannot be written is reported once
through ``on_problem`` and tracking goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from composer.core.history import HistoryError, HistoryStore
from composer.core.runs import RunState, RunTimings

if TYPE_CHECKING:
    from composer.client.session import Submission


@dataclass(slots=True)
class _Recorded:
    """What was last written about one run, so only changes are written."""

    report: tuple[Any, ...] = ()
    timings: RunTimings | None = None
    outputs: int = 0


class HistoryRecorder:
    """Writes submissions, run ids, status changes, timings and outputs to a :class:`HistoryStore`.

    Call its methods on the session's loop; they return at once. ``secrets`` are redacted from
    stored bodies (the target's API key).
    """

    def __init__(
        self,
        store: HistoryStore,
        *,
        secrets: tuple[str, ...] = (),
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.secrets = secrets
        self.on_problem = on_problem
        self.failed: str | None = None  # the first write error, if any
        self._runs: dict[str, _Recorded] = {}
        self._queue: queue.SimpleQueue[Callable[[], None] | Future[None] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._closed = False

    # --- what the session reports ---

    def submission_started(self, submission: Submission) -> None:
        """A request is about to be sent: record it (its id lands in ``history_id``)."""
        body = dict(submission.sent_body)
        target, base_url = submission.target, submission.base_url
        path, method, kind = submission.endpoint.path, submission.endpoint.method, submission.kind

        def write() -> None:
            submission.history_id = self.store.record_submission(
                body, target_name=target, base_url=base_url, path=path, method=method,
                kind=str(kind), submitted_at=submission.submitted_at, secrets=self.secrets,
            )  # fmt: skip

        self._submit(write)

    def submission_answered(self, submission: Submission) -> None:
        """The POST was answered (run id, batch id) or failed (error)."""
        batch_id = submission.batch_id
        run_ids = [run_id for run_id in submission.run_ids if run_id]
        error = str(submission.error) if submission.error is not None else None
        single = not submission.is_batch

        def write() -> None:
            if submission.history_id is None:
                return
            self.store.set_submission_result(
                submission.history_id,
                batch_id=batch_id,
                run_ids=run_ids if single else [],
                error=error,
            )

        self._submit(write)

    def run_placed(self, submission: Submission, run_id: str, index: int | None) -> None:
        """A run of a batch was found (its combination ``index``)."""
        inputs = submission.combinations[index] if index is not None else None

        def write() -> None:
            if submission.history_id is not None:
                self.store.record_run(
                    submission.history_id, run_id, batch_index=index, inputs=inputs
                )

        self._submit(write)

    def state(self, state: RunState) -> None:
        """A run's state changed: write what changed since the last write about it."""
        if state.updates == 0 and state.error is None:
            return  # the placeholder state of a run just named, not an observation
        seen = self._runs.setdefault(state.run_id, _Recorded())
        source = str(state.source or "poll")
        report = (state.status, state.progress, state.live_status, state.queue_position)
        full = (*report, state.error)
        timings = state.timings if state.timings != seen.timings else None
        outputs = [{"node_id": o.node_id, "data": dict(o.data)} for o in state.outputs]
        new_outputs = outputs if len(outputs) != seen.outputs or timings is not None else None
        changed = full != seen.report
        if not changed and timings is None and new_outputs is None:
            return
        seen.report = full
        seen.timings = state.timings
        seen.outputs = len(outputs)
        run_id = state.run_id

        def write() -> None:
            if changed:
                self.store.record_update(
                    run_id, source=source, status=report[0], progress=report[1],
                    live_status=report[2], queue_position=report[3], error=state.error,
                )  # fmt: skip
            if timings is not None:
                self.store.record_timings(
                    run_id, created_at=timings.created_at, queued_at=timings.queued_at,
                    started_at=timings.started_at, ended_at=timings.ended_at,
                    cold_start_duration=timings.cold_start_duration,
                    run_duration=timings.run_duration,
                )  # fmt: skip
            if new_outputs:
                self.store.record_outputs(run_id, new_outputs)

        self._submit(write)

    # --- flushing ---

    async def flush(self) -> None:
        """Wait until every write handed over so far is done."""
        if self._thread is None:
            return
        marker: Future[None] = Future()
        self._queue.put(marker)
        await asyncio.wrap_future(marker)

    async def aclose(self) -> None:
        """Finish every write, then stop the worker thread (the store stays open)."""
        await self.flush()
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)

    def _submit(self, write: Callable[[], None]) -> None:
        if self._closed:
            return  # news after the end (a late webhook): the session no longer records
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._work, name="composer-history", daemon=True)
            self._thread.start()
        self._queue.put(write)

    def _work(self) -> None:
        """The worker thread: run writes in order; a marker tells a flush it is reached."""
        while (item := self._queue.get()) is not None:
            if isinstance(item, Future):
                item.set_result(None)
            else:
                self._guarded(item)

    def _guarded(self, write: Callable[[], None]) -> None:
        """Run one write on the worker thread; a history error is reported, never raised."""
        try:
            write()
        except HistoryError as exc:
            with self._lock:
                first = self.failed is None
                if first:
                    self.failed = str(exc)
            if first and self.on_problem is not None and self._loop is not None:
                message = f"The history is not being recorded: {exc}"
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    self._loop.call_soon_threadsafe(self.on_problem, message)
