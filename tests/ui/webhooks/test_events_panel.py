"""The events view: live list, filters through its widgets, JSON view, curl, export, clear."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from composer.core.history import HistoryStore
from composer.core.webhook_io import import_jsonl
from composer.ui.webhooks.lab import WebhookLab
from tests.ui.webhooks.conftest import LabFactory, post_all, start, wait_rows
from tests.webhook_factory import RUN_A, RUN_B, payload


def fill(qtbot: QtBot, lab: WebhookLab) -> str:
    url = start(qtbot, lab)
    post_all(url + "hook", [payload("queued", RUN_A), payload("queued", RUN_B),
                            payload("running", RUN_A, progress=0.5),
                            payload("success", RUN_A, event_type="run.output"),
                            payload("success", RUN_A), payload("success", RUN_B)])  # fmt: skip
    wait_rows(qtbot, lab, 6)
    return url


def test_filters_in_the_bar_narrow_the_list(lab: WebhookLab, qtbot: QtBot) -> None:
    fill(qtbot, lab)
    panel = lab.events
    assert panel.count.text() == "6 events"
    qtbot.keyClicks(panel.run_filter, RUN_B[:8])
    assert panel.proxy.rowCount() == 2 and panel.count.text() == "2 of 6 events"
    panel.run_filter.clear()
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("success"))
    assert panel.proxy.rowCount() == 3
    panel.event_filter.setCurrentIndex(panel.event_filter.findData("run.output"))
    assert [r.seq for r in panel.proxy.visible_records()] == [4]
    assert panel.event_filter.itemText(0) == "Event: any"
    panel.event_filter.setCurrentIndex(0)
    panel.status_filter.setCurrentIndex(0)
    assert panel.proxy.rowCount() == 6


def test_the_selected_event_shows_in_full_and_copies_as_curl(lab: WebhookLab, qtbot: QtBot) -> None:
    url = fill(qtbot, lab)
    panel = lab.events
    assert not panel.copy_curl.isEnabled() and not panel.replay.isEnabled()
    panel.select_seq(3)
    text = panel.details.text.toPlainText()
    assert text.startswith("POST /hook\n#3 from 127.0.0.1:")
    assert "Headers (" in text and "content-type: application/json" in text
    assert '"progress": 0.5' in text and f'"run_id": "{RUN_A}"' in text
    panel.copy_curl.click()
    command = QGuiApplication.clipboard().text()
    assert command.startswith(f"curl -sS -X POST {url}hook")
    assert "--data-raw" in command and RUN_A in command
    panel.select_seq(1, 2)
    assert not panel.copy_curl.isEnabled() and panel.replay.isEnabled()
    assert "2 selected" in panel.details.title.text()


def test_export_writes_the_listed_events_as_json_lines(
    lab: WebhookLab, qtbot: QtBot, tmp_path: Path
) -> None:
    fill(qtbot, lab)
    lab.events.run_filter.setText(RUN_B)
    path = tmp_path / "out" / "events.jsonl"
    path.parent.mkdir()
    assert lab.events.export_to(path) == 2
    back = import_jsonl(path)
    assert [(r.seq, r.status, r.run_id) for r in back] == [(2, "queued", RUN_B),
                                                            (6, "success", RUN_B)]  # fmt: skip
    first = json.loads(path.read_text().splitlines()[0])
    assert first["method"] == "POST" and first["path"] == "/hook"


def test_export_to_an_unwritable_place_says_so(
    lab: WebhookLab, qtbot: QtBot, tmp_path: Path
) -> None:
    fill(qtbot, lab)
    (tmp_path / "a-file").write_text("not a folder")
    with qtbot.waitSignal(lab.message) as said:
        assert lab.events.export_to(tmp_path / "a-file" / "x.jsonl") is None
    assert "Could not export" in said.args[0]


def test_events_are_kept_in_the_history_and_come_back(
    make_lab: LabFactory, qtbot: QtBot, composer_home: Path
) -> None:
    first = make_lab()
    fill(qtbot, first)
    assert first.keeper is not None
    qtbot.waitUntil(lambda: first.keeper is not None and first.keeper.kept == 6, timeout=5000)
    with HistoryStore(composer_home / "history.sqlite3") as history:
        assert history.webhooks.count(RUN_A) == 4 and history.webhooks.count(RUN_B) == 2
    first.shutdown()
    second = make_lab()
    records = wait_rows(qtbot, second, 6)
    assert [r.status for r in records][:2] == ["queued", "queued"]
    assert [r.seq for r in second.model.run_records(RUN_B)] == [2, 6]


def test_clear_asks_then_empties_list_and_history(
    lab: WebhookLab, qtbot: QtBot, composer_home: Path
) -> None:
    fill(qtbot, lab)
    qtbot.waitUntil(lambda: lab.keeper is not None and lab.keeper.kept == 6, timeout=5000)
    lab.events.clear.click()
    assert lab.events.banner.isVisible() and "all 6 events" in lab.events.banner.text.text()
    assert lab.model.rowCount() == 6  # nothing yet
    lab.events.banner.button("Clear").click()
    assert lab.model.rowCount() == 0 and lab.events.count.text() == "0 events"
    assert lab.keeper is not None
    lab.keeper.flush()
    with HistoryStore(composer_home / "history.sqlite3") as history:
        assert history.webhooks.count() == 0


def test_new_rows_are_followed_only_at_the_bottom(lab: WebhookLab, qtbot: QtBot) -> None:
    url = start(qtbot, lab)
    post_all(url, [payload("running", RUN_A, progress=i / 100) for i in range(60)])
    wait_rows(qtbot, lab, 60)
    bar = lab.events.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)
    bar.setValue(0)
    post_all(url, [payload("success", RUN_A)])
    wait_rows(qtbot, lab, 61)
    for _ in range(3):  # run the zero-delay timers a wrong scroll-to-bottom would use
        QApplication.processEvents()
    assert bar.value() == 0


def test_export_asks_where_with_a_file_dialog(
    lab: WebhookLab, qtbot: QtBot, tmp_path: Path
) -> None:
    fill(qtbot, lab)
    lab.events.export.click()
    dialog = lab.events.findChild(QFileDialog, "events_export_dialog")
    assert dialog is not None and dialog.isVisible()  # open(), not exec(): no nested loop
    target = tmp_path / "chosen.jsonl"
    with qtbot.waitSignal(lab.message) as said:
        dialog.fileSelected.emit(str(target))  # what choosing a file and pressing Save does
    assert said.args[0] == f"Exported 6 events to {target}"
    assert len(import_jsonl(target)) == 6
    dialog.reject()
