"""What the history gives back: plain frozen dataclasses, no database types, safe to pass to the
UI thread or print from the CLI. Also the small conversions the store needs (times, outputs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

# One enum for where an update came from, re-exported here for the history's callers.
from composer.core.run_parsing import parse_timestamp
from composer.core.runs import UpdateSource as UpdateSource
from composer.core.webhook_io import format_time
from composer.core.webhooks import WebhookRecord
from composer.core.wire import TERMINAL_STATUSES


@dataclass(frozen=True, slots=True)
class OutputItem:
    """One output file (or text) of a run: ``kind`` is the API's key (``images``, ``files``,
    ``gifs``, ``mesh``, ``text``, ...). Presigned URLs expire: re-fetch the run to view them."""

    kind: str
    url: str | None = None
    filename: str | None = None
    media_type: str | None = None
    node_id: str | None = None
    text: str | None = None

    @property
    def dedupe_key(self) -> str:
        """Identifies the same output across fetches, whose presigned URLs differ."""
        if self.filename:
            ident = self.filename
        elif self.url:
            parts = urlsplit(self.url)
            ident = f"{parts.netloc}{parts.path}"
        else:
            ident = self.text or ""
        return f"{self.node_id or ''}|{self.kind}|{ident}"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A status report about a run, as it arrived (reports can be out of order or repeated)."""

    at: datetime
    source: str
    status: str | None
    progress: float | None = None
    live_status: str | None = None
    queue_position: int | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a submission. ``run_id`` is None while a batch run's id is not known yet."""

    run_id: str | None
    batch_index: int | None
    inputs: dict[str, Any] | None
    combination: dict[str, Any] | None
    status: str | None
    progress: float | None
    live_status: str | None
    queue_position: int | None
    created_at: datetime | None
    queued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    cold_start_duration: float | None
    run_duration: float | None
    error: str | None
    status_changes: tuple[StatusChange, ...] = ()
    outputs: tuple[OutputItem, ...] = ()

    @property
    def finished(self) -> bool:
        """True when the run has a terminal status (success, failed, timeout, cancelled)."""
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True, slots=True)
class SubmissionSummary:
    """One line of the History list."""

    id: int
    submitted_at: datetime
    target_name: str
    base_url: str
    method: str
    path: str
    kind: str
    subject_id: str | None
    """The ``model_id`` or ``deployment_id`` of the request."""
    batch_id: str | None
    run_count: int
    runs_done: int
    status: str
    """``submitted``, ``error`` (never accepted), a run status, or a batch's overall status."""
    error: str | None
    inputs_preview: str


@dataclass(frozen=True, slots=True)
class SubmissionDetail:
    """A submission with everything recorded about it."""

    summary: SubmissionSummary
    body: dict[str, Any]
    redacted: bool
    runs: tuple[RunRecord, ...]
    webhook_events: tuple[WebhookEvent, ...]


@dataclass(frozen=True, slots=True)
class SentRequest:
    """What is needed to reopen a submission as a draft: the exact body that was sent (unless
    ``redacted``: a secret found in it was replaced by ``[redacted]``) and where it went."""

    body: dict[str, Any]
    kind: str
    target_name: str
    base_url: str
    method: str
    path: str
    redacted: bool


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A request received by the local webhook receiver, as recorded."""

    seq: int
    received_at: datetime
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    json: Any
    remote: str | None
    run_id: str | None = None
    id: int | None = field(default=None, compare=False)
    """The database row id (None before it is stored)."""

    @property
    def event_type(self) -> str | None:
        """``run.updated`` / ``run.output`` from the JSON body, if any."""
        return _json_str(self.json, "event_type")

    @property
    def status(self) -> str | None:
        """The run status the event reports, if any."""
        return _json_str(self.json, "status")

    def to_record(self) -> WebhookRecord:
        """The event as the receiver's record type (its signature check is not stored)."""
        return WebhookRecord(
            seq=self.seq,
            received_at=self.received_at,
            method=self.method,
            path=self.path,
            query=self.query,
            headers=list(self.headers),
            body=self.body,
            json=self.json,
            remote=self.remote or "",
        )


# No slots here: on Python 3.12, ``Page[X](...)`` fails for a frozen generic with slots.
@dataclass(frozen=True)
class Page[T]:
    """A page of results, newest first; ask for ``offset + len(items)`` next if ``has_more``."""

    items: tuple[T, ...]
    offset: int
    limit: int
    has_more: bool


def _json_str(value: Any, key: str) -> str | None:
    if isinstance(value, Mapping):
        item = value.get(key)
        return item if isinstance(item, str) else None
    return None


# --- conversions ---


def to_utc(value: datetime | str | float | None) -> datetime | None:
    """A UTC datetime from a datetime (naive = UTC), an ISO string (``...Z``, ``...+00:00`` or
    naive, any fraction of a second, as the API sends in its three places; read by
    :func:`~composer.core.run_parsing.parse_timestamp`) or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    # An unreadable timestamp (None here) is not worth losing the rest of an update for.
    return parse_timestamp(value)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, microseconds kept: ``2025-05-01T10:00:41.512000Z``."""
    return None if value is None else format_time(value, "microseconds")


def output_items(outputs: Iterable[Any]) -> list[OutputItem]:
    """The files and texts of the API's output objects (``GET /run/{id}``'s ``outputs``, a sync
    answer, a webhook's ``outputs``): ``{node_id, data: {kind: [media item or text]}}``.
    Already-parsed :class:`OutputItem` values and flat mappings (``kind``, ``url``, ...) pass."""
    items: list[OutputItem] = []
    for output in outputs:
        if isinstance(output, OutputItem):
            items.append(output)
        elif isinstance(output, Mapping) and isinstance(output.get("data"), Mapping):
            node = output.get("node_id")
            node_id = str(node) if node is not None else None
            for kind, media in output["data"].items():
                if isinstance(media, Sequence) and not isinstance(media, str):
                    items.extend(_media_item(str(kind), m, node_id) for m in media)
        elif isinstance(output, Mapping) and isinstance(output.get("kind"), str):
            items.append(_flat_item(output))
    return items


def _media_item(kind: str, media: Any, node_id: str | None) -> OutputItem:
    if isinstance(media, Mapping):
        return OutputItem(
            kind=kind,
            url=_opt_str(media.get("url")),
            filename=_opt_str(media.get("filename")),
            media_type=_opt_str(media.get("type")),
            node_id=node_id,
        )
    text = str(media)
    if text.startswith(("http://", "https://")):
        return OutputItem(kind=kind, url=text, node_id=node_id)
    return OutputItem(kind=kind, text=text, node_id=node_id)


def _flat_item(output: Mapping[str, Any]) -> OutputItem:
    return OutputItem(
        kind=str(output["kind"]),
        url=_opt_str(output.get("url")),
        filename=_opt_str(output.get("filename")),
        media_type=_opt_str(output.get("media_type") or output.get("type")),
        node_id=_opt_str(output.get("node_id")),
        text=_opt_str(output.get("text")),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
