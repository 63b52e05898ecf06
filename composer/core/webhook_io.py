"""Webhook records as JSON lines (export, import, ``composer listen --json``) and as curl commands.

One JSON object per line with ``method, path, query, headers, body, json, received_at``:
``headers`` is a list of ``[name, value]`` pairs in arrival order, ``body`` is the body as text
when it is valid UTF-8, else base64, as ``body_encoding`` (``"utf-8"`` / ``"base64"``) says, and
``received_at`` is ISO 8601 UTC with microseconds. ``seq``, ``remote`` and ``run_id`` are added.
This is also the format of the history's webhook export (``composer.core.history``), and
:func:`loads_jsonl` reads both.
"""

from __future__ import annotations

import base64
import binascii
import json
import shlex
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from composer.core.atomic import write_text_atomic
from composer.core.run_parsing import parse_timestamp
from composer.core.webhook_urls import DEFAULT_RECEIVER_HOST, DEFAULT_RECEIVER_PORT
from composer.core.webhooks import WebhookRecord

# Headers a resend must not copy: the transport computes them, or they describe one connection.
HOP_BY_HOP_HEADERS: Final[frozenset[str]] = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "expect",
    }
)


class WebhookImportError(ValueError):
    """A JSON-lines file that does not hold webhook records; the message names the line."""


def resendable_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers worth sending again (order kept), without hop-by-hop, Host, Content-Length."""
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP_HEADERS]


def format_time(moment: datetime, timespec: str = "milliseconds") -> str:
    """ISO 8601 in UTC with a ``Z``: ``2025-05-01T10:00:41.512Z`` (``timespec`` as isoformat's)."""
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def record_to_dict(record: WebhookRecord) -> dict[str, Any]:
    """The JSON-lines object for one record."""
    data: dict[str, Any] = {
        "seq": record.seq,
        "method": record.method,
        "path": record.path,
        "query": record.query,
        "headers": [[name, value] for name, value in record.headers],
    }
    try:
        data["body"] = record.body.decode("utf-8")
        data["body_encoding"] = "utf-8"
    except UnicodeDecodeError:
        data["body"] = base64.b64encode(record.body).decode("ascii")
        data["body_encoding"] = "base64"
    data["json"] = record.json
    # Microseconds, so an export read back gives the same record.
    data["received_at"] = format_time(record.received_at, "microseconds")
    data["remote"] = record.remote
    data["run_id"] = record.run_id
    if record.signature is not None:
        data["signature"] = record.signature.state.value
    return data


def json_line(data: Mapping[str, Any]) -> str:
    """One JSON-lines object as one line of compact JSON (no newline)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def record_to_json_line(record: WebhookRecord) -> str:
    """One line of JSON (no newline) for one record."""
    return json_line(record_to_dict(record))


def dumps_jsonl(records: Iterable[WebhookRecord]) -> str:
    """Records as JSON lines text (one object per line, each line ending in a newline)."""
    return "".join(record_to_json_line(record) + "\n" for record in records)


def write_jsonl(path: Path, objects: Iterable[Mapping[str, Any]]) -> int:
    """Write JSON-lines objects to ``path`` atomically; returns how many were written."""
    lines = [json_line(data) + "\n" for data in objects]
    write_text_atomic(path, "".join(lines))
    return len(lines)


def export_jsonl(path: Path, records: Iterable[WebhookRecord]) -> int:
    """Write records to ``path`` atomically as JSON lines; returns how many were written."""
    return write_jsonl(path, (record_to_dict(record) for record in records))


def _require(data: Mapping[str, Any], key: str, kind: type, line: int) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise WebhookImportError(f"line {line}: {key!r} must be a {kind.__name__}")
    return value


def record_from_dict(data: Mapping[str, Any], seq: int, line: int = 1) -> WebhookRecord:
    """A record from one JSON-lines object (``seq`` used when the object has none)."""
    method = _require(data, "method", str, line)
    path = _require(data, "path", str, line)
    query = data.get("query") or ""
    if not isinstance(query, str):
        raise WebhookImportError(f"line {line}: 'query' must be a str")
    raw_headers = data.get("headers") or []
    if not isinstance(raw_headers, list) or not all(
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(isinstance(part, str) for part in pair)
        for pair in raw_headers
    ):
        raise WebhookImportError(f"line {line}: 'headers' must be a list of [name, value] pairs")
    body_text = data.get("body") or ""
    if not isinstance(body_text, str):
        raise WebhookImportError(f"line {line}: 'body' must be text")
    if data.get("body_encoding") == "base64":
        try:
            body = base64.b64decode(body_text, validate=True)
        except binascii.Error as exc:
            raise WebhookImportError(f"line {line}: 'body' is not valid base64 ({exc})") from exc
    else:
        body = body_text.encode("utf-8")
    received_text = _require(data, "received_at", str, line)
    received_at = parse_timestamp(received_text)  # aware, UTC
    if received_at is None:
        raise WebhookImportError(f"line {line}: 'received_at' is not an ISO time")
    parsed = data["json"] if "json" in data else _parse_json(body)
    stored_seq = data.get("seq")
    remote = data.get("remote")
    return WebhookRecord(
        seq=stored_seq if isinstance(stored_seq, int) and not isinstance(stored_seq, bool) else seq,
        received_at=received_at,
        method=method,
        path=path,
        query=query,
        headers=[(name, value) for name, value in raw_headers],
        body=body,
        json=parsed,
        remote=remote if isinstance(remote, str) else "",
    )


def _parse_json(body: bytes) -> Any | None:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def loads_jsonl(text: str) -> list[WebhookRecord]:
    """Records from JSON lines text; blank lines are skipped, a bad line raises with its number."""
    records: list[WebhookRecord] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise WebhookImportError(f"line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(data, dict):
            raise WebhookImportError(f"line {number}: expected a JSON object")
        records.append(record_from_dict(data, seq=len(records) + 1, line=number))
    return records


def import_jsonl(path: Path) -> list[WebhookRecord]:
    """Records from a JSON-lines file; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WebhookImportError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise WebhookImportError(f"{path}: not UTF-8 text") from exc
    try:
        return loads_jsonl(text)
    except WebhookImportError as exc:
        raise WebhookImportError(f"{path}: {exc}") from exc


def default_base_url(record: WebhookRecord) -> str:
    """``http://<Host header>`` of the original request (the default receiver address,
    127.0.0.1:8787, when it had none)."""
    host = record.header("host") or f"{DEFAULT_RECEIVER_HOST}:{DEFAULT_RECEIVER_PORT}"
    return f"http://{host}"


def curl_command(record: WebhookRecord, url: str | None = None) -> str:
    """A curl command that sends the record again: same method, headers and body, byte for byte.

    ``url`` defaults to where the record was sent (its Host header, path and query). A UTF-8
    body is passed with ``--data-raw`` (sent exactly, no ``@file`` magic); any other body is
    piped in from base64.
    """
    target = url or default_base_url(record) + record.target
    parts = [f"curl -sS -X {shlex.quote(record.method)} {shlex.quote(target)}"]
    # curl drops a header given as "Name:"; "Name;" is its spelling for an empty value.
    parts += [
        f"  -H {shlex.quote(f'{name}: {value}' if value else f'{name};')}"
        for name, value in resendable_headers(record.headers)
    ]
    prefix = ""
    if record.body:
        try:
            parts.append(f"  --data-raw {shlex.quote(record.body.decode('utf-8'))}")
        except UnicodeDecodeError:
            encoded = base64.b64encode(record.body).decode("ascii")
            prefix = f"printf %s {encoded} | base64 -d | "
            parts.append("  --data-binary @-")
    return prefix + " \\\n".join(parts) + "\n"
