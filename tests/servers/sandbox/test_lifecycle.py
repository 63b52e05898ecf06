"""Run lifecycle: status order, the run object, queue positions, outcomes, seeds, cancel."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

from composer.core.simulation import float32
from composer.servers.sandbox import Sandbox
from tests.servers.sandbox.helpers import recorder, terminal

RUN_KEYS = [
    "id", "workflow_version_id", "workflow_inputs", "workflow_id", "machine_id", "origin",
    "status", "ended_at", "created_at", "updated_at", "queued_at", "started_at", "gpu_event_id",
    "gpu", "machine_version", "machine_type", "modal_function_call_id", "user_id", "org_id",
    "live_status", "progress", "is_realtime", "webhook", "webhook_status",
    "webhook_intermediate_status", "outputs", "number", "duration", "cold_start_duration",
    "cold_start_duration_total", "run_duration", "queue_position",
]  # fmt: skip
RUN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _post(client: httpx.Client, body: dict[str, object]) -> str:
    body = {"inputs": {"prompt": "A red fox"}, **body}  # prompt is a required input
    answer = client.post("/run", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["run_id"])


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_status_order_seen_by_a_webhook(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    with recorder() as receiver:
        run_id = _post(sandbox_http, {"model_id": "flux-schnell", "webhook": receiver.url()})
        receiver.wait_until(lambda got: terminal(got, run_id))
        sandbox.wait_webhooks_idle()
        statuses = [d.body["status"] for d in receiver.for_run(run_id)]
    assert statuses == ["queued", "started", "running", "success"]


def test_run_object_after_success(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    run_id = _post(sandbox_http, {"model_id": "flux-dev", "inputs": {"prompt": "A lighthouse"}})
    sandbox.wait_for(run_id)
    run = sandbox_http.get(f"/run/{run_id}").json()
    assert list(run) == RUN_KEYS
    assert run["status"] == "success"
    assert run["workflow_inputs"] == {"prompt": "A lighthouse"}
    assert (run["origin"], run["gpu"], run["number"], run["queue_position"]) == (
        "api",
        "H100",
        1,
        None,
    )
    stamps = [run[k] for k in ("created_at", "queued_at", "started_at", "ended_at", "updated_at")]
    assert all(RUN_TIME.match(stamp) for stamp in stamps)
    created, queued, started, ended, _ = (_time(s) for s in stamps)
    assert created <= queued <= started <= ended
    assert run["duration"] == pytest.approx((ended - created).total_seconds(), abs=0.002)
    assert run["run_duration"] == pytest.approx((ended - started).total_seconds(), abs=0.002)
    assert run["cold_start_duration"] == pytest.approx(
        (started - queued).total_seconds(), abs=0.002
    )
    # Progress is executed nodes / nodes as a float32: it ends below 1.0, with float noise.
    assert 0.5 < run["progress"] < 1.0 and run["progress"] == float32(run["progress"])
    assert run["live_status"] == "Executing SaveImage"
    [output] = run["outputs"]
    image = output["data"]["images"][0]
    assert image["url"] == f"{sandbox.base_url}/files/{run_id}/{image['filename']}"
    picture = httpx.get(image["url"], trust_env=False)  # no auth: a public URL
    assert picture.headers["content-type"] == "image/png"


def test_queue_positions_follow_the_concurrency_limit(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    sandbox.config.speed = 20
    ids = [_post(sandbox_http, {"model_id": "sd-v35-large"}) for _ in range(5)]
    sandbox.wait_until(
        lambda runs: [r["status"] for r in runs] == ["running"] * 2 + ["queued"] * 3,
        then_pause=True,
    )
    try:
        seen = [
            sandbox_http.get(f"/run/{run_id}", params={"queue_position": "true"}).json()
            for run_id in ids
        ]
        plain = sandbox_http.get(f"/run/{ids[4]}").json()
    finally:
        sandbox.resume()
    assert [r["status"] for r in seen] == ["running", "running", "queued", "queued", "queued"]
    assert [r["queue_position"] for r in seen] == [None, None, 0, 1, 2]
    assert plain["queue_position"] is None  # only with ?queue_position=true
    final = [sandbox.wait_for(run_id) for run_id in ids]
    assert [r["status"] for r in final] == ["success"] * 5
    # Never more than two at once: each run started after an earlier one ended.
    starts = sorted(_time(r["started_at"]) for r in final)
    ends = sorted(_time(r["ended_at"]) for r in final)
    assert starts[2] >= ends[0] and starts[3] >= ends[1] and starts[4] >= ends[2]


def test_other_targets_have_their_own_queue(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    sandbox.config.speed = 10
    sandbox.config.concurrency = 1
    # flux-dev runs of 200 steps take seconds; the flux-schnell run is running well before.
    long = {"model_id": "flux-dev", "inputs": {"prompt": "x", "steps": 200}}
    first = [_post(sandbox_http, long) for _ in range(2)]
    other = _post(sandbox_http, {"model_id": "flux-schnell"})
    runs = sandbox.wait_until(lambda rs: rs[2]["status"] == "running", then_pause=True)
    sandbox.resume()
    assert [r["id"] for r in runs] == [*first, other]
    assert runs[1]["status"] == "queued"  # the second flux-dev run waits for the first


@pytest.mark.parametrize(
    ("setting", "status"), [("fail_rate", "failed"), ("timeout_rate", "timeout")]
)
def test_fail_and_timeout_rates(
    sandbox: Sandbox, sandbox_http: httpx.Client, setting: str, status: str
) -> None:
    setattr(sandbox.config, setting, 1.0)
    ids = [_post(sandbox_http, {"model_id": "flux-schnell"}) for _ in range(3)]
    runs = [sandbox.wait_for(run_id) for run_id in ids]
    assert {r["status"] for r in runs} == {status}
    assert all(r["outputs"] == [] and r["ended_at"] for r in runs)
    expected = "Error executing" if status == "failed" else "timed out"
    assert any(expected in line for line in sandbox.run_logs(ids[0]))


def test_missing_required_input_fails_the_run(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    run_id = _post(sandbox_http, {"model_id": "flux-dev-image-to-image", "inputs": {"prompt": "x"}})
    assert sandbox.wait_for(run_id)["status"] == "failed"
    assert "Required input 'input_image' is missing" in " ".join(sandbox.run_logs(run_id))


def test_seed_makes_ids_and_outcomes_repeat(make_sandbox: Callable[..., Sandbox]) -> None:
    def session() -> list[tuple[str, str, str | None]]:
        sandbox = make_sandbox(seed=7, fail_rate=0.5)
        headers = {"Authorization": f"Bearer {sandbox.token}"}
        with httpx.Client(base_url=sandbox.base_url, headers=headers, trust_env=False) as client:
            ids = [_post(client, {"model_id": "flux-schnell"}) for _ in range(6)]
        runs = [sandbox.wait_for(run_id) for run_id in ids]
        sandbox.stop()
        return [(r["id"], r["status"], r["modal_function_call_id"]) for r in runs]

    first, second = session(), session()
    assert first == second
    assert {status for _, status, _ in first} == {"success", "failed"}


def test_cancel(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    with recorder() as receiver:
        run_id = _post(sandbox_http, {"model_id": "flux-dev", "webhook": receiver.url()})
        sandbox.wait_until(lambda runs: runs[0]["status"] == "running", then_pause=True)
        answer = sandbox_http.post(f"/run/{run_id}/cancel")
        sandbox.resume()
        assert answer.json() == {"status": "success", "message": "Function cancelled"}
        run = sandbox.wait_for(run_id)
        assert run["status"] == "cancelled" and run["ended_at"] is not None
        receiver.wait_until(lambda got: terminal(got, run_id))
        sandbox.wait_webhooks_idle()
        assert [d.body["status"] for d in receiver.for_run(run_id)][-1] == "cancelled"
    # Cancelling an ended run changes nothing and still answers success.
    again = sandbox_http.post(f"/run/{run_id}/cancel")
    assert again.json() == {"status": "success", "message": "Function cancelled"}
    assert sandbox_http.get(f"/run/{run_id}").json()["status"] == "cancelled"


def test_cancel_frees_the_slot_for_the_next_run(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    sandbox.config.concurrency = 1
    first = _post(sandbox_http, {"model_id": "flux-dev"})
    second = _post(sandbox_http, {"model_id": "flux-dev"})
    sandbox.wait_until(lambda runs: runs[0]["status"] == "running", then_pause=True)
    sandbox_http.post(f"/run/{first}/cancel")
    sandbox.resume()
    assert sandbox.wait_for(second)["status"] == "success"
