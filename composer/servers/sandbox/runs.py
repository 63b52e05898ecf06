"""A run as the sandbox keeps it, and the JSON shapes it is shown in.

The same run appears in three shapes with three timestamp formats, as on the real service
(API-CONTRACT section 4): the run object of ``GET /run/{id}`` (``...41.512000Z``), webhook
payloads (``...41.512Z``) and the rows of ``GET /deployment/{id}/runs`` (naive, no ``Z``).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal
from uuid import UUID

from composer.core.simulation import payload
from composer.core.webhook_io import format_time
from composer.core.webhooks import RUN_UPDATED
from composer.core.wire import TERMINAL_STATUSES
from composer.servers.sandbox.targets import SANDBOX_USER_ID, Target

Outcome = Literal["success", "failed", "timeout"]
MACHINE_TYPE: Final = "comfy-deploy-serverless"


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def run_time(moment: datetime | None) -> str | None:
    """The run object's format: ``2025-05-01T10:00:41.512000Z``."""
    return format_time(moment, "microseconds") if moment else None


def webhook_time(moment: datetime | None) -> str | None:
    """The webhook payload's format: ``2025-05-01T10:00:41.512Z``."""
    return format_time(moment) if moment else None


def naive_time(moment: datetime | None) -> str | None:
    """The deployment-runs list's format: ``2025-05-01T10:00:41.512000`` (no zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None


@dataclass(eq=False, slots=True)
class RunOutput:
    """One saved output: ``items`` are media dicts with a ``path`` under the files URL, or text."""

    id: UUID
    run_id: UUID
    output_id: str
    node_id: str
    node_class: str
    kind: str
    items: list[Any]
    created_at: datetime

    def to_json(self, files_url: str, stamp: Any = run_time) -> dict[str, Any]:
        """The output object; ``stamp`` formats its timestamps for the shape it appears in."""
        items: list[Any] = []
        for item in self.items:
            if isinstance(item, dict):
                media = {key: value for key, value in item.items() if key != "path"}
                items.append({"url": f"{files_url}/{item['path']}", **media})
            else:
                items.append(item)
        return {
            "id": str(self.id),
            "output_id": self.output_id,
            "run_id": str(self.run_id),
            "data": {self.kind: items},
            "node_meta": {"node_class": self.node_class},
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.created_at),
            "type": self.kind,
            "node_id": self.node_id,
        }


@dataclass(eq=False)
class Run:
    """The state of one run; changed only on the sandbox's loop."""

    id: UUID
    number: int
    target: Target
    inputs: dict[str, Any]
    origin: str | None
    webhook: str | None
    webhook_intermediate_status: bool
    gpu: str | None
    gpu_event_id: str | None
    batch_id: UUID | None
    native: bool
    outcome: Outcome
    rng: random.Random
    created_at: datetime = field(default_factory=utc_now)
    status: str = "not-started"
    updated_at: datetime = field(default_factory=utc_now)
    queued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    live_status: str | None = None
    progress: float = 0.0
    outputs: list[RunOutput] = field(default_factory=list)
    modal_function_call_id: str | None = None
    webhook_status: str | None = None
    logs: list[str] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: list[asyncio.Queue[tuple[str, Any]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    @property
    def terminal(self) -> bool:
        """True once the run has ended (success, failed, timeout or cancelled)."""
        return self.status in TERMINAL_STATUSES

    @property
    def waiting(self) -> bool:
        """True while the run is in its target's queue."""
        return self.status in ("not-started", "queued") and not self.native

    def durations(self) -> dict[str, float | None]:
        """Seconds between the lifecycle timestamps (None until both ends are known)."""

        def between(start: datetime | None, end: datetime | None) -> float | None:
            return round((end - start).total_seconds(), 3) if start and end else None

        return {
            "duration": between(self.created_at, self.ended_at),
            "cold_start_duration": between(self.queued_at, self.started_at),
            "cold_start_duration_total": between(self.created_at, self.started_at),
            "run_duration": between(self.started_at, self.ended_at),
        }

    def to_json(self, files_url: str, queue_position: int | None = None) -> dict[str, Any]:
        """The run object of ``GET /run/{id}``: every key present, nulls included."""
        target = self.target
        return {
            "id": str(self.id),
            "workflow_version_id": _str_or_none(target.workflow_version_id),
            "workflow_inputs": self.inputs,
            "workflow_id": _str_or_none(target.workflow_id),
            "machine_id": str(target.machine_id),
            "origin": self.origin,
            "status": self.status,
            "ended_at": run_time(self.ended_at),
            "created_at": run_time(self.created_at),
            "updated_at": run_time(self.updated_at),
            "queued_at": run_time(self.queued_at),
            "started_at": run_time(self.started_at),
            "gpu_event_id": self.gpu_event_id,
            "gpu": self.gpu,
            "machine_version": None,
            "machine_type": MACHINE_TYPE,
            "modal_function_call_id": self.modal_function_call_id,
            "user_id": SANDBOX_USER_ID,
            "org_id": None,
            "live_status": self.live_status,
            "progress": self.progress,
            "is_realtime": False,
            "webhook": self.webhook,
            "webhook_status": self.webhook_status,
            "webhook_intermediate_status": self.webhook_intermediate_status,
            "outputs": [output.to_json(files_url) for output in reversed(self.outputs)],
            "number": self.number,
            **self.durations(),
            "queue_position": queue_position,
        }

    def webhook_payload(
        self, files_url: str, outputs: list[RunOutput] | None = None, event: str = RUN_UPDATED
    ) -> dict[str, Any]:
        """What the sandbox POSTs to the run's webhook (API-CONTRACT section 5)."""
        chosen = self.outputs if outputs is None else outputs
        return payload(
            str(self.id),
            self.status,
            event_type=event,
            progress=self.progress,
            live_status=self.live_status,
            outputs=[output.to_json(files_url, webhook_time) for output in chosen],
        )

    def list_row(self) -> dict[str, Any]:
        """One row of ``GET /deployment/{id}/runs`` (naive timestamps, as there)."""
        return {
            "id": str(self.id),
            "status": self.status,
            "created_at": naive_time(self.created_at),
            "updated_at": naive_time(self.updated_at),
            "queued_at": naive_time(self.queued_at),
            "started_at": naive_time(self.started_at),
            "ended_at": naive_time(self.ended_at),
            "batch_id": _str_or_none(self.batch_id),
            "origin": self.origin,
            "gpu": self.gpu,
            "live_status": self.live_status,
            "progress": self.progress,
            "workflow_inputs": self.inputs,
            "number": self.number,
        }


def _str_or_none(value: UUID | None) -> str | None:
    return str(value) if value is not None else None
