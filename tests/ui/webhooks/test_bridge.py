"""The receiver in the app: started on demand off the UI thread, records to the UI in batches."""

from __future__ import annotations

import threading

import httpx
from pytestqt.qtbot import QtBot

from composer.core.webhooks import WebhookRecord
from composer.ui.webhooks.bridge import BATCH_LIMIT, ReceiverBridge
from composer.ui.webhooks.lab import WebhookLab
from tests.qt_async import run_async
from tests.ui.webhooks.conftest import LabFactory, post_all, start, wait_rows
from tests.webhook_factory import RUN_A, payload, record


def test_the_receiver_starts_only_on_demand_and_records_reach_the_list(
    lab: WebhookLab, qtbot: QtBot
) -> None:
    assert lab.bridge.receiver is None and not lab.bridge.running  # nothing at start-up
    assert "Not listening" in lab.receiver.state.text()
    url = start(qtbot, lab)
    assert lab.bridge.running and url.startswith("http://127.0.0.1:")
    assert lab.receiver.state.text() == f"● Listening on {url}"
    assert lab.receiver.toggle.text() == "Stop receiver"
    bodies = [payload(status, RUN_A) for status in ("queued", "started", "running", "success")]
    post_all(url + "hook?x=1", bodies)
    records = wait_rows(qtbot, lab, 4)
    assert [r.status for r in records] == ["queued", "started", "running", "success"]
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert {(r.method, r.target) for r in records} == {("POST", "/hook?x=1")}
    assert lab.events.count.text() == "4 events"


def test_answer_status_and_delay_apply_while_running(lab: WebhookLab, qtbot: QtBot) -> None:
    url = start(qtbot, lab)
    lab.receiver.answer.setValue(503)
    lab.receiver.delay.setValue(0.2)
    with httpx.Client(trust_env=False, timeout=10) as client:
        answer = client.post(url, json=payload("queued"))
    assert answer.status_code == 503
    assert answer.elapsed.total_seconds() >= 0.2
    lab.receiver.answer.setValue(200)
    lab.receiver.delay.setValue(0)
    with httpx.Client(trust_env=False, timeout=10) as client:
        assert client.post(url, json=payload("started")).status_code == 200


def test_a_taken_port_says_so_and_nothing_breaks(
    make_lab: LabFactory, lab: WebhookLab, qtbot: QtBot
) -> None:
    url = start(qtbot, lab)
    port = int(url.rsplit(":", 1)[1].strip("/"))
    other = make_lab()
    with qtbot.waitSignal(other.message) as said:
        other.receiver.port.setValue(port)
        assert run_async(qtbot, other.receiver.start()) is None
    assert "could not start" in said.args[0] and "Pick another port" in said.args[0]
    assert not other.bridge.running and other.receiver.toggle.isEnabled()


def test_a_restarted_receiver_keeps_numbers_unique(lab: WebhookLab, qtbot: QtBot) -> None:
    first = start(qtbot, lab)
    post_all(first, [payload("queued"), payload("started")])
    wait_rows(qtbot, lab, 2)
    run_async(qtbot, lab.bridge.stop())
    assert not lab.bridge.running and lab.receiver.toggle.text() == "Start receiver"
    second = start(qtbot, lab)
    post_all(second, [payload("running")])
    records = wait_rows(qtbot, lab, 3)
    assert [r.seq for r in records] == [1, 2, 3]


def test_bind_choice_shows_the_exposure_warning(lab: WebhookLab, qtbot: QtBot) -> None:
    assert lab.receiver.warning.isHidden()
    lab.receiver.bind.setCurrentIndex(1)  # 0.0.0.0
    assert lab.receiver.warning.isVisible()
    assert "other machines on your network" in lab.receiver.warning.text()
    url = start(qtbot, lab)
    assert lab.bridge.receiver is not None and lab.bridge.receiver.host == "0.0.0.0"
    assert url.startswith("http://127.0.0.1:")  # what to put in a request
    lab.receiver.bind.setCurrentIndex(0)
    assert lab.receiver.toggle.text() == "Restart" and lab.receiver.warning.isHidden()


def test_a_burst_arrives_in_bounded_batches_in_order(qtbot: QtBot) -> None:
    bridge = ReceiverBridge()
    batches: list[list[WebhookRecord]] = []
    bridge.arrived.connect(batches.append)
    total = BATCH_LIMIT * 2 + 37

    def produce() -> None:  # the receiver's thread, as the receiver calls its subscribers
        for seq in range(1, total + 1):
            bridge._on_record(record(seq, payload("running", progress=seq / total)))

    thread = threading.Thread(target=produce)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: sum(len(batch) for batch in batches) == total, timeout=5000)
    assert max(len(batch) for batch in batches) <= BATCH_LIMIT
    assert len(batches) >= 3
    seqs = [r.seq for batch in batches for r in batch]
    assert seqs == list(range(1, total + 1))


def test_use_local_receiver_moves_to_a_free_port_when_its_port_is_taken(
    make_lab: LabFactory, lab: WebhookLab, qtbot: QtBot
) -> None:
    taken = start(qtbot, lab)
    port = int(taken.rsplit(":", 1)[1].strip("/"))
    other = make_lab()
    other.receiver.port.setValue(port)
    with qtbot.waitSignal(other.message) as said:
        url = run_async(qtbot, other.receiver_url())
    assert url is not None and url != taken and other.bridge.running
    assert said.args[0].startswith(f"Port {port} is taken") and url in said.args[0]
    assert other.receiver.port.value() == int(url.rsplit(":", 1)[1].strip("/"))
