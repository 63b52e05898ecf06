"""Webhook deliveries to a real local receiver (API-CONTRACT section 5)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from composer.core.webhook_urls import wants_run_output
from composer.servers.sandbox import Sandbox
from tests.servers.sandbox.helpers import Delivery, recorder, terminal

PROMPT = {"prompt": "A snowy owl", "seed": 9}


def _run(client: httpx.Client, webhook: str, **fields: object) -> str:
    body = {"model_id": "flux-dev", "inputs": PROMPT, "webhook": webhook, **fields}
    return str(client.post("/run", json=body).json()["run_id"])


def _deliveries(
    sandbox: Sandbox, client: httpx.Client, query: str = "", **fields: object
) -> tuple[str, list[Delivery]]:
    with recorder() as receiver:
        run_id = _run(client, receiver.url(query=query), **fields)
        receiver.wait_until(lambda got: terminal(got, run_id))
        sandbox.wait_webhooks_idle()
        return run_id, receiver.for_run(run_id)


def test_status_changes_only_by_default(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    run_id, got = _deliveries(sandbox, sandbox_http)
    assert [(d.method, d.path, d.body["event_type"], d.body["status"]) for d in got] == [
        ("POST", "/hook", "run.updated", "queued"),
        ("POST", "/hook", "run.updated", "started"),
        ("POST", "/hook", "run.updated", "running"),
        ("POST", "/hook", "run.updated", "success"),
    ]
    assert got[0].body == {
        "event_type": "run.updated",
        "status": "queued",
        "live_status": None,
        "progress": 0.0,
        "run_id": run_id,
        "outputs": [],
    }
    run = sandbox.run(run_id)
    assert run is not None and run["webhook_status"] == "success"
    final = got[-1].body
    assert (final["live_status"], final["progress"]) == (run["live_status"], run["progress"])
    # The outputs so far, with the webhook's millisecond timestamps ("...41.512Z").
    [output] = final["outputs"]
    [expected] = run["outputs"]
    assert output == {
        **expected,
        "created_at": expected["created_at"][:-4] + "Z",
        "updated_at": expected["updated_at"][:-4] + "Z",
    }


def test_progress_events_with_intermediate_status(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    _, got = _deliveries(sandbox, sandbox_http, webhook_intermediate_status=True)
    progress = [d.body for d in got if d.body["status"] == "running" and d.body["live_status"]]
    # One per executed node: 4 input nodes and 9 pipeline nodes of flux-dev.
    assert len(progress) == 13
    assert all(p["outputs"] == [] and p["event_type"] == "run.updated" for p in progress)
    fractions = [p["progress"] for p in progress]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] < 1.0
    assert progress[-1]["live_status"] == "Executing SaveImage"
    statuses = [
        d.body["status"] for d in got if not d.body["live_status"] or d.body["status"] != "running"
    ]
    assert statuses == ["queued", "started", "running", "success"]


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("target_events=run.output", True),
        ("token=abc&target_events=run.updated,run.output", True),
        ("target_events=run.updated", False),
        ("target_events=run%2Eoutput", False),  # the query is read as it is, not URL-decoded
        ("", False),
    ],
)
def test_output_events_only_when_asked(
    sandbox: Sandbox, sandbox_http: httpx.Client, query: str, wanted: bool
) -> None:
    assert wants_run_output(f"http://h/x?{query}") is wanted
    _, got = _deliveries(sandbox, sandbox_http, query=query)
    outputs = [d.body for d in got if d.body["event_type"] == "run.output"]
    if not wanted:
        assert outputs == []
        return
    [event] = outputs
    assert event["status"] == "running" and len(event["outputs"]) == 1
    assert got[-1].body["outputs"] == event["outputs"]  # the same output in the final update
    assert got[-1].query == query


def test_retries_three_times_with_backoff(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    with recorder() as receiver:
        receiver.statuses = [500, 503, 500]  # the first delivery fails all three attempts
        run_id = _run(sandbox_http, receiver.url())
        receiver.wait_until(lambda got: terminal(got, run_id))
        sandbox.wait_webhooks_idle()
        got = receiver.for_run(run_id)
    first = [d for d in got if d.body["status"] == "queued"]
    assert [d.method for d in first] == ["POST", "POST", "POST"]
    assert all(d.body == first[0].body for d in first)
    attempts = [a for a in sandbox.webhook_attempts() if a.payload["status"] == "queued"]
    assert [(a.attempt, a.status_code, a.ok) for a in attempts] == [
        (1, 500, False),
        (2, 503, False),
        (3, 500, False),
    ]
    # Later deliveries go on regardless; the last one succeeded.
    assert [d.body["status"] for d in got[3:]] == ["started", "running", "success"]


def test_get_on_retry_quirk(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    sandbox.config.webhook_get_retries = True
    with recorder() as receiver:
        receiver.statuses = [502, 500]
        run_id = _run(sandbox_http, receiver.url())
        receiver.wait_until(lambda got: terminal(got, run_id))
        sandbox.wait_webhooks_idle()
        got = receiver.for_run(run_id)
    assert [d.method for d in got[:3]] == ["POST", "GET", "GET"]
    assert got[0].body == got[1].body == got[2].body  # the same JSON body, even on GET
    assert all(d.method == "POST" for d in got[3:])


def test_unreachable_receiver_marks_the_webhook_failed(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    with recorder() as receiver:
        url = receiver.url()
    run_id = _run(sandbox_http, url)  # the receiver is gone: connection refused
    sandbox.wait_for(run_id)
    sandbox.wait_webhooks_idle()
    attempts = [a for a in sandbox.webhook_attempts() if a.run_id == run_id]
    assert len(attempts) == 4 * 3 and all(a.error and "ConnectError" in a.error for a in attempts)
    assert sandbox_http.get(f"/run/{run_id}").json()["webhook_status"] == "failed"


def test_a_slow_receiver_does_not_slow_the_api(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    with recorder() as receiver:
        receiver.delay = 0.5
        ids = [
            _run(sandbox_http, receiver.url(), webhook_intermediate_status=True) for _ in range(4)
        ]
        sandbox.wait_until(lambda runs: all(r["status"] == "success" for r in runs))
        started = time.perf_counter()
        for run_id in ids:
            assert sandbox_http.get(f"/run/{run_id}").status_code == 200
        elapsed = time.perf_counter() - started
        assert sandbox.call(lambda: sandbox.webhooks.pending) > 0  # still delivering
        sandbox.reset()  # drop the slow deliveries
    assert elapsed < 0.5


def test_duplicate_fault_sends_each_event_twice(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    sandbox.faults.webhook_duplicate_rate = 1.0
    _, got = _deliveries(sandbox, sandbox_http)
    assert [d.body["status"] for d in got] == [
        "queued", "queued", "started", "started", "running", "running", "success", "success",
    ]  # fmt: skip


def test_reorder_fault_delivers_out_of_order(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(seed=3)
    sandbox.faults.webhook_reorder = True
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with (
        httpx.Client(base_url=sandbox.base_url, headers=headers, trust_env=False) as client,
        recorder() as receiver,
    ):
        run_id = _run(client, receiver.url(), webhook_intermediate_status=True)
        sandbox.wait_for(run_id)
        sandbox.wait_webhooks_idle()
        got = receiver.for_run(run_id)
    assert len(got) == 17  # every event arrives once
    # Generated in lifecycle order (status, then progress); arrived in another order.
    rank = {"queued": 0, "started": 1, "running": 2, "success": 3}
    arrival = [(rank[d.body["status"]], d.body["progress"]) for d in got]
    assert arrival != sorted(arrival)
