"""Sandbox -> receiver end to end: real runs post real webhooks to the real receiver.

Each event must be attached to the right run, a batch's run ids must be discoverable from the
events alone, and the timeline must mark exactly what the sandbox was told to do to the handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from composer.core.signing import SignatureState, sign_url
from composer.core.timeline import Mark, PolledStatus, analyse_run
from composer.core.webhooks import WebhookRecord, group_by_run, with_run_output
from composer.servers.receiver import WebhookReceiver
from composer.servers.sandbox import Sandbox

INPUTS = {"prompt": "A lighthouse at dusk", "seed": 7}
SECRET = "an-end-to-end-secret-of-32-bytes-or-more"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(secret=SECRET) as running:
        yield running


def submit(client: httpx.Client, webhook: str, **fields: Any) -> dict[str, Any]:
    answer = client.post(
        "/run", json={"model_id": "flux-dev", "inputs": INPUTS, "webhook": webhook, **fields}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def finished(sandbox: Sandbox, receiver: WebhookReceiver, run_ids: list[str]) -> None:
    """Wait until every run ended and every delivery was made."""
    for run_id in run_ids:
        sandbox.wait_for(run_id)
    sandbox.wait_webhooks_idle()
    assert receiver.wait_until(
        lambda records: {r.run_id for r in records if r.is_terminal} >= set(run_ids)
    )


def events(records: list[WebhookRecord]) -> list[tuple[str | None, str | None]]:
    return [(r.event_type, r.status) for r in records]


def test_a_run_posts_its_status_changes(
    sandbox: Sandbox, sandbox_http: httpx.Client, receiver: WebhookReceiver
) -> None:
    run_id = submit(sandbox_http, receiver.url + "hook")["run_id"]
    finished(sandbox, receiver, [run_id])
    records = receiver.records()
    assert {r.run_id for r in records} == {run_id}
    assert events(records) == [
        ("run.updated", "queued"),
        ("run.updated", "started"),
        ("run.updated", "running"),
        ("run.updated", "success"),
    ]
    assert {(r.method, r.path) for r in records} == {("POST", "/hook")}
    run = sandbox.run(run_id)
    assert run is not None
    assert [o["id"] for o in records[-1].outputs] == [o["id"] for o in run["outputs"]]
    polled = [PolledStatus(records[-1].received_at, run["status"], run["progress"])]
    timeline = analyse_run(records, polled)
    assert timeline.marks == frozenset() and timeline.terminal_status == "success"
    assert not timeline.missing_terminal


def test_intermediate_status_adds_progress_in_order(
    sandbox: Sandbox, sandbox_http: httpx.Client, receiver: WebhookReceiver
) -> None:
    run_id = submit(sandbox_http, receiver.url, webhook_intermediate_status=True)["run_id"]
    finished(sandbox, receiver, [run_id])
    records = receiver.records()
    progress = [r for r in records if r.status == "running" and r.live_status]
    assert len(progress) > 3
    assert all(r.event_type == "run.updated" and r.outputs == [] for r in progress)
    values = [r.progress for r in progress]
    assert values == sorted(values)  # type: ignore[type-var]
    assert analyse_run(records, run_ended=True).marks == frozenset()


@pytest.mark.parametrize("run_output", [True, False])
def test_run_output_events_only_when_the_url_asks(
    sandbox: Sandbox,
    sandbox_http: httpx.Client,
    receiver: WebhookReceiver,
    run_output: bool,
) -> None:
    url = with_run_output(receiver.url + "hook", run_output)
    run_id = submit(sandbox_http, url)["run_id"]
    finished(sandbox, receiver, [run_id])
    records = receiver.records()
    outputs = [r for r in records if r.event_type == "run.output"]
    run = sandbox.run(run_id)
    assert run is not None
    if run_output:
        assert all(r.query == "target_events=run.output" for r in records)
        assert len(outputs) == len(run["outputs"]) >= 1
        assert all(len(r.outputs) == 1 for r in outputs)
        assert analyse_run(records).mark_counts[Mark.RUN_OUTPUT] == len(outputs)
    else:
        assert outputs == []


def test_a_batch_reveals_its_run_ids_through_webhooks(
    sandbox: Sandbox, sandbox_http: httpx.Client, receiver: WebhookReceiver
) -> None:
    answer = submit(
        sandbox_http,
        with_run_output(receiver.url),
        batch_input_params={"seed": [1, 2, 3]},
        webhook_intermediate_status=True,
    )
    assert set(answer) == {"batch_id"}  # the API says nothing about the runs themselves
    sandbox.wait_until(lambda runs: len(runs) == 3)
    run_ids = [run["id"] for run in sandbox.runs()]
    finished(sandbox, receiver, run_ids)
    by_run = group_by_run(receiver.records())
    assert set(by_run) == set(run_ids)
    seeds = set()
    for run_id, records in by_run.items():
        run = sandbox.run(run_id)
        assert run is not None
        seeds.add(run["workflow_inputs"]["seed"])
        timeline = analyse_run(records, [PolledStatus(records[-1].received_at, run["status"])])
        assert timeline.terminal_status == run["status"]
        assert Mark.OUT_OF_ORDER not in timeline.marks
        assert {r.run_id for r in records} == {run_id}
    assert seeds == {1, 2, 3}


def test_get_retries_after_a_failing_answer(
    sandbox: Sandbox, sandbox_http: httpx.Client, receiver: WebhookReceiver
) -> None:
    sandbox.config.webhook_get_retries = True
    receiver.answer_next(500, 503)
    run_id = submit(sandbox_http, receiver.url)["run_id"]
    finished(sandbox, receiver, [run_id])
    records = receiver.records()
    assert [r.method for r in records[:4]] == ["POST", "GET", "GET", "POST"]
    assert records[0].body == records[1].body == records[2].body
    timeline = analyse_run(records)
    assert timeline.mark_counts[Mark.GET_RETRY] == 2
    assert timeline.mark_counts[Mark.REDELIVERY] == 2
    run = sandbox.run(run_id)
    assert run is not None and run["webhook_status"] == "success"


def test_duplicated_deliveries_are_marked(
    sandbox: Sandbox, sandbox_http: httpx.Client, receiver: WebhookReceiver
) -> None:
    sandbox.faults.webhook_duplicate_rate = 1.0
    run_id = submit(sandbox_http, receiver.url)["run_id"]
    finished(sandbox, receiver, [run_id])
    timeline = analyse_run(receiver.records())
    assert timeline.mark_counts[Mark.DUPLICATE_TERMINAL] == 1
    assert timeline.mark_counts[Mark.REDELIVERY] == 4
    assert timeline.terminal_status == "success"


def test_signed_webhook_urls_are_valid_on_receipt(
    sandbox: Sandbox, sandbox_http: httpx.Client, receiver: WebhookReceiver
) -> None:
    signed = sign_url(with_run_output(receiver.url + "hook"), SECRET)
    run_id = submit(sandbox_http, signed)["run_id"]
    finished(sandbox, receiver, [run_id])
    states = {r.signature.state for r in receiver.records() if r.signature}
    assert states == {SignatureState.VALID}
    assert any(r.event_type == "run.output" for r in receiver.records())
