"""Received webhook requests: the record type and what a ComfyDeploy payload says.

A :class:`WebhookRecord` is one HTTP request exactly as the local receiver saw it (method, raw
path and query, headers in order, raw body bytes) plus the JSON it parsed to, if any. The history
database stores records with exactly the first nine fields; everything else here is derived.

ComfyDeploy payloads (API-CONTRACT section 5) look like
``{"event_type": "run.updated", "status": "running", "live_status": "...", "progress": 0.42,
"run_id": "<uuid>", "outputs": []}``; the properties of the record read them defensively, since a
receiver also records whatever else reaches it.

The webhook URL helpers live in :mod:`composer.core.webhook_urls` (re-exported here).

Related modules: :mod:`composer.core.webhook_io` (JSON lines, copy as curl),
:mod:`composer.core.signing` (signed webhook URLs), :mod:`composer.core.timeline` (what a handler
must cope with in one run's events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from composer.core.webhook_urls import DEFAULT_RECEIVER_HOST as DEFAULT_RECEIVER_HOST
from composer.core.webhook_urls import DEFAULT_RECEIVER_PORT as DEFAULT_RECEIVER_PORT
from composer.core.webhook_urls import EXPOSED_WARNING as EXPOSED_WARNING
from composer.core.webhook_urls import REMOTE_API_NOTE as REMOTE_API_NOTE
from composer.core.webhook_urls import RUN_OUTPUT as RUN_OUTPUT
from composer.core.webhook_urls import TARGET_EVENTS_PARAM as TARGET_EVENTS_PARAM
from composer.core.webhook_urls import exposure_warning as exposure_warning
from composer.core.webhook_urls import is_local_url as is_local_url
from composer.core.webhook_urls import is_loopback as is_loopback
from composer.core.webhook_urls import receiver_url as receiver_url
from composer.core.webhook_urls import remote_api_note as remote_api_note
from composer.core.webhook_urls import target_events as target_events
from composer.core.webhook_urls import wants_run_output as wants_run_output
from composer.core.webhook_urls import with_run_output as with_run_output
from composer.core.wire import TERMINAL_STATUSES

if TYPE_CHECKING:
    from composer.core.signing import SignatureCheck

RUN_UPDATED: Final = "run.updated"


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    """One request the receiver got, exactly as it arrived.

    ``path`` and ``query`` are raw (percent-escapes kept, no ``?``), ``headers`` keep their order
    and repeats, ``body`` is the raw bytes and ``json`` the parsed body when it is valid JSON.
    ``signature`` is the signed-URL check (see :mod:`composer.core.signing`) when the receiver
    was given a secret; it is derived data, recomputable from ``query``, and not stored.
    """

    seq: int
    received_at: datetime
    method: str
    path: str
    query: str
    # Mutable values stay out of the hash, so records can be set members and dict keys.
    headers: list[tuple[str, str]] = field(hash=False)
    body: bytes
    json: Any | None = field(hash=False)
    remote: str
    signature: SignatureCheck | None = None

    @property
    def target(self) -> str:
        """Path and query as on the request line (``/hook?target_events=run.output``)."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON body when it is an object, else an empty dict."""
        return self.json if isinstance(self.json, dict) else {}

    @property
    def run_id(self) -> str | None:
        """The ``run_id`` of a ComfyDeploy payload."""
        return _text(self.payload.get("run_id"))

    @property
    def event_type(self) -> str | None:
        """``run.updated``, ``run.output`` or whatever ``event_type`` the payload names."""
        return _text(self.payload.get("event_type"))

    @property
    def status(self) -> str | None:
        """The run status the payload reports (an open string: unknown values are kept)."""
        return _text(self.payload.get("status"))

    @property
    def live_status(self) -> str | None:
        """Text like ``"Executing KSampler"``."""
        return _text(self.payload.get("live_status"))

    @property
    def progress(self) -> float | None:
        """The progress fraction 0..1 (may carry float32 noise); None when absent or no number."""
        value = self.payload.get("progress")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    @property
    def outputs(self) -> list[Any]:
        """The payload's output objects (empty when absent or malformed)."""
        value = self.payload.get("outputs")
        return value if isinstance(value, list) else []

    @property
    def is_terminal(self) -> bool:
        """True for a ``run.updated`` that reports a terminal status (success, failed, ...)."""
        return self.event_type == RUN_UPDATED and self.status in TERMINAL_STATUSES

    @property
    def is_comfydeploy_event(self) -> bool:
        """True when the body looks like a ComfyDeploy webhook (has event_type and run_id)."""
        return self.event_type is not None and self.run_id is not None

    def summary(self) -> str:
        """One line for lists and logs: ``#3 POST /hook run.updated running 42% <run id>``."""
        parts = [f"#{self.seq}", self.method, self.target]
        if self.event_type:
            parts.append(self.event_type)
        if self.status:
            parts.append(self.status)
        if self.progress is not None and self.event_type == RUN_UPDATED:
            parts.append(f"{round(self.progress * 100)}%")
        if self.run_id:
            parts.append(f"run {self.run_id}")
        if not self.is_comfydeploy_event:
            parts.append(f"({len(self.body)} bytes)")
        if self.signature is not None:
            parts.append(f"[{self.signature.state.value}]")
        return " ".join(parts)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def group_by_run(records: list[WebhookRecord]) -> dict[str, list[WebhookRecord]]:
    """Records per run id, run ids in order of first appearance; records without one are left out.

    This is how a batch's run ids are discovered: the API answers a batch with only a batch id,
    and each of its runs posts its own webhooks.
    """
    runs: dict[str, list[WebhookRecord]] = {}
    for record in records:
        run_id = record.run_id
        if run_id is not None:
            runs.setdefault(run_id, []).append(record)
    return runs
