"""Fixtures for the History view: a real history database filled through HistoryStore."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from composer.core.history import HistoryStore
from composer.core.library import PresetLibrary
from composer.servers.sandbox.catalogue import SDXL_DEPLOYMENT_ID
from composer.ui.history.view import HistoryView
from composer.ui.theme import install_theme

NOW = datetime.now(UTC)
LIGHTHOUSE: dict[str, Any] = {
    "inputs": {"prompt": "A lighthouse at dusk", "seed": 42},
    "model_id": "flux-dev",
}
BATCH: dict[str, Any] = {
    "inputs": {"positive_prompt": "A bakery"},
    "batch_input_params": {"seed": [1, 2, 3], "steps": [10, 20, 30]},
    "deployment_id": SDXL_DEPLOYMENT_ID,
}


def fill(path: Path) -> dict[str, int]:
    """Three entries: an old failed castle, a batch from yesterday, a lighthouse from now."""
    ids: dict[str, int] = {}
    with HistoryStore(path) as store:
        ids["castle"] = store.record_submission(
            {"inputs": {"prompt": "A castle", "seed": 1}, "model_id": "sd-v35-large"},
            target_name="Sandbox (built-in)", base_url="http://127.0.0.1:3011/api", path="/run",
            run_ids=["run-castle-0001"], submitted_at=NOW - timedelta(days=40),
        )  # fmt: skip
        store.record_update("run-castle-0001", source="poll", status="failed")
        ids["batch"] = store.record_submission(
            BATCH, target_name="Sandbox (built-in)", base_url="http://127.0.0.1:3011/api",
            path="/run", batch_id="batch-0001", submitted_at=NOW - timedelta(days=1),
        )  # fmt: skip
        for n, (seed, steps) in enumerate((s, t) for s in (1, 2, 3) for t in (10, 20, 30)):
            run_id = f"run-batch-{n:04d}"
            store.record_run(ids["batch"], run_id, batch_index=n)
            store.record_update(run_id, source="poll", status="running", progress=0.5)
            store.record_update(run_id, source="poll", status="success", progress=1.0)
            store.record_outputs(run_id, [{"kind": "images", "url": f"http://127.0.0.1:1/files/{run_id}/o.png",
                                            "filename": f"out_{seed}_{steps}.png"}])  # fmt: skip
        ids["lighthouse"] = store.record_submission(
            LIGHTHOUSE, target_name="Sandbox (built-in)", base_url="http://127.0.0.1:3011/api",
            path="/run", run_ids=["run-light-0001"], submitted_at=NOW,
        )  # fmt: skip
        store.record_update("run-light-0001", source="poll", status="success", progress=1.0)
        picture = {"url": "http://127.0.0.1:1/f/l.png", "filename": "l.png"}
        output = {"node_id": "9", "data": {"images": [picture], "text": ["a caption"]}}
        store.record_outputs("run-light-0001", [output])
    return ids


@pytest.fixture
def history_path(composer_home: Path) -> Path:
    return composer_home / "history.sqlite3"


@pytest.fixture
def entries(history_path: Path) -> dict[str, int]:
    return fill(history_path)


@pytest.fixture
def make_view(
    qapp: QApplication, qtbot: QtBot, history_path: Path, composer_home: Path
) -> Iterator[Any]:
    install_theme(qapp, dark=False)
    views: list[HistoryView] = []

    def make(**options: Any) -> HistoryView:
        options.setdefault("path", history_path)
        options.setdefault("library", PresetLibrary(composer_home / "presets"))
        view = HistoryView(**options)
        qtbot.addWidget(view)
        view.resize(1200, 720)
        view.show()
        views.append(view)
        return view

    yield make
    for view in views:
        view.close_store()
