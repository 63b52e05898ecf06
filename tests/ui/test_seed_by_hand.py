"""The issue's "done when": build the seed example by hand, see the contract's JSON, save it,
reopen the app and find it."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QInputDialog, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from tests.ui.conftest import WindowFactory

# API-CONTRACT section 2: the TypeScript SDK's ModelRunRequest example on the wire.
CONTRACT_SEED = json.loads("""
{"execution_mode": "async", "inputs": {"prompt": "A beautiful landscape", "seed": 42},
 "webhook": "https://example.com/webhook", "webhook_intermediate_status": true, "origin": "manual",
 "batch_number": 5, "batch_input_params": {"input_number": [1, 2, 3],
 "input_text": ["apple", "banana", "cherry"]},
 "is_native_run": true, "gpu_event_id": "123e4567-e89b-12d3-a456-426614174000", "model_id": "<id>"}
""")


def test_build_the_seed_by_hand_save_and_find_it_again(
    make_window: WindowFactory, qtbot: QtBot, composer_home: Path
) -> None:
    window = make_window()
    window.document.new()
    window.form.refresh()
    find = window.findChild

    qtbot.keyClicks(find(QLineEdit, "model_id"), "<id>")
    mode = find(QComboBox, "execution_mode")
    mode.setCurrentIndex(mode.findData("async"))
    inputs = window.form.inputs
    inputs.add_input()
    name = inputs.rows["input_1"].name_widget
    assert isinstance(name, QLineEdit)
    name.setText("prompt")
    name.editingFinished.emit()
    qtbot.keyClicks(find(QPlainTextEdit, "inputs.prompt"), "A beautiful landscape")
    inputs.add_input("seed", "integer")
    qtbot.keyClicks(find(QLineEdit, "inputs.seed"), "42")
    qtbot.keyClicks(find(QLineEdit, "webhook"), "https://example.com/webhook")
    qtbot.mouseClick(find(QCheckBox, "webhook_intermediate_status"), Qt.MouseButton.LeftButton)
    origin = find(QComboBox, "origin").lineEdit()
    assert origin is not None
    qtbot.keyClicks(origin, "manual")
    qtbot.keyClicks(find(QLineEdit, "batch_number"), "5")

    batch = window.form.batch
    batch.add_batch.click()  # starts with the seed column and its value
    assert batch.rename_column(0, "input_number")
    for row, text in enumerate(("1", "2", "3")):
        batch.model.set_cell(row, 0, text)
    batch.add_column("input_text")
    for row, text in enumerate(("apple", "banana", "cherry")):
        batch.model.set_cell(row, 1, text)
    window.form.advanced_toggle.click()
    qtbot.mouseClick(find(QCheckBox, "is_native_run"), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(find(QLineEdit, "gpu_event_id"), "123e4567-e89b-12d3-a456-426614174000")

    window.binding.settle_now()
    shown = json.loads(window.preview.editor.toPlainText())
    assert shown == CONTRACT_SEED
    assert list(shown) == list(CONTRACT_SEED)  # the contract's key order too
    assert window.form.batch.count.text() == "3 x 3 = 9 runs"

    window.actions_by_name["save"].trigger()
    dialog = window.prompt
    assert isinstance(dialog, QInputDialog)
    dialog.setTextValue("Seed by hand")
    dialog.accept()
    saved = composer_home / "presets" / "seed-by-hand.json"
    assert json.loads(saved.read_text(encoding="utf-8"))["request"] == CONTRACT_SEED
    window.close()
    assert not window.isVisible()

    again = make_window()
    assert again.document.path == saved and again.document.name == "Seed by hand"
    assert "Seed by hand" in again.library_panel.names()
    again.binding.settle_now()
    assert json.loads(again.preview.editor.toPlainText()) == CONTRACT_SEED
    assert again.findChild(QLineEdit, "model_id").text() == "<id>"
