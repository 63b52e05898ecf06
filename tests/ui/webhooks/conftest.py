"""Fixtures for the webhook lab: a lab over a private history and settings, stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import qasync
from pytestqt.qtbot import QtBot

from composer.core.history import HistoryStore
from composer.core.settings import Settings
from composer.core.webhooks import WebhookRecord
from composer.ui.main_window import MainWindow
from composer.ui.webhooks.lab import WebhookLab
from tests.qt_async import run_async
from tests.ui.conftest import WindowFactory

LabFactory = Callable[..., WebhookLab]


@pytest.fixture(autouse=True)
def free_default_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Receivers start on a free port unless a test asks for one (tests run side by side)."""
    monkeypatch.setattr("composer.ui.webhooks.bridge.DEFAULT_RECEIVER_PORT", 0)


@pytest.fixture
def window(make_window: WindowFactory) -> Iterator[MainWindow]:
    """A main window with a new model run; its webhook lab is shut down afterwards."""
    win = make_window()
    win.document.new()
    win.form.refresh()
    win.binding.settle_now()
    yield win
    win.webhooks.shutdown()


@pytest.fixture
def make_lab(
    qasync_loop: qasync.QEventLoop, qtbot: QtBot, composer_home: Path
) -> Iterator[LabFactory]:
    """Build labs over the test's composer home; each is shut down after the test."""
    labs: list[WebhookLab] = []

    def make(**options: Any) -> WebhookLab:
        options.setdefault("history", lambda: HistoryStore(composer_home / "history.sqlite3"))
        lab = WebhookLab(Settings(composer_home / "settings.json"), **options)
        qtbot.addWidget(lab)
        lab.resize(1100, 520)
        lab.show()
        labs.append(lab)
        # The signing secret is read from the keyring on a worker thread.
        qtbot.waitUntil(lambda: not lab.signing.loading, timeout=5000)
        return lab

    yield make
    for lab in labs:
        lab.shutdown()


@pytest.fixture
def lab(make_lab: LabFactory) -> WebhookLab:
    """A lab with its receiver not started yet."""
    return make_lab()


def start(qtbot: QtBot, lab: WebhookLab, port: int = 0) -> str:
    """Start the lab's receiver on a free port; its URL."""
    lab.receiver.port.setValue(port)
    url = run_async(qtbot, lab.receiver.start())
    assert url is not None
    return url


def post_all(url: str, bodies: list[bytes | dict[str, Any]], method: str = "POST") -> None:
    """Send requests one after another (from the test's thread; the receiver has its own)."""
    with httpx.Client(trust_env=False, timeout=10) as client:
        for body in bodies:
            if isinstance(body, dict):
                answer = client.request(method, url, json=body)
            else:
                answer = client.request(method, url, content=body)
            assert answer.status_code == 200


def wait_rows(
    qtbot: QtBot, lab: WebhookLab, count: int, timeout: int = 5000
) -> list[WebhookRecord]:
    """Wait until the events list holds ``count`` rows; its records."""
    qtbot.waitUntil(lambda: lab.model.rowCount() >= count, timeout=timeout)
    return list(lab.model.records)
