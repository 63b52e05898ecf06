"""Webhook events received by the local receiver, kept in the history with the runs they name.

A record has exactly the receiver's fields: ``seq, received_at (UTC), method, path, query,
headers (list of pairs), body (bytes), json, remote``, plus the ``run_id`` it names (from its
JSON ``run_id`` unless given). Anything with those attributes or keys can be added (the
receiver's own record type, a dict, a :class:`WebhookEvent`), so no shared type is needed.

Credentials a sender put in headers (``Authorization``, ``Proxy-Authorization``, ``Cookie``)
are replaced by ``[redacted]``: the history never keeps secrets.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from composer.core.history.db import Database
from composer.core.history.records import WebhookEvent, iso, to_utc
from composer.core.history.settings import Settings
from composer.core.history.texts import REDACTED
from composer.core.webhook_io import json_line, record_to_dict, write_jsonl

SECRET_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie"})
_COLUMNS: Final = "id, seq, received_at, method, path, query, headers, body, json, remote, run_id"
_CHUNK: Final = 500


class WebhookLog:
    """The webhook events of the history database (see the module docstring)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    def add(self, event: Any) -> WebhookEvent:
        """Store one received request; returns it as stored (with its ``id``)."""
        return self.add_many([event])[0]

    def add_many(self, events: Iterable[Any]) -> list[WebhookEvent]:
        """Store several in one transaction (a burst); the oldest beyond the bound are pruned."""
        records = [coerce_event(event) for event in events]
        stored: list[WebhookEvent] = []
        with self._db.write() as connection:
            for record in records:
                cursor = connection.execute(
                    "INSERT INTO webhook_events (seq, received_at, method, path, query, headers, "
                    "body, json, remote, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _row(record),
                )
                stored.append(_with_id(record, int(cursor.lastrowid or 0)))
            keep = self._settings.read_max_webhook_events(connection)
            connection.execute(
                "DELETE FROM webhook_events WHERE id <= "
                "(SELECT id FROM webhook_events ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (keep,),
            )
        return stored

    def events(
        self,
        *,
        run_id: str | None = None,
        after_id: int = 0,
        limit: int | None = None,
        newest: int | None = None,
    ) -> list[WebhookEvent]:
        """Events in the order they were stored, optionally only those of one run and only
        those newer than ``after_id`` (for incremental refresh). ``limit`` keeps the oldest that
        many, ``newest`` the newest that many (still returned oldest first)."""
        sql = f"SELECT {_COLUMNS} FROM webhook_events WHERE id > ?"
        params: list[Any] = [after_id]
        if run_id is not None:
            sql += " AND run_id = ?"
            params.append(run_id)
        if newest is not None:
            # Picked newest first in SQL, so only the rows wanted are read; the outer query puts
            # them back in stored order.
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?)"
            params.append(max(0, newest))
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        with self._db.read() as connection:
            return [_from_row(row) for row in connection.execute(sql, params)]

    def count(self, run_id: str | None = None) -> int:
        """How many events are stored (for one run, when given)."""
        with self._db.read() as connection:
            if run_id is None:
                row = connection.execute("SELECT count(*) FROM webhook_events").fetchone()
            else:
                row = connection.execute(
                    "SELECT count(*) FROM webhook_events WHERE run_id = ?", (run_id,)
                ).fetchone()
        return int(row[0])

    def iter_json_lines(self, run_id: str | None = None) -> Iterator[str]:
        """Each event as one JSON object (no newline), oldest first, in the format of
        :mod:`composer.core.webhook_io`: :func:`event_to_json`'s objects."""
        for event in self.events(run_id=run_id):
            yield json_line(event_to_json(event))

    def export(self, path: Path, *, run_id: str | None = None) -> int:
        """Write the events as JSON lines to ``path`` (atomically); returns how many."""
        return write_jsonl(path, (event_to_json(event) for event in self.events(run_id=run_id)))

    def clear(self, run_id: str | None = None) -> int:
        """Delete every event (or those of one run); returns how many."""
        with self._db.write() as connection:
            if run_id is None:
                cursor = connection.execute("DELETE FROM webhook_events")
            else:
                cursor = connection.execute(
                    "DELETE FROM webhook_events WHERE run_id = ?", (run_id,)
                )
            return cursor.rowcount

    @staticmethod
    def events_of_runs(
        connection: sqlite3.Connection, run_ids: Sequence[str]
    ) -> tuple[WebhookEvent, ...]:
        """The events naming any of ``run_ids``, in arrival order (inside a caller's read)."""
        events: list[WebhookEvent] = []
        for start in range(0, len(run_ids), _CHUNK):
            chunk = list(run_ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            events.extend(
                _from_row(row)
                for row in connection.execute(
                    f"SELECT {_COLUMNS} FROM webhook_events WHERE run_id IN ({marks})", chunk
                )
            )
        events.sort(key=lambda event: event.id or 0)
        return tuple(events)


def delete_events_of_runs(connection: sqlite3.Connection, run_ids: Sequence[str]) -> None:
    """Delete the events of these runs (inside a caller's transaction)."""
    for start in range(0, len(run_ids), _CHUNK):
        chunk = list(run_ids[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        connection.execute(f"DELETE FROM webhook_events WHERE run_id IN ({marks})", chunk)


def coerce_event(event: Any) -> WebhookEvent:
    """A :class:`WebhookEvent` from a mapping or an object with the receiver's fields."""
    if isinstance(event, WebhookEvent):
        source: Mapping[str, Any] = {
            name: getattr(event, name) for name in WebhookEvent.__dataclass_fields__
        }
    elif isinstance(event, Mapping):
        source = event
    else:
        source = {name: getattr(event, name, None) for name in WebhookEvent.__dataclass_fields__}
    parsed = source.get("json")
    run_id = source.get("run_id")
    if run_id is None and isinstance(parsed, Mapping) and isinstance(parsed.get("run_id"), str):
        run_id = parsed["run_id"]
    received = to_utc(source.get("received_at")) or datetime.now(UTC)
    return WebhookEvent(
        seq=int(source.get("seq") or 0),
        received_at=received,
        method=str(source.get("method") or "POST").upper(),
        path=str(source.get("path") or "/"),
        query=_query_text(source.get("query")),
        headers=_redacted_headers(source.get("headers")),
        body=_body_bytes(source.get("body")),
        json=parsed,
        remote=_remote_text(source.get("remote")),
        run_id=str(run_id) if run_id is not None else None,
    )


def event_to_json(event: WebhookEvent) -> dict[str, Any]:
    """The JSON-lines form of an event (what :meth:`WebhookLog.export` writes): the receiver's
    format (:func:`~composer.core.webhook_io.record_to_dict`), which :func:`loads_jsonl` reads."""
    data = record_to_dict(event.to_record())
    # The stored values win: a record derives its run id from the JSON body (an event may have
    # been given one explicitly) and has no "unknown" remote (an event's is None then).
    data["remote"] = event.remote
    data["run_id"] = event.run_id
    return data


def _row(event: WebhookEvent) -> tuple[Any, ...]:
    parsed = None if event.json is None else json.dumps(event.json, ensure_ascii=False)
    return (
        event.seq,
        iso(event.received_at),
        event.method,
        event.path,
        event.query,
        json.dumps([list(pair) for pair in event.headers], ensure_ascii=False),
        event.body,
        parsed,
        event.remote,
        event.run_id,
    )


def _from_row(row: Sequence[Any]) -> WebhookEvent:
    received = to_utc(row[2])
    assert received is not None
    return WebhookEvent(
        id=row[0],
        seq=row[1],
        received_at=received,
        method=row[3],
        path=row[4],
        query=row[5],
        headers=tuple((str(name), str(value)) for name, value in json.loads(row[6])),
        body=bytes(row[7]),
        json=None if row[8] is None else json.loads(row[8]),
        remote=row[9],
        run_id=row[10],
    )


def _with_id(event: WebhookEvent, row_id: int) -> WebhookEvent:
    return WebhookEvent(
        event.seq,
        event.received_at,
        event.method,
        event.path,
        event.query,
        event.headers,
        event.body,
        event.json,
        event.remote,
        event.run_id,
        row_id,
    )


def _query_text(query: Any) -> str:
    if query is None:
        return ""
    if isinstance(query, str | bytes):
        return query.decode("latin-1") if isinstance(query, bytes) else query
    if isinstance(query, Mapping):
        return urlencode(query, doseq=True)
    return urlencode(list(query))


def _redacted_headers(headers: Any) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    result: list[tuple[str, str]] = []
    for name, value in pairs:
        name_text = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        value_text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if name_text.lower() in SECRET_HEADERS:
            value_text = REDACTED
        result.append((name_text, value_text))
    return tuple(result)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    return str(body).encode("utf-8")


def _remote_text(remote: Any) -> str | None:
    if remote is None:
        return None
    if isinstance(remote, Sequence) and not isinstance(remote, str) and len(remote) == 2:
        return f"{remote[0]}:{remote[1]}"
    return str(remote)
