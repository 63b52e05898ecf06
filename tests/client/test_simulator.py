"""The simulator against real local handlers: exact deliveries, retries, timeouts and verdicts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from composer.client.simulator import DeliveryPolicy, simulate
from composer.core.simulation import SCENARIOS, DeliveryReport
from composer.core.timeline import Mark, analyse_run
from composer.core.webhooks import group_by_run
from composer.servers.background import BackgroundServer
from composer.servers.receiver import WebhookReceiver
from tests.conftest import free_port
from tests.qt_async import run_async

FAST = DeliveryPolicy(attempt_timeout=2.0, backoff=(0.0, 0.0))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_full_lifecycle_arrives_exactly_as_planned(receiver: WebhookReceiver) -> None:
    report = asyncio.run(simulate(receiver.url + "hook", "lifecycle-full", policy=FAST))
    (scenario,) = report.scenarios
    plan = SCENARIOS["lifecycle-full"].build(scenario.run_id)
    records = receiver.records()
    assert [r.json for r in records] == [d.payload for d in scenario.deliveries]
    assert [d.label for d in scenario.deliveries] == [p.label for p in plan]
    assert [r.body for r in records] == [
        json.dumps(d.payload).encode() for d in scenario.deliveries
    ]
    assert {r.method for r in records} == {"POST"} and {r.path for r in records} == {"/hook"}
    assert records[0].header("content-type") == "application/json"
    assert report.outcome == "pass"
    assert [d.attempts[0].status for d in scenario.deliveries] == [200] * len(plan)
    assert all(d.attempts[0].body_excerpt.startswith('{"received":') for d in scenario.deliveries)


def test_failing_answers_are_retried_as_get_with_the_same_body(receiver: WebhookReceiver) -> None:
    receiver.answer_next(500, 503)
    report = asyncio.run(simulate(receiver.url, "lifecycle", policy=FAST))
    first = report.scenarios[0].deliveries[0]
    assert [(a.method, a.status) for a in first.attempts] == [
        ("POST", 500),
        ("GET", 503),
        ("GET", 200),
    ]
    records = receiver.records()
    assert [r.method for r in records[:3]] == ["POST", "GET", "GET"]
    assert records[0].body == records[1].body == records[2].body
    verdict = report.scenarios[0].verdicts[0]
    assert verdict.outcome == "warn" and "retries" in verdict.message
    # The timeline of what arrived shows the same traps the report describes.
    marks = analyse_run(records).mark_counts
    assert marks[Mark.GET_RETRY] == 2 and marks[Mark.REDELIVERY] == 2


def test_a_handler_that_always_fails_loses_every_event(receiver: WebhookReceiver) -> None:
    receiver.set_answer(status=500)
    report = asyncio.run(simulate(receiver.url, "lifecycle", policy=FAST))
    deliveries = report.scenarios[0].deliveries
    assert all(len(d.attempts) == 3 and not d.accepted for d in deliveries)
    assert receiver.count == 3 * len(deliveries)
    assert report.outcome == "fail"
    assert "4 of 4 deliveries were never accepted" in report.scenarios[0].verdicts[0].message


def test_backoff_is_waited_between_attempts(receiver: WebhookReceiver) -> None:
    receiver.answer_next(500, 500)
    policy = DeliveryPolicy(attempt_timeout=2.0, backoff=(0.1, 0.2))
    started = asyncio.run(_timed(simulate(receiver.url, "lifecycle", policy=policy)))
    assert started >= 0.3


async def _timed(coro: object) -> float:
    loop = asyncio.get_running_loop()
    begin = loop.time()
    await coro  # type: ignore[misc]
    return loop.time() - begin


def test_slow_handler_times_out_per_attempt(receiver: WebhookReceiver) -> None:
    receiver.set_answer(delay=0.3)
    policy = DeliveryPolicy(attempt_timeout=0.05, attempts=1, backoff=())
    report = asyncio.run(simulate(receiver.url, "slow", policy=policy))
    scenario = report.scenarios[0]
    attempts = [a for d in scenario.deliveries for a in d.attempts]
    assert all(a.timed_out and a.status is None for a in attempts)
    assert all(0.05 <= a.elapsed < 0.3 for a in attempts)
    verdicts = {v.check: v for v in scenario.verdicts}
    assert verdicts["slow"].outcome == "fail" and "0.05 s" in verdicts["slow"].message
    assert verdicts["delivered"].outcome == "fail"


def test_a_slowish_handler_gets_a_warning(receiver: WebhookReceiver) -> None:
    receiver.set_answer(delay=0.06)
    policy = DeliveryPolicy(attempt_timeout=0.2, backoff=())
    report = asyncio.run(simulate(receiver.url, "slow", policy=policy))
    assert {v.check: v.outcome for v in report.scenarios[0].verdicts} == {
        "delivered": "pass",
        "slow": "warn",
    }


async def post_only(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "status": json.loads(await request.body())["status"]})


def test_a_post_only_handler_fails_the_get_retry_trap() -> None:
    app = Starlette(routes=[Route("/api/webhook", post_only, methods=["POST"])])
    with BackgroundServer(app) as server:
        report = asyncio.run(simulate(server.url + "/api/webhook", "get-retry", policy=FAST))
    verdicts = {v.check: v for v in report.scenarios[0].verdicts}
    assert verdicts["get-retry"].outcome == "fail"
    assert "405" in verdicts["get-retry"].message
    retry = report.scenarios[0].deliveries[-1]
    assert [(a.number, a.method, a.status) for a in retry.attempts] == [
        (2, "GET", 405),
        (3, "GET", 405),
    ]
    assert (
        report.scenarios[0].deliveries[0].attempts[0].body_excerpt
        == '{"ok":true,"status":"queued"}'
    )


def test_every_trap_reaches_the_receiver_and_the_timeline_marks_it(
    receiver: WebhookReceiver,
) -> None:
    seen: list[tuple[str, DeliveryReport]] = []
    report = asyncio.run(
        simulate(receiver.url, "traps", policy=FAST, on_delivery=lambda s, d: seen.append((s, d)))
    )
    assert report.outcome == "pass"
    assert [s.scenario for s in report.scenarios] == [
        "get-retry",
        "out-of-order",
        "duplicate-terminal",
        "slow",
    ]
    assert len(seen) == sum(len(s.deliveries) for s in report.scenarios)
    runs = group_by_run(receiver.records())
    assert list(runs) == [s.run_id for s in report.scenarios]
    timelines = {s.scenario: analyse_run(runs[s.run_id]) for s in report.scenarios}
    assert timelines["get-retry"].mark_counts[Mark.GET_RETRY] == 1
    assert timelines["out-of-order"].mark_counts[Mark.OUT_OF_ORDER] == 2
    assert timelines["duplicate-terminal"].mark_counts[Mark.DUPLICATE_TERMINAL] == 1
    assert timelines["slow"].mark_counts[Mark.RUN_OUTPUT] == 2


def test_every_scenario_gets_its_own_run(receiver: WebhookReceiver) -> None:
    report = asyncio.run(simulate(receiver.url, "all", policy=FAST))
    assert [s.scenario for s in report.scenarios] == list(SCENARIOS)
    assert len({s.run_id for s in report.scenarios}) == len(SCENARIOS)
    endings = {s.scenario: s.deliveries[-1].run_status for s in report.scenarios}
    assert endings["cancel"] == "cancelled" and endings["failure"] == "failed"
    assert report.outcome == "pass"


def test_unreachable_handler_is_reported() -> None:
    report = asyncio.run(simulate(f"http://127.0.0.1:{free_port()}/", "lifecycle", policy=FAST))
    attempt = report.scenarios[0].deliveries[0].attempts[0]
    assert attempt.status is None and "is the handler running" in (attempt.error or "")
    assert report.outcome == "fail"


def test_unknown_scenario_is_refused_before_sending(receiver: WebhookReceiver) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        asyncio.run(simulate(receiver.url, ["lifecycle", "bogus"], policy=FAST))
    assert receiver.count == 0


def test_simulate_on_the_qasync_loop(
    qasync_loop: object, qtbot: QtBot, receiver: WebhookReceiver
) -> None:
    receiver.answer_next(500)
    policy = DeliveryPolicy(attempt_timeout=1.0, backoff=(0.01,))
    report = run_async(qtbot, simulate(receiver.url, "cancel", policy=policy))
    assert report.scenarios[0].deliveries[0].attempts[1].method == "GET"
    assert report.scenarios[0].deliveries[-1].run_status == "cancelled"
