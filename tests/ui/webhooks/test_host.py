"""The lab's place in the window: built on demand, a tab beside the runs, the menu toggle."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from composer.core.webhooks import WebhookRecord
from composer.ui.main_window import MainWindow
from composer.ui.webhooks.host import LIST_SLICE
from tests.ui.conftest import WindowFactory
from tests.webhook_factory import RUN_A, payload, record


def test_the_menu_toggles_the_lab_beside_the_runs(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    host = window.webhooks
    toggle = window.actions_by_name["show_webhooks"]
    assert host.lab is None and host.dock is None and not toggle.isChecked()
    toggle.trigger()
    assert host.lab is not None and host.dock is not None and host.dock.isVisible()
    assert toggle.isChecked()
    window.show_runs()  # the runs panel appears (a first submit does this) as the other tab
    assert window.runs_dock.isVisible()
    assert window.runs_dock in window.tabifiedDockWidgets(host.dock)
    host.show()
    assert host.dock.isVisible()
    assert host.lab.bridge.receiver is None  # showing the lab starts nothing
    toggle.trigger()
    assert not host.dock.isVisible() and not toggle.isChecked()


def test_the_lab_comes_back_beside_the_runs(
    make_window: WindowFactory, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    first = make_window()
    first.show_runs()
    first.webhooks.show()
    first.resizeDocks([first.webhooks.dock], [300], Qt.Orientation.Vertical)
    first._closing = True
    first.close()  # saves the window state, the dock with it
    second = make_window()
    assert second.webhooks.lab is None  # not at start-up, even though it was open
    second.show_runs()
    second.webhooks.show()
    assert second.webhooks.dock is not None
    assert second.webhooks.dock in second.tabifiedDockWidgets(second.runs_dock)
    second.webhooks.shutdown()


def test_a_burst_from_the_runs_endpoint_is_listed_in_slices(
    window: MainWindow,
    qtbot: QtBot,
    qasync_loop: qasync.QEventLoop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from composer.ui.webhooks.lab import WebhookLab

    slices: list[int] = []
    real = WebhookLab.ingest

    def ingest(lab: WebhookLab, records: Sequence[WebhookRecord]) -> None:
        slices.append(len(records))
        real(lab, records)

    monkeypatch.setattr(WebhookLab, "ingest", ingest)
    host = window.webhooks
    burst = [record(seq, payload("running", RUN_A, progress=seq / 1000)) for seq in range(1, 301)]
    host._from_runs_endpoint(burst)  # as the runs' own endpoint hands over a drained burst
    assert host.lab is None  # nothing built while the deliveries come in
    qtbot.waitUntil(lambda: host.lab is not None, timeout=10_000)
    lab = host.lab
    assert lab is not None
    qtbot.waitUntil(lambda: lab.model.rowCount() == len(burst), timeout=10_000)
    assert sum(slices) == len(burst) and max(slices) <= LIST_SLICE  # never all in one go
    assert [r.seq for r in lab.model.records] == list(range(1, 301))
    assert len(host.records_of(RUN_A)) == len(burst)
    host.shutdown()


def test_deliveries_left_for_a_later_turn_are_dropped_once_the_lab_is_gone(
    window: MainWindow,
    qtbot: QtBot,
    qasync_loop: qasync.QEventLoop,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from shiboken6 import Shiboken

    host = window.webhooks
    lab = host.ensure()
    keeper = lab.keeper
    host._from_runs_endpoint([record(1, payload("running", RUN_A))])  # listed at the next turn
    lab.deleteLater()  # the window closes meanwhile, its lab with it
    qtbot.waitUntil(lambda: not Shiboken.isValid(lab), timeout=5000)
    # The listing turn came and went: nothing raised (pytest-qt fails on an exception in a
    # slot), and nothing is kept for a lab that will not come back.
    qtbot.waitUntil(lambda: not host._from_endpoint, timeout=5000)
    # The lab's history reads and writes, finishing on their worker after it went, say nothing.
    assert keeper is not None
    keeper.load_recent()  # a read that finishes after its window went
    keeper.shutdown()  # waits for them
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


def test_a_listing_turn_after_the_lab_was_destroyed_drops_its_deliveries(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    from shiboken6 import Shiboken

    host = window.webhooks
    host.ensure()
    assert host.dock is not None
    host._from_runs_endpoint([record(1, payload("running", RUN_A))])  # listed at the next turn
    Shiboken.delete(host.dock)  # the lab goes with its dock before that turn
    qtbot.waitUntil(lambda: not host._from_endpoint, timeout=5000)  # dropped, nothing raised
