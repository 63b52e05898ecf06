"""The History view on a real history database: list, search, details, reopen, preset, delete,
size bound, and unusable files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from composer.core.history import SCHEMA_VERSION, HistoryStore, SentRequest
from composer.core.presets import load_preset
from composer.ui.history.model import HistoryListModel
from composer.ui.history.view import HistoryView
from tests.ui.history.conftest import BATCH, LIGHTHOUSE


def _texts(view: HistoryView, column: int) -> list[str]:
    model = view.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_lists_newest_first_with_status_runs_and_inputs(
    make_view: Any, entries: dict[str, int]
) -> None:
    view: HistoryView = make_view()
    assert view.open_store()
    assert [row.id for row in view.model.rows] == [
        entries["lighthouse"],
        entries["batch"],
        entries["castle"],
    ]
    assert _texts(view, 1) == ["success", "success", "failed"]
    assert _texts(view, 2) == ["flux-dev", BATCH["deployment_id"], "sd-v35-large"]
    assert _texts(view, 4) == ["1", "9", "1"]
    assert "A lighthouse at dusk" in _texts(view, 3)[0]
    assert view.count.text() == "3 entries"
    assert view.max_entries.value() == 10_000


def test_model_is_lazy_and_passes_the_model_tester(
    qtmodeltester: ModelTester, history_path: Path
) -> None:
    with HistoryStore(history_path) as store:
        for n in range(25):
            body = {"model_id": "flux-dev", "inputs": {"seed": n}}
            store.record_submission(
                body, target_name="t", base_url="http://h/api", path="/run", submitted_at=float(n)
            )
        model = HistoryListModel(store, page_size=10)
        model.set_query(model.query)
        assert model.rowCount() == 10 and model.canFetchMore()
        model.fetchMore()
        assert model.rowCount() == 20
        qtmodeltester.check(model)
        model.fetchMore()
        assert model.rowCount() == 25 and not model.canFetchMore()
        assert [row.submitted_at.timestamp() for row in model.rows][:3] == [24.0, 23.0, 22.0]


def test_search_by_text_status_subject_and_date(
    make_view: Any, entries: dict[str, int], qtbot: QtBot
) -> None:
    view: HistoryView = make_view()
    view.open_store()
    filters = view.filters
    filters.text.setText("lighthouse")
    qtbot.waitUntil(
        lambda: [r.id for r in view.model.rows] == [entries["lighthouse"]], timeout=2000
    )
    assert view.count.text() == "1 match"
    filters.text.clear()
    filters.apply()
    filters.status.setCurrentIndex(filters.status.findData("failed"))
    assert [r.id for r in view.model.rows] == [entries["castle"]]
    filters.status.setCurrentIndex(0)
    filters.subject.setCurrentIndex(filters.subject.findData(BATCH["deployment_id"]))
    assert [r.id for r in view.model.rows] == [entries["batch"]]
    filters.subject.setCurrentIndex(0)
    filters.dates.setCurrentText("Last 7 days")
    assert [r.id for r in view.model.rows] == [entries["lighthouse"], entries["batch"]]
    filters.dates.setCurrentText("Today")
    assert [r.id for r in view.model.rows] == [entries["lighthouse"]]
    filters.dates.setCurrentText("Any time")
    filters.text.setText("run-batch-0004")  # a run id finds its submission
    filters.apply()
    assert [r.id for r in view.model.rows] == [entries["batch"]]
    filters.text.setText("zebra")
    filters.apply()
    assert view.model.rowCount() == 0 and view.count.text() == "0 matches"


def test_details_show_runs_statuses_and_outputs(make_view: Any, entries: dict[str, int]) -> None:
    view: HistoryView = make_view()
    view.open_store()
    assert view.select(entries["batch"])
    details = view.details
    assert details.detail is not None and details.detail.summary.id == entries["batch"]
    assert details.outputs.currentWidget() is details.grid
    assert len(details.grid.cells) == 9
    assert details.runs.rowCount() == 9
    assert details.runs.item(4, 1).text() == "seed = 2 · steps = 20"
    assert details.runs.item(4, 2).text() == "success"
    assert "running 50%" in details.runs.item(4, 2).toolTip()
    assert details.runs.item(4, 6).text() == "1"
    assert '"batch_input_params"' in details.body.toPlainText()
    view.select(entries["lighthouse"])
    assert details.outputs.currentWidget() is details.gallery
    assert len(details.gallery.tiles) == 1
    assert details.gallery.summary.text() == "1 image · 1 text"
    view.select(entries["castle"])
    assert details.title.text() == "sd-v35-large · failed"
    # No sandbox of this session serves these pictures: the view says why they cannot load.
    assert "keeps output files only while it runs" in details.notes.text()


def test_reopen_gives_the_exact_body_that_was_sent(
    make_view: Any, entries: dict[str, int], qtbot: QtBot
) -> None:
    view: HistoryView = make_view()
    view.open_store()
    view.select(entries["lighthouse"])
    with qtbot.waitSignal(view.reopen_requested) as signal:
        view.details.reopen.click()
    sent = signal.args[0]
    assert isinstance(sent, SentRequest)
    assert sent.body == LIGHTHOUSE and list(sent.body) == list(LIGHTHOUSE)
    assert sent.kind == "model" and sent.target_name == "Sandbox (built-in)"


def test_save_as_preset_writes_a_library_file(
    make_view: Any, entries: dict[str, int], composer_home: Path, qtbot: QtBot
) -> None:
    view: HistoryView = make_view()
    view.open_store()
    view.select(entries["batch"])
    view.details.save_preset.click()
    prompt = view.prompt
    assert prompt is not None and prompt.isVisible()
    prompt.setTextValue("Bakery grid")  # type: ignore[attr-defined]
    with qtbot.waitSignal(view.preset_saved) as signal:
        prompt.accept()  # type: ignore[attr-defined]
    path: Path = signal.args[0]
    assert path.parent == composer_home / "presets"
    preset = load_preset(path)
    assert preset.name == "Bakery grid" and preset.request == BATCH
    assert preset.target == "Sandbox (built-in)"


def test_delete_asks_first_and_removes_the_entry(
    make_view: Any, entries: dict[str, int], history_path: Path
) -> None:
    view: HistoryView = make_view()
    view.open_store()
    view.select(entries["castle"])
    view.details.delete.click()
    box = view.prompt
    assert isinstance(box, QMessageBox)
    cancel = next(b for b in box.buttons() if b.text() == "Cancel")
    cancel.click()
    assert view.model.row_of(entries["castle"]) is not None
    view.select(entries["castle"])
    view.details.delete.click()
    box = view.prompt
    assert isinstance(box, QMessageBox)
    box.findChild(QPushButton, "history_delete_prompt__delete").click()
    assert view.model.row_of(entries["castle"]) is None
    assert view.count.text() == "2 entries"
    with HistoryStore(history_path) as store:
        assert store.count() == 2


def test_max_entries_prunes_after_confirmation(make_view: Any, entries: dict[str, int]) -> None:
    view: HistoryView = make_view()
    view.open_store()
    view.ask_max_entries(2)
    box = view.prompt
    assert isinstance(box, QMessageBox)
    assert box.informativeText() == "The 1 oldest entry is deleted now."
    box.findChild(QPushButton, "history_prune_prompt__apply").click()
    assert [r.id for r in view.model.rows] == [entries["lighthouse"], entries["batch"]]
    assert view.store is not None and view.store.settings.max_entries == 2
    view.ask_max_entries(50)  # raising the bound deletes nothing: no question
    assert view.prompt is None and view.store.settings.max_entries == 50


def test_a_corrupt_file_is_reported_and_moved_aside_only_when_asked(
    make_view: Any, history_path: Path
) -> None:
    history_path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is not a database" * 100
    history_path.write_bytes(garbage)
    view: HistoryView = make_view()
    assert not view.open_store()
    assert view.banner.isVisible()
    assert (
        "cannot be used" in view.banner.text.text()
        and "not changed the file" in view.banner.text.text()
    )
    assert history_path.read_bytes() == garbage  # never overwritten
    assert not view.table.isEnabled()
    view.banner.button("Move it aside and start a new history").click()
    moved = [
        p for p in history_path.parent.iterdir() if p.name.startswith("history.sqlite3.unusable-")
    ]
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    assert view.store is not None and view.table.isEnabled()
    assert view.count.text() == "0 entries"


def test_a_too_new_file_is_reported_not_touched(make_view: Any, history_path: Path) -> None:
    HistoryStore(history_path).close()
    with sqlite3.connect(history_path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = history_path.read_bytes()
    view: HistoryView = make_view()
    assert not view.open_store()
    assert "newer composer" in view.banner.text.text()
    assert history_path.read_bytes() == before


def test_keys_reopen_and_delete(make_view: Any, entries: dict[str, int], qtbot: QtBot) -> None:
    view: HistoryView = make_view()
    view.open_store()
    view.select(entries["lighthouse"])
    view.table.setFocus()
    with qtbot.waitSignal(view.reopen_requested, timeout=1000):
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert isinstance(view.prompt, QMessageBox) and view.prompt.isVisible()
