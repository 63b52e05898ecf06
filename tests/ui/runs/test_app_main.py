"""The app's main coroutine: the runs are wired, and quitting stops what the app started."""

from __future__ import annotations

import gc
from collections.abc import Callable

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from composer.app import main
from composer.ui.catalogue import StaticCatalogue
from composer.ui.main_window import MainWindow
from tests.qt_async import run_async
from tests.ui.conftest import WindowFactory


def run_main_until_closed(
    qapp: QApplication,
    window: MainWindow,
    qtbot: QtBot,
    before_close: Callable[[], object] | None = None,
) -> None:
    """Run the app's main coroutine on ``window`` until the window is closed, 200 ms in
    (``before_close`` is called just before that, with the app running)."""

    def close() -> None:
        if before_close is not None:
            before_close()
        window.close()
        # Qt emits lastWindowClosed from exec(), which tests do not run: say so here.
        qapp.lastWindowClosed.emit()

    QTimer.singleShot(200, close)
    try:
        run_async(qtbot, main(qapp, window, StaticCatalogue.known_models()), timeout=10_000)
    finally:
        gc.unfreeze()
        qapp.setQuitOnLastWindowClosed(True)


def test_main_wires_the_runs_and_cleans_up_on_quit(
    qapp: QApplication, make_window: WindowFactory, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    window = make_window()
    window.complete_startup()
    run_main_until_closed(qapp, window, qtbot)
    controller = window.runs_controller
    assert controller is not None and controller._closed
    assert window.runs_view is not None and window.receivers("2submit_requested(PyObject)") > 0
    assert not controller.sandbox.running  # never needed: never started
    assert controller.history is not None
