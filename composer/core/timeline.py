"""One run's webhook events (and polled statuses) in time, with what a handler must survive.

ComfyDeploy's deliveries have traps (API-CONTRACT section 5): retries come as GET with the same
body, nothing is ordered (a progress event can arrive after ``success``), terminal events repeat,
a run can end without its terminal event reaching you, and ``run.output`` events come only when
the URL asks. :func:`analyse_run` marks each of these on the entries of a :class:`Timeline`,
each mark with a sentence the run view can show as is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, Literal

from composer.core.runs import status_rank
from composer.core.webhooks import RUN_OUTPUT, RUN_UPDATED, WebhookRecord
from composer.core.wire import TERMINAL_STATUSES

_PROGRESS_TOLERANCE: Final = 1e-6  # progress carries float32 noise


def _rank(status: str | None) -> int:
    # Statuses of equal rank may follow each other freely; an unknown one ranks below all.
    rank = status_rank(status)
    return -1 if rank is None else rank


class Mark(StrEnum):
    """Something about an event (or a whole run) a webhook handler has to cope with."""

    OUT_OF_ORDER = "out-of-order"
    DUPLICATE_TERMINAL = "duplicate-terminal"
    GET_RETRY = "get-retry"
    REDELIVERY = "redelivery"
    RUN_OUTPUT = "run-output"
    NOT_COMFYDEPLOY = "not-comfydeploy"
    MISSING_TERMINAL = "missing-terminal"


Source = Literal["webhook", "poll"]


@dataclass(frozen=True, slots=True)
class PolledStatus:
    """A status seen by polling ``GET /run/{id}`` (or a stream), to show beside the webhooks."""

    at: datetime
    status: str
    progress: float | None = None
    live_status: str | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One point of a run's timeline: a webhook record or a polled status, with its marks."""

    at: datetime
    source: Source
    status: str | None
    event_type: str | None
    progress: float | None
    live_status: str | None
    record: WebhookRecord | None = None
    marks: frozenset[Mark] = frozenset()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Timeline:
    """A run's entries in time order and what the run as a whole shows."""

    run_id: str | None
    entries: list[TimelineEntry]
    terminal_status: str | None  # from the first terminal webhook event
    polled_terminal_status: str | None
    missing_terminal: bool
    notes: list[str] = field(default_factory=list)

    @property
    def webhook_entries(self) -> list[TimelineEntry]:
        """Only the webhook entries, in the order they arrived."""
        return [entry for entry in self.entries if entry.source == "webhook"]

    @property
    def mark_counts(self) -> Counter[Mark]:
        """How many entries carry each mark (plus MISSING_TERMINAL once when it applies)."""
        counts: Counter[Mark] = Counter()
        for entry in self.entries:
            counts.update(entry.marks)
        if self.missing_terminal:
            counts[Mark.MISSING_TERMINAL] += 1
        return counts

    @property
    def marks(self) -> frozenset[Mark]:
        """Every mark present in this timeline."""
        return frozenset(self.mark_counts)


def analyse_run(
    records: Iterable[WebhookRecord],
    polled: Sequence[PolledStatus] = (),
    *,
    run_ended: bool | None = None,
) -> Timeline:
    """The timeline of one run from its webhook records (any order; read in arrival order).

    ``run_ended`` says whether the run is known to be over; by default a terminal polled status
    says so. Only then is a missing terminal webhook event marked: a running run simply has
    not sent it yet.
    """
    ordered = sorted(records, key=lambda record: record.seq)
    webhook_entries = _analyse_webhooks(ordered)
    terminal_record = next((record for record in ordered if record.is_terminal), None)
    polled_terminal = next(
        (poll.status for poll in reversed(polled) if poll.status in TERMINAL_STATUSES), None
    )
    ended = run_ended if run_ended is not None else polled_terminal is not None
    notes: list[str] = []
    missing = ended and terminal_record is None
    if missing:
        notes.append(
            "The run ended but no terminal run.updated event arrived: a handler that waits for "
            "one would wait forever. Poll GET /run/{id} as a fallback."
        )
    if terminal_record and polled_terminal and terminal_record.status != polled_terminal:
        notes.append(
            f"The webhook said {terminal_record.status} (#{terminal_record.seq}) but polling "
            f"says {polled_terminal}."
        )
    poll_entries = [
        TimelineEntry(
            at=poll.at,
            source="poll",
            status=poll.status,
            event_type=None,
            progress=poll.progress,
            live_status=poll.live_status,
        )
        for poll in polled
    ]
    # sorted() is stable: at equal times webhooks stay in arrival order, before polls.
    entries = sorted([*webhook_entries, *poll_entries], key=lambda entry: entry.at)
    run_ids = {record.run_id for record in ordered if record.run_id}
    return Timeline(
        run_id=next(iter(run_ids)) if len(run_ids) == 1 else None,
        entries=entries,
        terminal_status=terminal_record.status if terminal_record else None,
        polled_terminal_status=polled_terminal,
        missing_terminal=missing,
        notes=notes,
    )


def _analyse_webhooks(ordered: list[WebhookRecord]) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    seen_bodies: dict[bytes, int] = {}
    first_terminal: WebhookRecord | None = None
    highest: WebhookRecord | None = None  # the run.updated furthest along so far
    best_progress: WebhookRecord | None = None
    for record in ordered:
        marks: set[Mark] = set()
        notes: list[str] = []
        if not record.is_comfydeploy_event:
            marks.add(Mark.NOT_COMFYDEPLOY)
            notes.append("Not a ComfyDeploy payload (no event_type and run_id).")
        if record.method.upper() == "GET":
            marks.add(Mark.GET_RETRY)
            notes.append(
                "Sent as GET: ComfyDeploy sends retries (attempts 2 and 3) as GET with the same "
                "JSON body. A handler that only accepts POST loses them."
            )
        if record.body and record.body in seen_bodies:
            marks.add(Mark.REDELIVERY)
            notes.append(f"Same body as #{seen_bodies[record.body]}: a retry or a repeat.")
        elif record.body:
            seen_bodies[record.body] = record.seq
        if record.event_type == RUN_OUTPUT:
            marks.add(Mark.RUN_OUTPUT)
            notes.append("One saved output (sent because the URL has target_events=run.output).")
        if record.event_type == RUN_UPDATED and record.status is not None:
            rank = status_rank(record.status)
            if first_terminal is not None and record.is_terminal:
                marks.add(Mark.DUPLICATE_TERMINAL)
                differs = (
                    f", and it says {record.status}"
                    if record.status != first_terminal.status
                    else ""
                )
                notes.append(
                    f"Terminal event again (first: #{first_terminal.seq} "
                    f"{first_terminal.status}){differs}. Handle terminal events idempotently."
                )
            elif first_terminal is not None:
                marks.add(Mark.OUT_OF_ORDER)
                notes.append(
                    f"Arrived after the run ended (#{first_terminal.seq} "
                    f"{first_terminal.status}): must not move the run back to {record.status}."
                )
            elif rank is not None and highest is not None and highest.status is not None:
                highest_rank = _rank(highest.status)
                if rank < highest_rank:
                    marks.add(Mark.OUT_OF_ORDER)
                    notes.append(
                        f"{record.status} after {highest.status} (#{highest.seq}): "
                        "updates are not ordered."
                    )
            progress = record.progress
            if (
                first_terminal is None
                and progress is not None
                and best_progress is not None
                and best_progress.progress is not None
                and progress < best_progress.progress - _PROGRESS_TOLERANCE
                and Mark.OUT_OF_ORDER not in marks
            ):
                marks.add(Mark.OUT_OF_ORDER)
                notes.append(
                    f"Progress {progress:.2f} after {best_progress.progress:.2f} "
                    f"(#{best_progress.seq}): updates are not ordered."
                )
            if rank is not None and (
                highest is None or highest.status is None or rank >= _rank(highest.status)
            ):
                highest = record
            if progress is not None and (
                best_progress is None
                or best_progress.progress is None
                or progress > best_progress.progress
            ):
                best_progress = record
            if record.is_terminal and first_terminal is None:
                first_terminal = record
        entries.append(
            TimelineEntry(
                at=record.received_at,
                source="webhook",
                status=record.status,
                event_type=record.event_type,
                progress=record.progress,
                live_status=record.live_status,
                record=record,
                marks=frozenset(marks),
                notes=tuple(notes),
            )
        )
    return entries
