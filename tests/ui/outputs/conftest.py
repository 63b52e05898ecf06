"""Fixtures for the outputs views: a client on the in-process sandbox, on the test's qasync loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from composer.client.api import ApiClient
from composer.client.results import SyncOutputs
from composer.core.runs import RunState
from composer.servers.sandbox import Sandbox
from composer.ui.theme import install_theme
from tests.client.helpers import api_for
from tests.qt_async import run_async


@pytest.fixture
def api(
    qapp: QApplication, qtbot: QtBot, qasync_loop: qasync.QEventLoop, sandbox: Sandbox
) -> Iterator[ApiClient]:
    """An ApiClient on the sandbox, created and closed on this test's qasync loop."""
    install_theme(qapp, dark=False)
    client = api_for(sandbox)
    yield client
    run_async(qtbot, client.aclose())


def finished_run(qtbot: QtBot, api: ApiClient, prompt: str = "A fox", seed: int = 1) -> RunState:
    """A finished run with its outputs, as the runs panel would hold it (a sync run's answer)."""
    body = {"model_id": "flux-schnell", "inputs": {"prompt": prompt, "seed": seed}}
    result = run_async(qtbot, api.submit({**body, "execution_mode": "sync"}))
    assert isinstance(result, SyncOutputs)
    assert result.run_id is not None
    return RunState(result.run_id, status="success", progress=1.0, outputs=tuple(result.outputs))
