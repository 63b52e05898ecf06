"""Replay received requests to a real local server and read its answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from pytestqt.qtbot import QtBot

from composer.client.replay import ReplayResult, replay, replay_url
from composer.core.webhooks import WebhookRecord
from composer.servers.receiver import WebhookReceiver
from tests.conftest import free_port
from tests.qt_async import run_async
from tests.webhook_factory import payload, record


@pytest.fixture
def captured() -> Iterator[list[WebhookRecord]]:
    """Three real requests, as a receiver recorded them."""
    with WebhookReceiver() as first, httpx.Client(trust_env=False) as http:
        http.post(
            first.url + "hook?target_events=run.output",
            json=payload("running", progress=0.5),
            headers=[("X-Trace", "a"), ("User-Agent", "ComfyDeploy-test"), ("X-Trace", "b")],
        )
        http.request("GET", first.url + "hook", content=b'{"retry": true}')
        http.put(first.url + "raw", content=b"\x00\xff\x10")
        yield first.records()


@pytest.fixture
def handler() -> Iterator[WebhookReceiver]:
    """The user's handler, played by another receiver (a real server that records exactly)."""
    with WebhookReceiver() as target:
        yield target


def test_replay_sends_method_headers_and_body_again(
    captured: list[WebhookRecord], handler: WebhookReceiver
) -> None:
    results = asyncio.run(replay(captured, handler.url + "api/webhook"))
    assert [r.status for r in results] == [200, 200, 200]
    assert [r.seq for r in results] == [1, 2, 3]
    got = handler.records()
    assert [(r.method, r.path, r.query, r.body) for r in got] == [
        (c.method, "/api/webhook", "", c.body) for c in captured
    ]
    transport = ("host", "content-length", "connection")
    for original, resent in zip(captured, got, strict=True):
        # Same headers in the same order, and no client defaults added or lost.
        assert [h for h in resent.headers if h[0] not in transport] == [
            h for h in original.headers if h[0] not in transport
        ]
    assert [v for n, v in got[0].headers if n == "user-agent"] == ["ComfyDeploy-test"]
    assert [v for n, v in got[0].headers if n == "x-trace"] == ["a", "b"]
    assert got[0].header("host") == f"127.0.0.1:{handler.port}"


def test_keep_query_appends_the_original_query(
    captured: list[WebhookRecord], handler: WebhookReceiver
) -> None:
    asyncio.run(replay(captured[:1], handler.url + "h?mine=1", keep_query=True))
    assert handler.records()[0].query == "mine=1&target_events=run.output"
    assert replay_url(captured[1], "http://x/", keep_query=True) == "http://x/"


def test_answers_are_reported_with_status_time_and_excerpt(
    captured: list[WebhookRecord], handler: WebhookReceiver
) -> None:
    handler.answer_next(500)
    seen: list[ReplayResult] = []
    results = asyncio.run(replay(captured[:2], handler.url, on_result=seen.append))
    assert seen == results
    assert [r.status for r in results] == [500, 200]
    assert not results[0].ok and results[1].ok
    assert "500" in results[0].body_excerpt and results[1].body_excerpt == '{"received":2}'
    assert all(r.elapsed > 0 and r.error is None for r in results)
    assert results[1].summary().startswith(f"#2 GET {handler.url} -> 200 in ")


def test_a_handler_that_is_down_gives_an_error_not_an_exception() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    (result,) = asyncio.run(replay([record(1, payload("queued"))], url))
    assert result.status is None and not result.ok
    assert result.error is not None and "is the handler running" in result.error
    assert "no answer" in result.summary()


def test_a_slow_handler_times_out(handler: WebhookReceiver) -> None:
    handler.set_answer(delay=0.6)
    (result,) = asyncio.run(replay([record(1, b"{}")], handler.url, request_timeout=0.2))
    assert result.status is None and result.error == "no answer within 0.2 s"
    assert 0.2 <= result.elapsed < 0.6


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/x", ""])
def test_bad_urls_are_reported(url: str) -> None:
    (result,) = asyncio.run(replay([record(1, b"{}")], url))
    assert result.status is None and result.error is not None
    assert "URL" in result.error or "url" in result.error


def test_replay_runs_on_the_qasync_loop(
    qasync_loop: object, qtbot: QtBot, captured: list[WebhookRecord], handler: WebhookReceiver
) -> None:
    results = run_async(qtbot, replay(captured, handler.url))
    assert [r.status for r in results] == [200, 200, 200]
