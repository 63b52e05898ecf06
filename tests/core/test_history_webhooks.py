"""Webhook events in the history: every field kept exactly, linked to runs, exported as JSON
lines, cleared, bounded."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from composer.core.history import HistoryStore, WebhookEvent, event_to_json

RUN = "0b6a8f0e-1111-4c3e-9a51-5a0e8c1d2f01"
PAYLOAD = {
    "event_type": "run.updated",
    "status": "running",
    "live_status": "Executing KSampler",
    "progress": 0.42,
    "run_id": RUN,
    "outputs": [],
}


@dataclass
class ReceiverRecord:
    """Shaped like the receiver's own record type (another module), to show no shared type is
    needed."""

    seq: int
    received_at: datetime
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    json: Any
    remote: str | None


@pytest.fixture
def history() -> Iterator[HistoryStore]:
    with HistoryStore() as store:
        yield store


def record(seq: int = 1, **overrides: Any) -> ReceiverRecord:
    body = json.dumps(PAYLOAD).encode()
    values: dict[str, Any] = {
        "seq": seq,
        "received_at": datetime(2025, 5, 1, 10, 0, 41, 512000, tzinfo=UTC),
        "method": "POST",
        "path": "/hooks/comfy",
        "query": "target_events=run.output,run.updated&x=%20",
        "headers": [("content-type", "application/json"), ("x-dup", "1"), ("x-dup", "2")],
        "body": body,
        "json": PAYLOAD,
        "remote": "127.0.0.1:50123",
    }
    values.update(overrides)
    return ReceiverRecord(**values)


def test_every_field_is_kept_exactly(history: HistoryStore) -> None:
    stored = history.webhooks.add(record())
    (event,) = history.webhooks.events()
    assert event == stored and event.id == stored.id is not None
    original = record()
    assert event.seq == 1
    assert event.received_at == original.received_at
    assert (event.method, event.path, event.query) == (
        "POST",
        "/hooks/comfy",
        "target_events=run.output,run.updated&x=%20",  # raw: never URL-decoded
    )
    assert event.headers == tuple(original.headers)  # order and repeated names kept
    assert event.body == original.body and event.json == PAYLOAD
    assert event.remote == "127.0.0.1:50123"
    assert (event.run_id, event.event_type, event.status) == (RUN, "run.updated", "running")


def test_odd_requests_are_kept_too(history: HistoryStore) -> None:
    binary = bytes(range(256))
    history.webhooks.add(
        record(
            method="get",
            body=binary,
            json=None,
            headers={"X-A": "b"},
            query={"a": ["1", "2"]},
            remote=("::1", 9),
            received_at="2025-05-01T10:00:41.512Z",
        )
    )
    history.webhooks.add({"seq": 2, "path": "/x", "body": "text body", "run_id": "explicit"})
    first, second = history.webhooks.events()
    assert (first.method, first.body, first.json, first.run_id) == ("GET", binary, None, None)
    assert first.headers == (("X-A", "b"),) and first.query == "a=1&a=2"
    assert first.remote == "::1:9"
    assert first.received_at == datetime(2025, 5, 1, 10, 0, 41, 512000, tzinfo=UTC)
    assert (second.body, second.run_id, second.method) == (b"text body", "explicit", "POST")


def test_credentials_in_headers_are_not_kept(history: HistoryStore) -> None:
    history.webhooks.add(
        record(headers=[("Authorization", "Bearer sk-live-1"), ("Cookie", "s=2"), ("X-Ok", "3")])
    )
    (event,) = history.webhooks.events()
    assert event.headers == (
        ("Authorization", "[redacted]"),
        ("Cookie", "[redacted]"),
        ("X-Ok", "3"),
    )
    assert b"sk-live-1" not in history.path.read_bytes()


def test_events_attach_to_their_runs(history: HistoryStore) -> None:
    sid = history.record_submission(
        {"model_id": "flux-dev"},
        target_name="t",
        base_url="http://x/api",
        path="/run",
        run_ids=[RUN],
    )
    history.webhooks.add_many([record(1), record(2, json={"run_id": "someone-else"}), record(3)])
    assert [e.seq for e in history.get(sid).webhook_events] == [1, 3]
    assert [e.seq for e in history.webhooks.events(run_id=RUN)] == [1, 3]
    first_id = history.webhooks.events()[0].id
    assert first_id is not None
    assert [e.seq for e in history.webhooks.events(after_id=first_id, limit=1)] == [2]


def test_the_newest_events(history: HistoryStore) -> None:
    history.webhooks.add_many([record(seq) for seq in range(1, 6)])
    assert [e.seq for e in history.webhooks.events(newest=2)] == [4, 5]
    assert [e.seq for e in history.webhooks.events(newest=10)] == [1, 2, 3, 4, 5]
    assert [e.seq for e in history.webhooks.events(newest=3, limit=1)] == [3]
    assert history.webhooks.events(newest=0) == []


def test_export_as_json_lines(history: HistoryStore, tmp_path: Path) -> None:
    history.webhooks.add_many([record(1), record(2, body=b"\xff\xfe", json={"run_id": "other"})])
    target = tmp_path / "out" / "events.jsonl"
    assert history.webhooks.export(target) == 2
    lines = target.read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first == {
        "seq": 1,
        "received_at": "2025-05-01T10:00:41.512000Z",
        "method": "POST",
        "path": "/hooks/comfy",
        "query": "target_events=run.output,run.updated&x=%20",
        "headers": [["content-type", "application/json"], ["x-dup", "1"], ["x-dup", "2"]],
        "body": json.dumps(PAYLOAD),
        "body_encoding": "utf-8",
        "json": PAYLOAD,
        "remote": "127.0.0.1:50123",
        "run_id": RUN,
    }
    assert second["body_encoding"] == "base64"
    assert base64.b64decode(second["body"]) == b"\xff\xfe"
    assert history.webhooks.export(tmp_path / "one.jsonl", run_id="other") == 1
    assert event_to_json(history.webhooks.events()[0]) == first


def test_clear(history: HistoryStore) -> None:
    history.webhooks.add_many([record(1), record(2, json={"run_id": "other"}), record(3)])
    assert history.webhooks.clear(run_id=RUN) == 2
    assert [e.seq for e in history.webhooks.events()] == [2]
    assert history.webhooks.clear() == 1 and history.webhooks.count() == 0


def test_the_number_of_events_is_bounded(history: HistoryStore) -> None:
    history.settings.max_webhook_events = 5
    history.webhooks.add_many(record(seq) for seq in range(1, 13))
    history.webhooks.add(record(13))
    assert [e.seq for e in history.webhooks.events()] == [9, 10, 11, 12, 13]


def test_a_burst_is_stored_in_one_transaction(history: HistoryStore) -> None:
    stored = history.webhooks.add_many(record(seq) for seq in range(2000))
    assert len({event.id for event in stored}) == 2000
    assert history.webhooks.count(RUN) == 2000


def test_webhook_event_properties_without_json() -> None:
    event = WebhookEvent(1, datetime.now(UTC), "GET", "/", "", (), b"", ["not", "a", "dict"], None)
    assert event.event_type is None and event.status is None
