"""The app's own local servers: the built-in sandbox (its own process, on first use) and the
discovery webhook endpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import qasync
from pytestqt.qtbot import QtBot

from composer.core.profiles import SANDBOX_API_KEY
from composer.ui.runs.controller import RunsController
from composer.ui.runs.local_servers import BuiltinSandbox, DiscoveryWebhooks
from composer.ui.runs.model import Column
from tests.qt_async import run_async
from tests.ui.conftest import WindowFactory


def test_the_builtin_sandbox_starts_on_first_use_in_its_own_process(
    make_window: WindowFactory, qtbot: QtBot, qasync_loop: qasync.QEventLoop, composer_home: Path
) -> None:
    window = make_window()
    window.complete_startup()
    builtin = BuiltinSandbox(speed=50)
    controller = RunsController(window, sandbox=builtin, environ={}, trust_env=False)
    try:
        assert builtin.process is None and not builtin.running  # nothing at start-up
        window.document.new()
        window.binding.draft.replace({"model_id": "flux-schnell", "inputs": {"prompt": "A fox"}})
        window.binding.settle_now()
        window.submit()
        model = controller.model
        qtbot.waitUntil(lambda: model.rowCount() == 1 and not model.submissions()[0].sending,
                        timeout=20_000)  # fmt: skip
        assert builtin.process is not None and builtin.process.pid > 0 and builtin.running
        assert window.targets.base_url == builtin.url
        qtbot.waitUntil(lambda: model.index(0, Column.STATUS).data() == "success", timeout=20_000)
        # a second ensure() reuses the running sandbox
        assert run_async(qtbot, builtin.ensure()) == builtin.url
        process = builtin.process
    finally:
        run_async(qtbot, controller.aclose(), timeout=20_000)
    assert process.poll() is not None  # stopped on quit
    assert not builtin.running


def test_concurrent_first_uses_start_one_sandbox(qtbot: QtBot, qasync_loop: Any) -> None:
    builtin = BuiltinSandbox(speed=50)

    async def both() -> list[str]:
        return list(await asyncio.gather(builtin.ensure(), builtin.ensure()))

    try:
        first, second = run_async(qtbot, both(), timeout=20_000)
        assert first == second == builtin.url
        answer = httpx.get(
            f"{first}/deployments", headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
            trust_env=False,
        )  # fmt: skip
        assert answer.status_code == 200
    finally:
        builtin.stop()


def test_discovery_webhooks_hand_over_every_delivery_in_order(
    qtbot: QtBot, qasync_loop: Any
) -> None:
    payloads: list[Any] = []
    hooks = DiscoveryWebhooks(payloads.append)
    records: list[Any] = []
    hooks.received.connect(records.extend)  # a list per turn of the UI loop
    try:
        url = run_async(qtbot, hooks.ensure())
        assert url.startswith("http://127.0.0.1:") and url.endswith("/composer-runs")
        with httpx.Client(trust_env=False) as http:
            for number in range(30):
                http.post(url, json={"run_id": f"r{number}", "status": "running"})
            http.post(url, content=b"not json")
        qtbot.waitUntil(lambda: hooks.delivered == 31, timeout=5000)
        assert [p["run_id"] for p in payloads] == [f"r{n}" for n in range(30)]
        assert len(records) == 31  # the webhook lab sees every request, JSON or not
    finally:
        hooks.stop()


def test_discovery_webhooks_serve_in_a_process_of_their_own_or_on_a_thread_when_bundled(
    qtbot: QtBot, qasync_loop: Any, monkeypatch: Any
) -> None:
    from composer.servers.receiver import WebhookReceiver
    from composer.servers.receiver_process import ReceiverProcess

    for frozen, kind in ((False, ReceiverProcess), (True, WebhookReceiver)):
        monkeypatch.setattr("sys.frozen", frozen, raising=False)
        payloads: list[Any] = []
        hooks = DiscoveryWebhooks(payloads.append)
        try:
            url = run_async(qtbot, hooks.ensure(), timeout=20_000)
            assert isinstance(hooks.receiver, kind)
            httpx.post(url, json={"run_id": "r1"}, trust_env=False)
            qtbot.waitUntil(lambda payloads=payloads: payloads == [{"run_id": "r1"}], timeout=5000)
        finally:
            hooks.stop()
        assert hooks.receiver is None


def test_a_bundled_app_runs_the_sandbox_on_a_thread(
    qtbot: QtBot, qasync_loop: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("sys.frozen", True, raising=False)
    builtin = BuiltinSandbox(speed=50)
    try:
        url = run_async(qtbot, builtin.ensure(), timeout=20_000)
        assert builtin.process is None and builtin.running
        answer = httpx.get(
            f"{url}/deployments", headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
            trust_env=False,
        )  # fmt: skip
        assert answer.status_code == 200
    finally:
        builtin.stop()
    assert not builtin.running and builtin.url is None
