"""JSON-lines export/import of webhook records and "copy as curl"."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from composer.core.signing import SignatureCheck, SignatureState
from composer.core.webhook_io import (
    WebhookImportError,
    curl_command,
    dumps_jsonl,
    export_jsonl,
    import_jsonl,
    loads_jsonl,
    record_to_dict,
    resendable_headers,
)
from tests.webhook_factory import payload, record


def test_export_line_has_the_issue_fields() -> None:
    line = record_to_dict(record(3, payload("running", progress=0.5), query="a=1"))
    assert {"method", "path", "query", "headers", "body", "json", "received_at"} <= set(line)
    assert line["method"] == "POST" and line["path"] == "/hook" and line["query"] == "a=1"
    assert line["headers"] == [["host", "127.0.0.1:8787"], ["content-type", "application/json"]]
    assert json.loads(line["body"]) == line["json"] == payload("running", progress=0.5)
    assert line["received_at"] == "2025-05-01T10:00:03.000000Z"
    assert line["body_encoding"] == "utf-8"


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    records = [
        record(1, payload("queued")),
        record(2, b"\x00\xff binary \x80", method="PUT", path="/a%20b", query="x=%2F&y"),
        record(3, b"", method="GET", headers=[("X-Dup", "1"), ("x-dup", "2"), ("Empty", "")]),
        record(4, "héllo ☃".encode()),
    ]
    path = tmp_path / "events.jsonl"
    assert export_jsonl(path, records) == 4
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 4
    assert json.loads(text.splitlines()[1])["body_encoding"] == "base64"
    assert "héllo ☃" in text  # readable, not escaped
    back = import_jsonl(path)
    assert back == records


def test_signature_state_is_exported_but_not_a_stored_field() -> None:
    signed = replace(record(1, b"{}"), signature=SignatureCheck(SignatureState.FORGED, "x"))
    assert record_to_dict(signed)["signature"] == "forged"
    assert loads_jsonl(dumps_jsonl([signed]))[0].signature is None


def test_import_fills_seq_remote_and_json_when_missing() -> None:
    text = (
        '{"method":"POST","path":"/","query":"","headers":[],"body":"{\\"a\\": 1}",'
        '"received_at":"2025-05-01T10:00:00Z"}\n\n'
        '{"method":"GET","path":"/x","headers":[],"body":"","received_at":"2025-05-01T10:00:01"}\n'
    )
    first, second = loads_jsonl(text)
    assert (first.seq, second.seq) == (1, 2)
    assert first.json == {"a": 1} and second.json is None
    assert first.remote == "" and second.query == ""
    assert second.received_at.tzinfo is not None


OK_LINE = '{"method": "POST", "path": "/", "received_at": "2025-05-01T10:00:00Z"}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json\n", "line 1: not JSON"),
        ("[1]\n", "line 1: expected a JSON object"),
        ('\n{"path": "/", "received_at": "2025-05-01T10:00:00Z"}\n', "line 2: 'method'"),
        ('{"method": "POST", "path": "/", "received_at": "yesterday"}', "not an ISO time"),
        (
            OK_LINE[:-1] + ', "headers": [1]}',
            "pairs",
        ),
        (
            OK_LINE[:-1] + ', "body": "***", "body_encoding": "base64"}',
            "base64",
        ),
    ],
)
def test_bad_lines_say_which_and_why(text: str, message: str) -> None:
    with pytest.raises(WebhookImportError, match=message):
        loads_jsonl(text)


def test_import_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(WebhookImportError, match="cannot read"):
        import_jsonl(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    with pytest.raises(WebhookImportError, match=r"bad\.jsonl: line 1"):
        import_jsonl(bad)


def test_resendable_headers_drop_transport_ones() -> None:
    headers = [
        ("Host", "a"),
        ("Content-Length", "3"),
        ("Connection", "keep-alive"),
        ("Transfer-Encoding", "chunked"),
        ("User-Agent", "python-httpx"),
        ("content-type", "application/json"),
    ]
    assert resendable_headers(headers) == [
        ("User-Agent", "python-httpx"),
        ("content-type", "application/json"),
    ]


def test_curl_command_text() -> None:
    got = curl_command(record(1, b'{"it\'s": 1}', query="a=1"))
    assert got.splitlines()[0] == "curl -sS -X POST 'http://127.0.0.1:8787/hook?a=1' \\"
    assert "-H 'content-type: application/json'" in got
    assert "host:" not in got.lower().replace("http://", "")
    assert got.rstrip().endswith("""--data-raw '{"it'"'"'s": 1}'""")
    assert curl_command(record(2, b""), "http://other/x").startswith(
        "curl -sS -X POST http://other/x"
    )


def test_curl_commands_send_the_same_bytes(tmp_path: Path) -> None:
    # Run the generated command through a real shell with a fake curl that dumps its arguments
    # and stdin, so the quoting and the base64 pipe are checked without a network.
    fake = tmp_path / "curl"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$OUT.args"\ncat > "$OUT.stdin"\n')
    fake.chmod(0o755)
    for name, body in {"text": b'{"a": "x\'y\\n"}\n', "binary": b"\x00\xffz"}.items():
        out = tmp_path / name
        command = curl_command(record(1, body, headers=[("X-Empty", ""), ("A", "b c")]))
        subprocess.run(
            ["sh", "-c", command],
            check=True,
            env={"PATH": f"{tmp_path}:/usr/bin:/bin", "OUT": str(out)},
        )
        args = out.with_suffix(".args").read_text().split("\n")
        assert "X-Empty;" in args and "A: b c" in args
        if name == "text":
            assert args[args.index("--data-raw") + 1 :][:2] == ['{"a": "x\'y\\n"}', ""]
        else:
            assert out.with_suffix(".stdin").read_bytes() == body


def test_one_format_with_the_history_export(tmp_path: Path) -> None:
    # The receiver's records go into the history as they are, and the history's JSON-lines
    # export reads back into the same records (credential headers are redacted there).
    from composer.core.history import HistoryStore

    records = [
        record(1, payload("queued"), query="target_events=run.output"),
        record(2, b"\x00\xff", method="GET", headers=[("Authorization", "Bearer x"), ("A", "b")]),
    ]
    exported = tmp_path / "history-events.jsonl"
    with HistoryStore(tmp_path / "history.sqlite3") as history:
        history.webhooks.add_many(records)
        history.webhooks.export(exported)
    ours = loads_jsonl(dumps_jsonl(records))
    theirs = import_jsonl(exported)
    assert theirs[0] == ours[0] == records[0]
    assert theirs[1].body == records[1].body and theirs[1].method == "GET"
    assert theirs[1].headers == [("Authorization", "[redacted]"), ("A", "b")]
    assert set(json.loads(dumps_jsonl(records[:1]))) >= set(
        json.loads(exported.read_text().splitlines()[0])
    )
