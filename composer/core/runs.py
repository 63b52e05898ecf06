"""Runs as composer follows them: statuses, outputs, updates from every source, and merging.

One run is observed through three sources (API-CONTRACT sections 4 to 6): polling
``GET /run/{id}``, a server-sent event stream, and webhooks. Each observation is a
:class:`RunUpdate`; :func:`merge` folds updates into a :class:`RunState`, the one view of a run
that the runs panel, the history and the command line show. The merge rules make the sources
agree even though updates are not ordered:

- a run in a terminal status (success, failed, timeout, cancelled) never moves back;
- a known status never moves back either (``queued`` after ``running`` is stale and ignored);
- progress never moves back within a run (a late progress webhook is ignored);
- outputs only accumulate (merged by output id, a newer copy replaces an older one, so fresh
  presigned URLs win);
- an update that changes nothing (a duplicate) yields no new state.

Everything here is plain immutable data, free of Qt and HTTP, so a Qt model can hold the states
and a test can build them by hand. Parsing the wire shapes into these types lives in
:mod:`composer.core.run_parsing`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from composer.core.wire import TERMINAL_STATUSES


class RunStatus(StrEnum):
    """The statuses the API is known to send; the API may add others, so statuses stay strings."""

    NOT_STARTED = "not-started"
    QUEUED = "queued"
    STARTED = "started"
    RUNNING = "running"
    UPLOADING = "uploading"
    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class UpdateSource(StrEnum):
    """Where an observation of a run came from."""

    POLL = "poll"  # GET /run/{id} (also the runs listed by GET /deployment/{id}/runs)
    STREAM = "stream"  # a server-sent event of a stream-mode run
    WEBHOOK = "webhook"  # a webhook delivery fed in from a receiver
    SUBMIT = "submit"  # the answer to the POST itself (a sync run's outputs)


# How far along the lifecycle a known status is; a status never moves to a lower rank.
_STATUS_RANK: Final[dict[str, int]] = {
    RunStatus.NOT_STARTED: 0,
    RunStatus.QUEUED: 1,
    RunStatus.STARTED: 2,
    RunStatus.RUNNING: 3,
    RunStatus.UPLOADING: 4,
    **{status: 5 for status in TERMINAL_STATUSES},
}

# Progress arrives as float32 fractions (0.949999988079071); four decimals keep 0.01 % steps.
_PROGRESS_DIGITS: Final = 4


def known_status(status: str | None) -> RunStatus | None:
    """The :class:`RunStatus` for a status text, or None for a status composer does not know."""
    try:
        return RunStatus(status) if status is not None else None
    except ValueError:
        return None


def is_terminal(status: str | None) -> bool:
    """True for success, failed, timeout and cancelled: the run will not change any more."""
    return status in TERMINAL_STATUSES


def status_rank(status: str | None) -> int | None:
    """Position of a known status in the lifecycle (0 not-started .. 5 terminal), else None."""
    return _STATUS_RANK.get(status) if status is not None else None


def clean_progress(value: object) -> float | None:
    """A progress fraction clamped to 0..1 with float32 noise rounded off; None when not a number.

    ``0.949999988079071`` becomes ``0.95``. Booleans and text are not progress.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value:  # NaN
        return None
    return round(min(1.0, max(0.0, float(value))), _PROGRESS_DIGITS)


def progress_percent(progress: float | None) -> int | None:
    """A progress fraction as a whole percentage for display (``0.95`` -> ``95``)."""
    return None if progress is None else round(progress * 100)


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One file of an output (contract section 4): an image, a gif, a mesh, any file.

    ``kind`` is the key of the output's ``data`` it was listed under (``images``, ``files``,
    ``gifs``, ``mesh``...). Private URLs are presigned and expire: fetch the run again for fresh
    ones instead of keeping a URL for later.
    """

    kind: str
    url: str
    filename: str
    type: str | None = None
    is_public: bool | None = None
    subfolder: str | None = None
    upload_duration: float | None = None


@dataclass(frozen=True, slots=True)
class RunOutput:
    """One saved output of a run: the files (``media``) and texts a node produced."""

    id: str
    run_id: str | None = None
    node_id: str | None = None
    output_id: str | None = None
    type: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    media: tuple[MediaItem, ...] = ()
    texts: tuple[str, ...] = ()
    # The output's ``data`` exactly as received, for kinds composer does not interpret.
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RunTimings:
    """When a run was created, queued, started and ended, and how long its phases took (seconds).

    ``duration`` is the whole run, ``run_duration`` the execution, ``cold_start_duration`` the
    time a machine took to start. Timestamps are timezone-aware UTC datetimes.
    """

    created_at: datetime | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime | None = None
    duration: float | None = None
    run_duration: float | None = None
    cold_start_duration: float | None = None
    cold_start_duration_total: float | None = None

    def merged(self, newer: RunTimings) -> RunTimings:
        """These timings with every value the newer observation knows replacing the old one."""
        changes = {
            f.name: getattr(newer, f.name)
            for f in dataclasses.fields(self)
            if getattr(newer, f.name) is not None
        }
        return dataclasses.replace(self, **changes) if changes else self

    def elapsed(self, now: datetime | None = None) -> float | None:
        """Seconds from creation to the end (or to ``now`` while the run goes on)."""
        if self.created_at is None:
            return None
        end = self.ended_at or now or datetime.now(UTC)
        return max(0.0, (end - self.created_at).total_seconds())


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RunUpdate:
    """One observation of a run from one source; fields the source did not carry are None.

    ``status`` is the API's text (an open set: compare with :class:`RunStatus` values).
    ``progress`` is a fraction 0..1, already cleaned of float noise.
    ``outputs`` is None when the observation says nothing about outputs; a webhook progress event's
    empty list means "no news", so it is None too. ``event`` names the webhook event type or the
    SSE event (``run.updated``, ``live_status``...). ``logs`` holds an SSE log line.
    """

    run_id: str
    source: UpdateSource
    status: str | None = None
    live_status: str | None = None
    progress: float | None = None
    queue_position: int | None = None
    outputs: tuple[RunOutput, ...] | None = None
    timings: RunTimings | None = None
    event: str | None = None
    logs: str | None = None
    inputs: Mapping[str, Any] | None = None
    received_at: datetime = field(default_factory=_now, compare=False)
    # The wire object this update was read from, for inspectors; never needed to merge.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def is_terminal(self) -> bool:
        """True when this observation reports a terminal status."""
        return is_terminal(self.status)


@dataclass(frozen=True, slots=True)
class RunState:
    """What composer knows about one run, merged from every update so far (immutable).

    ``batch_id``, ``batch_index`` and ``inputs`` tie a run to its submission: for a batch, the
    index of its combination in :func:`composer.core.batch.expand_runs` order and the inputs that
    combination gives. ``error`` is a message when following the run failed (not the run itself);
    ``lost`` is True when composer gave up following it (its real status is then unknown).
    ``last_update`` is the observation that produced this state (for its source and time).
    """

    run_id: str
    status: str = RunStatus.NOT_STARTED.value
    live_status: str | None = None
    progress: float | None = None
    queue_position: int | None = None
    outputs: tuple[RunOutput, ...] = ()
    timings: RunTimings = field(default_factory=RunTimings)
    batch_id: str | None = None
    batch_index: int | None = None
    inputs: Mapping[str, Any] | None = None
    error: str | None = None
    lost: bool = False
    updates: int = 0
    last_update: RunUpdate | None = field(default=None, compare=False)

    @property
    def known_status(self) -> RunStatus | None:
        """The status as a :class:`RunStatus`, None when the API sent one composer does not know."""
        return known_status(self.status)

    @property
    def is_terminal(self) -> bool:
        """True once the run ended (success, failed, timeout or cancelled)."""
        return is_terminal(self.status)

    @property
    def succeeded(self) -> bool:
        """True when the run ended with success."""
        return self.status == RunStatus.SUCCESS

    @property
    def percent(self) -> int | None:
        """Progress as a whole percentage for display."""
        return progress_percent(self.progress)

    @property
    def source(self) -> UpdateSource | None:
        """Where the latest accepted observation came from."""
        return self.last_update.source if self.last_update else None

    @property
    def media(self) -> tuple[MediaItem, ...]:
        """Every file of every output, in output order."""
        return tuple(item for output in self.outputs for item in output.media)


def merge(state: RunState, update: RunUpdate) -> RunState | None:
    """Fold one update into a state; None when it changes nothing (a duplicate or stale update).

    See the module docstring for the rules. The update must be about ``state.run_id``.
    """
    if update.run_id != state.run_id:
        raise ValueError(f"update for run {update.run_id} merged into run {state.run_id}")
    changes: dict[str, Any] = {}
    was_terminal = state.is_terminal
    status_moves = _status_moves(state.status, update.status)
    if status_moves and update.status is not None:
        changes["status"] = update.status
    new_status = changes.get("status", state.status)
    stale = update.status is not None and not status_moves and update.status != state.status

    if not was_terminal and not stale:
        progress_ok = update.progress is None or (
            state.progress is None or update.progress >= state.progress
        )
        if progress_ok:
            if update.progress is not None and update.progress != state.progress:
                changes["progress"] = update.progress
            if update.live_status is not None and update.live_status != state.live_status:
                changes["live_status"] = update.live_status
    queue_position = _queue_position(state, update, new_status, stale)
    if queue_position != state.queue_position:
        changes["queue_position"] = queue_position
    if update.outputs:
        outputs = _merge_outputs(state.outputs, update.outputs)
        if outputs != state.outputs:
            changes["outputs"] = outputs
    if update.timings is not None:
        timings = state.timings.merged(update.timings)
        if timings != state.timings:
            changes["timings"] = timings
    if update.inputs is not None and state.inputs is None:
        changes["inputs"] = dict(update.inputs)
    if not changes:
        return None
    if state.error is not None or state.lost:
        # A fresh observation arrived: following the run works again.
        changes["error"] = None
        changes["lost"] = False
    return dataclasses.replace(state, updates=state.updates + 1, last_update=update, **changes)


def _status_moves(current: str, incoming: str | None) -> bool:
    """True when ``incoming`` is a later status than ``current`` (unknown statuses: any time
    before the end, since they cannot be ordered)."""
    if incoming is None or incoming == current or is_terminal(current):
        return False
    incoming_rank = status_rank(incoming)
    current_rank = status_rank(current)
    if incoming_rank is None or current_rank is None:
        return True
    return incoming_rank > current_rank


def _queue_position(state: RunState, update: RunUpdate, status: str, stale: bool) -> int | None:
    """The queue position to keep: only while queued (or not started); cleared once it runs."""
    rank = status_rank(status)
    if rank is not None and rank > _STATUS_RANK[RunStatus.QUEUED]:
        return None
    if update.queue_position is not None and not stale:
        return update.queue_position
    return state.queue_position


def _merge_outputs(
    current: tuple[RunOutput, ...], incoming: tuple[RunOutput, ...]
) -> tuple[RunOutput, ...]:
    """Outputs by id in order of first appearance; a newer copy of an output replaces the old."""
    merged: dict[str, RunOutput] = {output.id: output for output in current}
    for output in incoming:
        merged[output.id] = output
    return tuple(merged.values())


def initial_state(run_id: str, **fields: Any) -> RunState:
    """A state for a run just submitted (status ``not-started``), with optional batch fields."""
    return RunState(run_id=run_id, **fields)


def summarize(states: Mapping[str, RunState] | list[RunState]) -> dict[str, int]:
    """How many runs are in each status (for a group's headline: ``{"success": 7, ...}``)."""
    values = states.values() if isinstance(states, Mapping) else states
    counts: dict[str, int] = {}
    for state in values:
        counts[state.status] = counts.get(state.status, 0) + 1
    return counts
