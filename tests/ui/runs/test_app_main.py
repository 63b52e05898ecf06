"""The app's main coroutine: the runs are wired, and quitting stops what the app started."""

from __future__ import annotations

import gc

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from composer.app import main
from composer.ui.catalogue import StaticCatalogue
from tests.qt_async import run_async
from tests.ui.conftest import WindowFactory


def test_main_wires_the_runs_and_cleans_up_on_quit(
    qapp: QApplication, make_window: WindowFactory, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    window = make_window()
    window.complete_startup()
    # Qt emits lastWindowClosed from exec(), which tests do not run: close, then say so.
    QTimer.singleShot(200, lambda: (window.close(), qapp.lastWindowClosed.emit()))
    try:
        run_async(qtbot, main(qapp, window, StaticCatalogue.known_models()), timeout=10_000)
    finally:
        gc.unfreeze()
        qapp.setQuitOnLastWindowClosed(True)
    controller = window.runs_controller
    assert controller is not None and controller._closed
    assert window.runs_view is not None and window.receivers("2submit_requested(PyObject)") > 0
    assert not controller.sandbox.running  # never needed: never started
    assert controller.history is not None
