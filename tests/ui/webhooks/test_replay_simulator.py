"""Replay to a local test server and the simulator against a real receiver, from the panels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from composer.client.simulator import DeliveryPolicy
from composer.servers.receiver import WebhookReceiver
from composer.ui.webhooks.lab import WebhookLab
from tests.conftest import free_port
from tests.ui.conftest import WindowFactory
from tests.ui.webhooks.conftest import LabFactory, post_all, start, wait_rows
from tests.webhook_factory import payload


@pytest.fixture
def handler() -> Iterator[WebhookReceiver]:
    """A stand-in for the user's handler: a second receiver on its own port."""
    with WebhookReceiver(status=201) as running:
        yield running


def test_replay_resends_the_selection_and_shows_each_answer(
    lab: WebhookLab, qtbot: QtBot, handler: WebhookReceiver
) -> None:
    url = start(qtbot, lab)
    post_all(url + "hook?target_events=run.output",
             [payload("queued"), payload("running"), payload("success")])  # fmt: skip
    post_all(url + "hook", [payload("success")], method="GET")
    originals = wait_rows(qtbot, lab, 4)
    lab.events.select_seq(2, 4)
    lab.events.replay.click()
    assert lab.tabs.currentWidget() is lab.replay
    assert "Resend 2 events (#2, #4)" in lab.replay.selection.text()
    lab.replay.url.setEditText(handler.url + "api/webhook")
    lab.replay.keep_query.setChecked(True)
    task = lab.replay.send()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    got = handler.records()
    assert [(r.method, r.target) for r in got] == [
        ("POST", "/api/webhook?target_events=run.output"),
        ("GET", "/api/webhook"),
    ]
    assert [r.body for r in got] == [originals[1].body, originals[3].body]
    view = lab.replay.results_view
    assert view.topLevelItemCount() == 2
    first = view.topLevelItem(0)
    assert first.text(0) == "2" and first.text(2) == "201" and first.text(3).endswith(" ms")
    assert first.text(4) == '{"received":1}'
    assert lab.replay.summary.text().startswith("2 of 2 answered below 400")
    assert lab.replay.url.itemText(0) == handler.url + "api/webhook"  # remembered


def test_replay_to_nothing_listening_says_what_happened(
    lab: WebhookLab, qtbot: QtBot, unused_port: int
) -> None:
    url = start(qtbot, lab)
    post_all(url, [payload("queued")])
    wait_rows(qtbot, lab, 1)
    lab.events.select_seq(1)
    lab.replay.url.setEditText(f"127.0.0.1:{unused_port}/hook")  # no scheme: http is assumed
    task = lab.replay.send()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    item = lab.replay.results_view.topLevelItem(0)
    assert item.text(1) == f"POST http://127.0.0.1:{unused_port}/hook"
    assert item.text(2) == "no answer" and "could not connect" in item.text(4)
    assert "0 of 1 answered below 400, 1 did not" in lab.replay.summary.text()


@pytest.fixture
def unused_port() -> int:
    return free_port()


FAST = DeliveryPolicy(attempt_timeout=2.0, backoff=(0.01, 0.01))


def test_the_simulator_reports_live_against_a_real_receiver(
    lab: WebhookLab, qtbot: QtBot, handler: WebhookReceiver
) -> None:
    panel = lab.simulator
    panel.policy = FAST
    panel.limit.setValue(2.0)
    panel.choose(["lifecycle", "get-retry", "duplicate-terminal"])
    panel.url.setEditText(handler.url + "api/webhook")
    task = panel.run()
    assert task is not None and panel.run_button.text() == "Stop"
    qtbot.waitUntil(task.done, timeout=20_000)
    assert panel.run_button.text() == "Run"
    assert [s.scenario for s in panel.reports] == ["lifecycle", "get-retry", "duplicate-terminal"]
    tree = panel.report
    assert tree.topLevelItemCount() == 3
    lifecycle = tree.topLevelItem(0)
    assert lifecycle.text(2) == "PASS" and lifecycle.text(1) == "4 deliveries"
    assert lifecycle.child(0).text(0).startswith("PASS · delivered: all 4 deliveries")
    deliveries = lifecycle.child(lifecycle.childCount() - 1)
    assert deliveries.text(0) == "Deliveries (4)" and not deliveries.isExpanded()
    labels = [deliveries.child(i).text(0) for i in range(deliveries.childCount())]
    assert labels == ["1. queued", "2. started", "3. running", "4. success"]
    assert deliveries.child(0).text(1).startswith("POST 201 ")
    retry = tree.topLevelItem(1)
    verdicts = [retry.child(i).text(0) for i in range(retry.childCount() - 1)]
    assert verdicts[1].startswith("PASS · get-retry: the handler accepts a retry sent as GET")
    assert panel.outcome.text().startswith("PASS: 3 scenarios")
    methods = [r.method for r in handler.records()]
    assert methods.count("GET") == 1  # the get-retry trap's delivery
    assert len(handler.records()) == 4 + 5 + 5


def test_a_failing_handler_gets_fail_verdicts_with_advice(
    lab: WebhookLab, qtbot: QtBot, handler: WebhookReceiver
) -> None:
    handler.set_answer(status=405)  # a handler that refuses everything
    panel = lab.simulator
    panel.policy = FAST
    panel.choose(["lifecycle"])
    panel.url.setEditText(handler.url)
    task = panel.run()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=20_000)
    scenario = panel.report.topLevelItem(0)
    assert scenario.text(2) == "FAIL" and scenario.text(1) == "4 deliveries, 4 retried, 4 lost"
    deliveries = scenario.child(scenario.childCount() - 1)
    assert deliveries.isExpanded()  # a failing scenario shows what happened
    first = deliveries.child(0)
    assert len(first.text(1).split(" → ")) == 3  # the three attempts, in order
    assert first.text(1).count("405") == 3 and "GET 405" in first.text(1)
    assert first.text(2) == "lost after every attempt"
    assert panel.outcome.text().startswith("FAIL:")
    verdict = scenario.child(0)
    assert verdict.text(0).startswith("FAIL · delivered: 4 of 4 deliveries were never accepted")


def test_the_simulator_can_point_at_the_local_receiver(lab: WebhookLab, qtbot: QtBot) -> None:
    panel = lab.simulator
    assert not panel.use_receiver.isEnabled()
    url = start(qtbot, lab)
    assert panel.use_receiver.isEnabled()
    panel.use_receiver.click()
    assert panel.url.currentText() == url
    panel.policy = FAST
    panel.choose(["cancel"])
    task = panel.run()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=20_000)
    deliveries = len(panel.reports[0].deliveries)
    records = wait_rows(qtbot, lab, deliveries)
    assert len(records) == deliveries and records[-1].status == "cancelled"
    assert {r.run_id for r in records} == {panel.reports[0].run_id}


def test_running_without_url_or_scenarios_says_what_is_missing(
    make_lab: LabFactory, qtbot: QtBot
) -> None:
    lab = make_lab()
    panel = lab.simulator
    with qtbot.waitSignal(lab.message) as said:
        assert panel.run() is None
    assert "URL of your webhook handler" in said.args[0]
    panel.url.setEditText("http://localhost:3000/api/webhook")
    panel.choose([])
    with qtbot.waitSignal(lab.message) as said:
        assert panel.run() is None
    assert "at least one scenario" in said.args[0]
    item = panel.scenarios.item(0)
    assert item.checkState() == Qt.CheckState.Unchecked
    lab.replay.url.setEditText("http://x")
    with qtbot.waitSignal(lab.message) as said:
        assert lab.replay.send() is None
    assert "Select the events" in said.args[0]


def test_stop_ends_a_simulation_against_a_slow_handler(
    lab: WebhookLab, qtbot: QtBot, handler: WebhookReceiver
) -> None:
    handler.set_answer(delay=5.0)  # every answer would take 5 s
    panel = lab.simulator
    panel.choose(["lifecycle"])
    panel.url.setEditText(handler.url)
    task = panel.run()
    assert task is not None
    qtbot.waitUntil(lambda: handler.count >= 1, timeout=5000)  # the first delivery is out
    assert panel.run_button.text() == "Stop"
    panel.run_button.click()
    qtbot.waitUntil(task.done, timeout=3000)  # well before the handler would answer
    assert task.cancelled() and panel.run_button.text() == "Run"
    assert panel.outcome.text() == "Stopped after 0 of 1 scenarios."


def test_recent_urls_come_back_with_the_window(
    make_window: WindowFactory,
    qtbot: QtBot,
    qasync_loop: qasync.QEventLoop,
    handler: WebhookReceiver,
) -> None:
    first = make_window()
    lab = first.webhooks.show()
    lab.simulator.url.setEditText(handler.url + "first")
    lab.simulator.choose(["lifecycle"])
    lab.simulator.policy = FAST
    task = lab.simulator.run()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    first._closing = True
    first.close()  # writes the settings file
    second = make_window()
    again = second.webhooks.show()
    assert again.simulator.url.itemText(0) == handler.url + "first"
    second.webhooks.shutdown()
