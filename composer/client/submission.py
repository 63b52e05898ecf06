"""One request sent through a :class:`~composer.client.session.Session`, and what became of it;
and when a request needs a local webhook to be followed. No Qt."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from composer.client import errors
from composer.client.results import FirstResult, NativeRun, SubmitResult
from composer.core.endpoints import Endpoint, is_batch
from composer.core.runs import RunState
from composer.core.webhook_urls import is_loopback as is_loopback_host
from composer.core.wire import RequestKind

if TYPE_CHECKING:
    from composer.client.session import Session

_numbers = itertools.count(1)  # submission numbers, unique in the process (every session)


def next_number() -> int:
    """A new submission number (unique in the process, across sessions)."""
    return next(_numbers)


def is_loopback(base_url: str) -> bool:
    """True when the API runs on this machine (it can then reach a local webhook)."""
    return is_loopback_host(urlsplit(base_url).hostname or "")


def needs_local_webhook(body: Mapping[str, Any], kind: RequestKind, base_url: str) -> bool:
    """True for a model batch to an API on this machine without a webhook of its own: its runs
    are named only in webhook deliveries, so a local endpoint must receive them."""
    return (
        kind is RequestKind.MODEL
        and is_batch(body)
        and not body.get("is_native_run")
        and not body.get("webhook")
        and is_loopback(base_url)
    )


@dataclass(eq=False)
class Submission:
    """One request sent through a session, and what became of it.

    ``body`` is the request as given (what a re-run sends again); ``sent_body`` what went on the
    wire (the same, or with a local ``webhook`` added, see :attr:`notes`). ``combinations`` holds
    each run's inputs in the server's order, and ``run_ids`` the id of each run once known (a
    batch's are discovered one by one). ``result`` is the API's answer, ``error`` why it was not
    accepted. ``history_id`` is the history entry (set shortly after sending).
    """

    number: int
    body: dict[str, Any]
    sent_body: dict[str, Any]
    kind: RequestKind
    endpoint: Endpoint
    target: str
    base_url: str
    label: str
    submitted_at: float
    combinations: tuple[Mapping[str, Any], ...]
    run_ids: list[str | None]
    session: Session = field(repr=False)
    batch_id: str | None = None
    result: SubmitResult | None = None
    error: errors.ApiError | None = None
    discovery_error: str | None = None
    notes: list[str] = field(default_factory=list)
    history_id: int | None = None

    @property
    def sending(self) -> bool:
        """True until the POST is answered (or fails)."""
        return self.result is None and self.error is None

    @property
    def accepted(self) -> bool:
        """True once the API accepted the request."""
        return self.result is not None

    @property
    def is_batch(self) -> bool:
        """True when the request starts several runs (or a batch of zero)."""
        return is_batch(self.sent_body)

    @property
    def tracked(self) -> bool:
        """True when composer follows the runs (not a first result or a native run)."""
        return self.accepted and not isinstance(self.result, FirstResult | NativeRun)

    def states(self) -> list[RunState | None]:
        """Each run's current state, in combination order (None while its run is unknown)."""
        return [self.session.state(run_id) if run_id else None for run_id in self.run_ids]
