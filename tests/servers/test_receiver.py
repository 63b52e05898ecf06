"""The webhook receiver over real loopback HTTP: exact records, answers, size cap, bad input."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from composer.core.signing import SignatureState, sign_url
from composer.servers.receiver import RecordFeed, WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5) as http:
        yield http


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"]


@pytest.mark.parametrize("method", METHODS)
def test_records_any_method_path_query_and_body_exactly(
    receiver: WebhookReceiver, client: httpx.Client, method: str
) -> None:
    body = b"\x00\x01binary\xff" if method == "PUT" else b'{"event_type": "run.updated"}'
    answer = client.request(
        method,
        receiver.url + "deep/a%20b/%C3%A9?target_events=run.output&x=%2F&flag",
        content=body,
        headers=[("X-Second", "2"), ("X-First", "1"), ("X-Second", "3")],
    )
    assert answer.status_code == 200 and answer.json() == {"received": 1}
    (record,) = receiver.records()
    assert record.seq == 1
    assert record.method == method
    assert record.path == "/deep/a%20b/%C3%A9"
    assert record.query == "target_events=run.output&x=%2F&flag"
    assert record.body == body
    assert record.json == (None if method == "PUT" else {"event_type": "run.updated"})
    names = [name for name, _ in record.headers]
    # HTTP/1.1 parsers lowercase names; order and repeats are kept.
    assert names.index("x-second") < names.index("x-first")
    assert [v for n, v in record.headers if n == "x-second"] == ["2", "3"]
    assert record.header("content-length") == str(len(body))
    assert record.remote.startswith("127.0.0.1:")
    assert record.received_at.tzinfo is UTC


def test_head_and_bodiless_statuses(receiver: WebhookReceiver, client: httpx.Client) -> None:
    assert client.head(receiver.url).status_code == 200
    receiver.set_answer(status=204)
    answer = client.post(receiver.url + "x", content=b"{}")
    assert answer.status_code == 204 and answer.content == b""
    assert [r.method for r in receiver.records()] == ["HEAD", "POST"]


def test_time_is_utc_and_now(receiver: WebhookReceiver, client: httpx.Client) -> None:
    before = datetime.now(UTC)
    client.post(receiver.url, content=b"x")
    after = datetime.now(UTC)
    assert before <= receiver.records()[0].received_at <= after


def test_status_and_delay_change_at_runtime(
    receiver: WebhookReceiver, client: httpx.Client
) -> None:
    receiver.set_answer(status=503)
    answer = client.post(receiver.url, content=b"{}")
    assert answer.status_code == 503 and "503" in answer.json()["detail"]
    receiver.set_answer(status=200, delay=0.3)
    started = time.perf_counter()
    assert client.post(receiver.url, content=b"{}").status_code == 200
    assert time.perf_counter() - started >= 0.3
    # The record is delivered before the delayed answer goes out.
    receiver.set_answer(delay=0)
    assert receiver.count == 2


def test_answer_next_queues_statuses_then_returns_to_normal(
    receiver: WebhookReceiver, client: httpx.Client
) -> None:
    receiver.answer_next(500, 502)
    codes = [client.post(receiver.url, content=b"{}").status_code for _ in range(3)]
    assert codes == [500, 502, 200]


def test_bad_statuses_are_refused() -> None:
    with pytest.raises(ValueError, match="200 to 599"):
        WebhookReceiver(status=100)
    receiver = WebhookReceiver()
    with pytest.raises(ValueError, match="200 to 599"):
        receiver.set_answer(status=600)
    with pytest.raises(ValueError, match="200 to 599"):
        receiver.answer_next(200, 99)


def test_size_cap_gives_413_and_keeps_running(client: httpx.Client) -> None:
    with WebhookReceiver(max_body=1000) as receiver:
        assert client.post(receiver.url, content=b"a" * 1000).status_code == 200
        refused = client.post(receiver.url, content=b"a" * 1001)
        assert refused.status_code == 413 and "1000" in refused.json()["detail"]
        # Chunked (no Content-Length) is counted as it streams in.
        chunked = client.post(receiver.url, content=iter([b"a" * 600, b"b" * 600]))
        assert chunked.status_code == 413
        # Far beyond the cap the receiver stops reading; the sender sees an answer or a close.
        try:
            code = client.post(receiver.url, content=b"c" * 200_000).status_code
        except httpx.TransportError:
            code = 413
        assert code == 413
        assert client.post(receiver.url, content=b"ok").status_code == 200
        assert [len(r.body) for r in receiver.records()] == [1000, 2]
        assert receiver.stats().refused_too_large == 3


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "garbage",
    [
        b"this is not http\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        b"\x00\xff\xfe" * 1000,
        "GET /é?q=ü HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    ],
    ids=[
        "not-http",
        "bad-header",
        "bad-chunks",
        "negative-length",
        "huge-header",
        "binary",
        "non-ascii-target",
    ],
)
def test_malformed_requests_do_not_stop_it(
    receiver: WebhookReceiver, client: httpx.Client, garbage: bytes
) -> None:
    answer = raw_exchange(receiver.port, garbage)
    # Refused (4xx or a closed connection), or, for a merely big header, served; never a 5xx.
    assert answer == b"" or answer.startswith((b"HTTP/1.1 4", b"HTTP/1.1 200"))
    assert client.post(receiver.url, content=b'{"still": "here"}').status_code == 200
    assert receiver.records()[-1].json == {"still": "here"}


def test_sender_that_hangs_up_mid_body_is_not_recorded(
    receiver: WebhookReceiver, client: httpx.Client
) -> None:
    raw_exchange(receiver.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")
    assert client.post(receiver.url, content=b"next").status_code == 200
    assert [r.body for r in receiver.records()] == [b"next"]
    assert receiver.records()[0].seq == 1
    deadline = time.monotonic() + 5
    while receiver.stats().disconnected != 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # the server thread notices the hang-up on its own schedule
    assert receiver.stats().disconnected == 1


def test_subscribers_and_feeds_get_every_record(
    receiver: WebhookReceiver, client: httpx.Client
) -> None:
    seen: list[int] = []
    threads: set[str] = set()

    def callback(record: object) -> None:
        seen.append(record.seq)  # type: ignore[attr-defined]
        threads.add(threading.current_thread().name)

    def broken(record: object) -> None:
        raise RuntimeError("a buggy subscriber")

    unsubscribe = receiver.subscribe(callback)
    receiver.subscribe(broken)
    feed = receiver.feed()
    for index in range(3):
        assert client.post(receiver.url, content=str(index).encode()).status_code == 200
    assert seen == [1, 2, 3]
    assert threads and threading.current_thread().name not in threads  # the receiver's thread
    assert [r.body for r in feed.drain()] == [b"0", b"1", b"2"]
    assert feed.drain() == [] and feed.get(timeout=0.01) is None
    unsubscribe()
    feed.close()
    client.post(receiver.url, content=b"after")
    assert seen == [1, 2, 3] and feed.drain() == []


def test_feed_get_blocks_until_a_record_arrives(receiver: WebhookReceiver) -> None:
    feed: RecordFeed = receiver.feed()
    sender = threading.Thread(
        target=lambda: httpx.post(receiver.url, content=b"late", trust_env=False)
    )
    sender.start()
    record = feed.get(timeout=5)
    sender.join()
    assert record is not None and record.body == b"late"


def test_wait_for_and_clear(receiver: WebhookReceiver, client: httpx.Client) -> None:
    assert not receiver.wait_for(1, timeout=0.05)
    client.post(receiver.url, content=b"1")
    assert receiver.wait_for(1, timeout=5)
    receiver.clear()
    assert receiver.records() == [] and receiver.count == 0
    client.post(receiver.url, content=b"2")
    assert receiver.records()[0].seq == 1


def test_keeps_only_the_newest_records_but_counts_all(client: httpx.Client) -> None:
    with WebhookReceiver(max_records=2) as receiver:
        for index in range(3):
            client.post(receiver.url, content=str(index).encode())
        assert [r.seq for r in receiver.records()] == [2, 3] and receiver.count == 3


def test_signed_urls_are_marked(client: httpx.Client) -> None:
    secret = "a-receiver-secret-of-enough-length-0123456789"
    with WebhookReceiver(secret=secret) as receiver:
        client.post(sign_url(receiver.url + "hook", secret), content=b"{}")
        client.post(
            sign_url(receiver.url + "hook", "someone-else-entirely-0123456789"), content=b"{}"
        )
        client.post(sign_url(receiver.url, secret, now=time.time() - 7200), content=b"{}")
        client.post(receiver.url + "hook?target_events=run.output", content=b"{}")
        states = [r.signature.state for r in receiver.records() if r.signature]
        assert states == [
            SignatureState.VALID,
            SignatureState.FORGED,
            SignatureState.EXPIRED,
            SignatureState.UNSIGNED,
        ]
        receiver.set_secret(None)
        client.post(receiver.url, content=b"{}")
        assert receiver.records()[-1].signature is None


def test_urls_and_exposure_warning() -> None:
    with WebhookReceiver() as receiver:
        assert receiver.url == f"http://127.0.0.1:{receiver.port}/"
        assert receiver.listen_url == receiver.url and receiver.warning is None
    assert not receiver.running
    wide = WebhookReceiver(host="0.0.0.0")
    assert wide.warning is not None and "0.0.0.0" in wide.warning
    assert wide.url.startswith("http://127.0.0.1:")


def test_json_records_are_plain_json_values(
    receiver: WebhookReceiver, client: httpx.Client
) -> None:
    client.post(receiver.url, content=json.dumps([1, {"a": None}]).encode())
    client.post(receiver.url, content=b"[" * 100_000)  # deeply nested: not JSON for us
    assert [r.json for r in receiver.records()] == [[1, {"a": None}], None]


def test_answers_within_milliseconds(receiver: WebhookReceiver, client: httpx.Client) -> None:
    # Guards against Nagle's algorithm meeting delayed ACKs, which adds ~40 ms to every answer.
    timings = []
    for _ in range(21):
        started = time.perf_counter()
        client.post(receiver.url, content=b"{}")
        timings.append(time.perf_counter() - started)
    assert sorted(timings)[10] < 0.025
