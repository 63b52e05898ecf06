"""The lab's place in the window: built on demand, a tab beside the runs, the menu toggle."""

from __future__ import annotations

import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from composer.ui.main_window import MainWindow
from tests.ui.conftest import WindowFactory


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
