"""pytest plugin: a qasync loop per test (set-up (a) of QT-TESTING.md) and a coroutine driver.

Use the ``qasync_loop`` fixture in a test that runs coroutines inside Qt, and
``run_async(qtbot, coro)`` to drive one to completion while Qt keeps processing events.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot


@pytest.fixture
def qasync_loop(qapp: QApplication, qtbot: QtBot) -> Iterator[qasync.QEventLoop]:
    """A qasync loop registered as asyncio's running loop for this test, torn down cleanly."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        yield loop
    finally:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            qtbot.waitUntil(lambda: all(task.done() for task in pending), timeout=5000)
        # Undo what already_running=True did; never loop.stop(): it calls QApplication.exit().
        loop._QEventLoop__is_running = False
        with contextlib.suppress(RuntimeError, TypeError):
            qapp.aboutToQuit.disconnect(loop._after_run_forever)
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)
        # The loop's Qt objects (socket notifiers, timers) sit in reference cycles; collect them
        # now, on the GUI thread. Left to a later GC run on a server thread, Qt objects are
        # destroyed off their thread and a later processEvents() crashes (segfault).
        del loop
        gc.collect()
    if errors:
        messages = "; ".join(str(e.get("exception") or e.get("message")) for e in errors)
        pytest.fail(f"unhandled errors in asyncio tasks: {messages}")


def run_async[T](qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = 10_000) -> T:
    """Run ``coro`` on the current qasync loop until done, letting Qt process events meanwhile."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()
