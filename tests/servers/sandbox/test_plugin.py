"""The pytest plugin other tests rely on: a clean, fast sandbox reachable from any loop."""

from __future__ import annotations

import httpx
from pytestqt.qtbot import QtBot

from composer.servers.sandbox import Sandbox
from tests.qt_async import run_async
from tests.sandbox_plugin import SANDBOX_SPEED, SANDBOX_TOKEN, _restore, _test_config


def test_fixture_shape(sandbox: Sandbox) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:") and sandbox.base_url.endswith("/api")
    assert (sandbox.token, sandbox.config.speed) == (SANDBOX_TOKEN, SANDBOX_SPEED)
    assert sandbox.runs() == []


def test_reset_between_tests_forgets_everything(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    sandbox.config.speed = 1
    sandbox.config.fail_rate = 1.0
    sandbox.faults.latency = 0.5
    sandbox_http.post("/run", json={"model_id": "flux-dev", "inputs": {"prompt": "x"}})
    sandbox.pause()
    # What the fixture does before and after every test:
    _restore(sandbox.config, _test_config())
    sandbox.reset()
    assert sandbox.runs() == [] and sandbox.webhook_attempts() == []
    assert (sandbox.config.speed, sandbox.config.fail_rate, sandbox.faults.latency) == (
        SANDBOX_SPEED,
        0.0,
        0.0,
    )
    run_id = sandbox_http.post("/run", json={"model_id": "flux-dev", "inputs": {"prompt": "x"}})
    assert sandbox.wait_for(run_id.json()["run_id"])["status"] == "success"  # not paused


def test_reachable_from_the_qasync_loop(
    sandbox: Sandbox, qasync_loop: object, qtbot: QtBot
) -> None:
    async def queue_and_read() -> dict[str, object]:
        headers = {"Authorization": f"Bearer {sandbox.token}"}
        async with httpx.AsyncClient(
            base_url=sandbox.base_url, headers=headers, trust_env=False
        ) as client:
            answer = await client.post(
                "/run", json={"model_id": "flux-schnell", "inputs": {"prompt": "x"}}
            )
            return dict((await client.get(f"/run/{answer.json()['run_id']}")).json())

    run = run_async(qtbot, queue_and_read())
    assert run["status"] in ("not-started", "queued")
    assert sandbox.wait_for(str(run["id"]))["status"] == "success"
