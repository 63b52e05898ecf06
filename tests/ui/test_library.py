"""Presets through the window: save, open, rename, duplicate, delete with undo, unsaved edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from composer.core.presets import load_preset
from composer.resources import sample_preset_names
from composer.ui.main_window import MainWindow
from composer.ui.theme import DARK
from tests.ui.conftest import WindowFactory


def answer_name(window: MainWindow, name: str) -> None:
    dialog = window.prompt
    assert isinstance(dialog, QInputDialog)
    dialog.setTextValue(name)
    dialog.accept()


def answer_unsaved(window: MainWindow, choice: str) -> None:
    box = window.prompt
    assert isinstance(box, QMessageBox)
    button = box.findChild(QPushButton, f"unsaved_prompt__{choice}")
    assert button is not None
    button.click()


def test_first_start_installs_the_samples(window: MainWindow) -> None:
    assert len(window.library_panel.names()) == len(sample_preset_names())
    window.library_panel.search.setText("seed ex")
    assert window.library_panel.names() == ["Seed example (TypeScript SDK ModelRunRequest)"]


def test_save_with_ctrl_s_asks_a_name_then_saves_in_place(
    window: MainWindow, qtbot: QtBot, composer_home: Path
) -> None:
    qtbot.keyClicks(window.findChild(QLineEdit, "model_id"), "flux-dev")
    window.actions_by_name["save"].trigger()
    assert window.prompt is not None and window.prompt.objectName() == "name_prompt"
    answer_name(window, "My fox")
    path = composer_home / "presets" / "my-fox.json"
    assert window.document.path == path and load_preset(path).request == {"model_id": "flux-dev"}
    assert window.windowTitle() == "My fox[*] — composer" and not window.isWindowModified()
    assert "My fox" in window.library_panel.names()
    qtbot.keyClicks(window.findChild(QLineEdit, "webhook"), "https://x.org")
    assert window.isWindowModified()
    assert window.library_panel.model.findItems("My fox  •")  # the unsaved mark
    window.actions_by_name["save"].trigger()  # has a file now: no question
    assert window.prompt is None
    assert load_preset(path).request["webhook"] == "https://x.org"


def test_an_invalid_request_is_not_saved_and_says_why(window: MainWindow) -> None:
    window.actions_by_name["save"].trigger()
    assert window.prompt is None
    assert "Not saved: model_id: Field required" in window.statusBar().currentMessage()


def test_opening_another_preset_asks_about_unsaved_edits(window: MainWindow, qtbot: QtBot) -> None:
    panel = window.library_panel
    first, second = panel.paths()[:2]
    window.open_preset(first)
    assert window.document.path == first and window.prompt is None
    window.binding.draft.set(("webhook",), "https://x.org")
    window.open_preset(second)
    answer_unsaved(window, "cancel")
    assert window.document.path == first and window.binding.draft.body["webhook"] == "https://x.org"
    window.open_preset(second)
    answer_unsaved(window, "discard")
    assert window.document.path == second and not window.document.dirty
    assert "webhook" not in json.loads(first.read_text())["request"]
    window.binding.draft.set(("webhook",), "https://y.org")
    window.open_preset(first)
    answer_unsaved(window, "save")
    assert window.document.path == first
    assert json.loads(second.read_text())["request"]["webhook"] == "https://y.org"


def test_rename_duplicate_delete_and_undo(window: MainWindow) -> None:
    panel = window.library_panel
    path = panel.paths()[0]
    window.open_preset(path)
    renamed = panel.rename(path, "Renamed grid")
    assert renamed is not None and renamed.name == "renamed-grid.json" and not path.exists()
    assert window.document.path == renamed and window.document.name == "Renamed grid"
    assert window.windowTitle().startswith("Renamed grid")
    panel.select(renamed)
    copy = panel.duplicate_selected()
    assert copy is not None and load_preset(copy).name == "Renamed grid copy"
    panel.select(renamed)
    panel.delete_selected()
    assert not renamed.exists() and "Renamed grid" not in panel.names()
    assert panel.undo_banner.isVisibleTo(window)
    assert window.document.path is None and window.document.dirty  # the work is kept
    panel.undo_banner.button("Undo").click()
    assert renamed.exists() and "Renamed grid" in panel.names()
    assert window.document.path == renamed


def test_rename_in_place_through_the_list(window: MainWindow, qtbot: QtBot) -> None:
    panel = window.library_panel
    index = panel.view.model().index(0, 0)
    old = panel.paths()[0]
    panel.view.model().setData(index, "Zebra")
    qtbot.waitUntil(lambda: "Zebra" in panel.names(), timeout=1000)
    assert not old.exists()


def test_broken_and_too_new_files_are_listed_with_their_reason(
    make_window: WindowFactory, composer_home: Path
) -> None:
    folder = composer_home / "presets"
    folder.mkdir(parents=True)
    (folder / "future.json").write_text(
        json.dumps({"format": "composer.preset", "version": 9, "name": "F", "request": {}}),
        encoding="utf-8",
    )
    (folder / "garbage.json").write_text("{oops", encoding="utf-8")
    window = make_window()
    panel = window.library_panel
    assert panel.names() == ["future", "garbage"]  # no samples: the folder existed
    messages: list[str] = []
    panel.message.connect(messages.append)
    panel.view.clicked.emit(panel.view.model().index(0, 0))
    assert "written by a newer composer" in messages[-1]
    assert window.document.path is None  # nothing was opened


def test_import_and_export(window: MainWindow, tmp_path: Path) -> None:
    body = tmp_path / "bare.json"
    body.write_text('{"modelId": "flux-dev"}', encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    imported = window.library_panel.import_files([body, bad])
    assert len(imported) == 1 and load_preset(imported[0]).request == {"model_id": "flux-dev"}
    assert "bare" in window.library_panel.names()
    assert "not a composer preset" in window.statusBar().currentMessage()
    target = tmp_path / "out.json"
    assert window.library_panel.export(imported[0], target)
    assert load_preset(target).name == "bare"


def test_close_with_unsaved_edits_asks_first(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    window.binding.draft.set(("model_id",), "flux-dev")
    window.close()
    assert window.isVisible() and isinstance(window.prompt, QMessageBox)
    answer_unsaved(window, "discard")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=1000)
    assert not window.document.store.own_path.exists()
    QApplication.processEvents()


def test_a_theme_switch_recolours_the_list_without_reading_the_folder(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = window.library_panel
    names = panel.names()
    assert names and panel.library is not None

    def no_reading() -> object:
        raise AssertionError("the folder is read again")

    monkeypatch.setattr(panel.library, "entries", no_reading)
    window._on_theme_changed(DARK)
    assert panel.names() == names
    assert not panel.model.item(0).icon().isNull()
