"""A session with one API target: submit, follow, record, re-run, cancel. Shared by the window
and ``composer submit``; no Qt.

::

    access = resolve_access(profiles, profiles.resolve("staging"))     # composer.client.access
    async with Session(access, history=HistoryStore()) as session:
        session.on_submission(lambda submission: ...)   # created, answered, runs found, failed
        session.on_run(lambda submission, state: ...)   # every changed RunState
        submission = await session.submit(body, kind, label="Lighthouse")
        await session.wait()

What a submit does: the endpoint comes from :func:`composer.core.endpoints.choose_endpoint`; the
request is recorded in the history (the key redacted) before it is sent, and its answer after;
queued runs, batches (runs discovered as the client does), stream runs and sync answers are
followed by one :class:`~composer.client.group.TrackerGroup`, whose every state change is
written to the history and passed to the listeners. Listeners are called on the session's loop.

A model batch sent to an API on this machine without a webhook of its own can only be followed
through its webhook deliveries (the API names those runs nowhere else); given ``local_webhook``
(a coroutine function returning a URL whose deliveries are fed to :meth:`Session.feed_webhook`),
the session puts that URL in the request's ``webhook`` and says so in the submission's notes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from composer.client import errors
from composer.client.access import TargetAccess
from composer.client.api import ApiClient
from composer.client.batches import BatchProgress
from composer.client.closing import AsyncClosing
from composer.client.group import PollSchedule, TrackerGroup
from composer.client.results import (
    BatchQueued,
    CancelResult,
    FirstResult,
    NativeRun,
    RunQueued,
    StreamOpened,
    SubmitResult,
    SyncOutputs,
)
from composer.client.retry import RetryPolicy
from composer.client.session_history import HistoryRecorder
from composer.client.submission import (
    Submission,
    is_loopback,
    needs_local_webhook,
    next_number,
)
from composer.core.batch import expand_runs
from composer.core.endpoints import choose_endpoint
from composer.core.history import HistoryStore
from composer.core.runs import RunState, RunUpdate, UpdateSource
from composer.core.wire import RequestKind, kind_of

SubmissionListener = Callable[[Submission], None]
RunListener = Callable[[Submission, RunState], None]
LocalWebhook = Callable[[], Awaitable[str]]
__all__ = ["Session", "Submission", "is_loopback", "needs_local_webhook"]


class Session(AsyncClosing):
    """Everything sent to one target: one :class:`ApiClient`, one :class:`TrackerGroup`, the
    history. Use ``async with`` (or :meth:`aclose`) on the loop that uses it."""

    def __init__(
        self,
        access: TargetAccess,
        *,
        history: HistoryStore | None = None,
        api: ApiClient | None = None,
        schedule: PollSchedule | None = None,
        concurrency: int = 8,
        local_webhook: LocalWebhook | None = None,
        trust_env: bool = True,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.access = access
        # A pool as large as the polling workers (and two for submits and cancels): every
        # request makes httpcore look at each pooled connection, so a larger pool costs time.
        self.api = api or ApiClient(
            access.base_url, access.api_key, target=access.name, trust_env=trust_env,
            max_connections=concurrency + 2, retry=retry,
        )  # fmt: skip
        self.group = TrackerGroup(self.api, schedule=schedule, concurrency=concurrency)
        self.local_webhook = local_webhook
        self.recorder = (
            HistoryRecorder(history, secrets=access.secrets, on_problem=self._history_problem)
            if history is not None
            else None
        )
        self.problems: list[str] = []  # not tied to one run (the history failing)
        self.submissions: list[Submission] = []
        self._by_run: dict[str, Submission] = {}
        self._by_batch: dict[str, Submission] = {}
        self._streams: list[tuple[StreamOpened, Submission]] = []
        self._submission_listeners: list[SubmissionListener] = []
        self._run_listeners: list[RunListener] = []
        self._problem_listeners: list[Callable[[str], None]] = []
        self.group.add_listener(self._on_state)
        self.group.add_batch_listener(self._on_batch)
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"Session({self.access.name!r}, {self.access.base_url!r})"

    # --- listening ---

    def on_submission(self, listener: SubmissionListener) -> Callable[[], None]:
        """Call ``listener(submission)`` when a submission is created, answered, fails, or a run
        of its batch is found; returns a remover."""
        return _add(self._submission_listeners, listener)

    def on_run(self, listener: RunListener) -> Callable[[], None]:
        """Call ``listener(submission, state)`` for every changed run state; returns a remover."""
        return _add(self._run_listeners, listener)

    def on_problem(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(message)`` for a problem not tied to a run (history not written)."""
        return _add(self._problem_listeners, listener)

    # --- what is known ---

    def state(self, run_id: str) -> RunState | None:
        """The current state of a run of this session."""
        return self.group.state(run_id)

    def submission_of(self, run_id: str) -> Submission | None:
        """The submission a run belongs to."""
        return self._by_run.get(run_id)

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` was called (nothing more can be sent)."""
        return self._closed

    @property
    def done(self) -> bool:
        """True when no run of this session is still followed."""
        return not self.group.began or self.group.done

    # --- sending ---

    async def submit(
        self,
        body: Mapping[str, Any],
        kind: RequestKind | None = None,
        *,
        label: str | None = None,
    ) -> Submission:
        """Send a wire body and follow what it starts; returns the submission (also when the
        API refused it: see :attr:`Submission.error`). Never retried."""
        if self._closed:
            raise RuntimeError("the session is closed")
        self._loop = asyncio.get_running_loop()
        wire = dict(body)
        kind = kind or kind_of(wire) or RequestKind.MODEL
        notes: list[str] = []
        sent = wire
        if self.local_webhook is not None and needs_local_webhook(wire, kind, self.api.base_url):
            try:
                url = await self.local_webhook()
            except Exception as exc:  # the endpoint could not start: send anyway, say so
                notes.append(f"No local webhook endpoint ({exc}): the batch's runs stay unknown")
            else:
                sent = {**wire, "webhook": url}
                notes.append(
                    f"Added webhook {url}: the API names the runs of a model batch only in "
                    f"their webhook events"
                )
        combinations = tuple(expand_runs(sent))
        submission = Submission(
            number=next_number(),
            body=wire,
            sent_body=sent,
            kind=kind,
            endpoint=choose_endpoint(sent, kind),
            target=self.access.name,
            base_url=self.api.base_url,
            label=label or _default_label(wire, kind),
            submitted_at=time.time(),
            combinations=combinations,
            run_ids=[None] * len(combinations),
            session=self,
            notes=notes,
        )
        self.submissions.append(submission)
        if self.recorder is not None:
            self.recorder.submission_started(submission)
        self._emit_submission(submission)
        try:
            result = await self.api.submit(sent, kind)
        except errors.ApiError as exc:
            submission.error = exc
            self._answered(submission)
            return submission
        except asyncio.CancelledError:
            submission.error = errors.OutcomeUnknownError(
                "Sending was interrupted: the run may exist", target=self.access.name
            )
            self._answered(submission)
            raise
        submission.result = result
        self._follow(submission, result)
        return submission

    async def rerun(self, submission: Submission) -> Submission:
        """Send a submission's request again (the body as given, not a copy of its webhook)."""
        return await self.submit(submission.body, submission.kind, label=submission.label)

    def _follow(self, submission: Submission, result: SubmitResult) -> None:
        match result:
            case RunQueued(run_id=run_id):
                self._set_run(submission, 0, run_id)
                self._answered(submission)
                self._track(run_id, submission)
            case BatchQueued(batch_id=batch_id):
                submission.batch_id = batch_id
                self._by_batch[batch_id] = submission
                self._answered(submission)
                if result.count == 0:
                    submission.notes.append("The batch has an empty column: no run was started")
                elif result.deployment_id is None and not self._hears_webhooks(submission):
                    submission.discovery_error = (
                        "The API names the runs of a model batch only in webhook events: put a "
                        "webhook you can receive in the request to follow them"
                    )
                    self._emit_submission(submission)
                else:
                    self.group.track_batch(result)
            case StreamOpened():
                self._streams.append((result, submission))
                self._answered(submission)
                self.group.attach_stream(result.stream)
            case SyncOutputs(run_id=run_id, outputs=outputs):
                if run_id is None:
                    submission.notes.append("The run saved no outputs")
                    submission.run_ids = []
                    self._answered(submission)
                    return
                self._set_run(submission, 0, run_id)
                self._answered(submission)
                self._track(run_id, submission)
                self.group.feed(RunUpdate(run_id, UpdateSource.SUBMIT, outputs=outputs))
            case NativeRun(run_id=run_id):
                submission.notes.append(
                    "is_native_run: the server created the run without running it"
                )
                if run_id is not None:
                    self._set_run(submission, 0, run_id)
                self._answered(submission)
            case FirstResult(content_type=content_type, content=content):
                submission.notes.append(f"First result: {len(content):,} bytes of {content_type}")
                self._answered(submission)

    def _track(self, run_id: str, submission: Submission) -> None:
        inputs = submission.combinations[0] if submission.combinations else None
        self.group.track(run_id, inputs=inputs)

    def _hears_webhooks(self, submission: Submission) -> bool:
        return bool(submission.sent_body.get("webhook"))

    # --- cancelling ---

    async def cancel(self, run_id: str) -> CancelResult:
        """Ask the API to cancel one run; the run's state then shows the outcome."""
        return await self.group.cancel(run_id)

    async def cancel_submission(
        self, submission: Submission
    ) -> list[CancelResult | errors.ApiError]:
        """Cancel every run of a submission that has not ended (concurrently); errors are
        returned, one per run that could not be cancelled."""
        open_runs = [
            run_id
            for run_id in submission.run_ids
            if run_id is not None and not self._ended(run_id)
        ]

        async def one(run_id: str) -> CancelResult | errors.ApiError:
            try:
                return await self.cancel(run_id)
            except errors.ApiError as exc:
                return exc

        return list(await asyncio.gather(*(one(run_id) for run_id in open_runs)))

    def _ended(self, run_id: str) -> bool:
        state = self.state(run_id)
        return state is not None and (state.is_terminal or state.lost)

    # --- webhooks ---

    def feed_webhook(self, payload: object) -> RunState | None:
        """Merge a webhook delivery's JSON (from the webhook lab or a local endpoint)."""
        if self._closed:
            return None
        return self.group.feed_webhook(payload)

    def feed_webhook_threadsafe(self, payload: object) -> None:
        """:meth:`feed_webhook` from another thread (a receiver's)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.feed_webhook, payload)

    def wants_webhooks(self) -> bool:
        """True while a batch of this session waits for webhooks to name its runs."""
        return any(not progress.complete and not progress.error for progress in self._batches())

    def _batches(self) -> list[BatchProgress]:
        return list(self.group.batches.values())

    # --- waiting and closing ---

    async def wait(self) -> dict[str, RunState]:
        """Wait until every followed run ended (bound it with ``asyncio.timeout``)."""
        states = await self.group.wait()
        if self.recorder is not None:
            await self.recorder.flush()
        return states

    async def aclose(self) -> None:
        """Stop following (the runs go on), finish the history writes, close the client."""
        if self._closed:
            return
        self._closed = True
        await self.group.aclose()
        if self.recorder is not None:
            await self.recorder.aclose()
        await self.api.aclose()

    # --- internals ---

    def _set_run(self, submission: Submission, index: int, run_id: str) -> None:
        if index < len(submission.run_ids):
            submission.run_ids[index] = run_id
        else:
            submission.run_ids.append(run_id)
        self._by_run[run_id] = submission

    def _answered(self, submission: Submission) -> None:
        if self.recorder is not None:
            self.recorder.submission_answered(submission)
        self._emit_submission(submission)

    def _on_state(self, state: RunState) -> None:
        submission = self._by_run.get(state.run_id)
        if submission is None:
            submission = self._adopt(state)
            if submission is None:
                return
        if self.recorder is not None:
            self.recorder.state(state)
        for listener in list(self._run_listeners):
            listener(submission, state)

    def _adopt(self, state: RunState) -> Submission | None:
        """The submission of a run seen for the first time (a batch's, or a stream's)."""
        if state.batch_id is not None and state.batch_id in self._by_batch:
            submission = self._by_batch[state.batch_id]
            index = state.batch_index if state.batch_index is not None else len(submission.run_ids)
            self._set_run(submission, index, state.run_id)
            if self.recorder is not None:
                self.recorder.run_placed(submission, state.run_id, state.batch_index)
            self._emit_submission(submission)
            return submission
        for opened, submission in self._streams:
            if opened.stream.run_id == state.run_id:
                self._set_run(submission, 0, state.run_id)
                if self.recorder is not None:
                    self.recorder.submission_answered(submission)
                self._emit_submission(submission)
                return submission
        return None

    def _on_batch(self, progress: BatchProgress) -> None:
        submission = self._by_batch.get(progress.batch_id)
        if submission is not None and progress.error and not submission.discovery_error:
            submission.discovery_error = progress.error
            self._emit_submission(submission)

    def _emit_submission(self, submission: Submission) -> None:
        for listener in list(self._submission_listeners):
            listener(submission)

    def _history_problem(self, message: str) -> None:
        self.problems.append(message)
        for listener in list(self._problem_listeners):
            listener(message)


def _add[T](listeners: list[T], listener: T) -> Callable[[], None]:
    listeners.append(listener)
    return lambda: listeners.remove(listener) if listener in listeners else None


def _default_label(body: Mapping[str, Any], kind: RequestKind) -> str:
    subject = body.get(kind.key)
    return str(subject) if subject else kind.label
