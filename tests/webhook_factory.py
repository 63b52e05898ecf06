"""Build webhook records and ComfyDeploy payloads for tests of the webhook lab."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from composer.core.webhooks import WebhookRecord

RUN_A = "3f1f8f36-0b4e-4a52-9d53-0d6a3b8f2c11"
RUN_B = "9b2d3c4e-5f60-4718-8a9b-0c1d2e3f4a5b"
T0 = datetime(2025, 5, 1, 10, 0, 0, tzinfo=UTC)


def payload(
    status: str,
    run_id: str = RUN_A,
    *,
    event_type: str = "run.updated",
    progress: float | None = None,
    live_status: str | None = None,
    outputs: list[Any] | None = None,
) -> dict[str, Any]:
    """A contract-shaped webhook payload (API-CONTRACT section 5)."""
    return {
        "event_type": event_type,
        "status": status,
        "live_status": live_status,
        "progress": progress,
        "run_id": run_id,
        "outputs": outputs or [],
    }


def record(
    seq: int,
    body: dict[str, Any] | bytes | None = None,
    *,
    method: str = "POST",
    path: str = "/hook",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
) -> WebhookRecord:
    """A record as the receiver would make it, received ``seq`` seconds after T0."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return WebhookRecord(
        seq=seq,
        received_at=T0 + timedelta(seconds=seq),
        method=method,
        path=path,
        query=query,
        headers=headers
        if headers is not None
        else [("host", "127.0.0.1:8787"), ("content-type", "application/json")],
        body=raw,
        json=parsed,
        remote="127.0.0.1:50000",
    )
