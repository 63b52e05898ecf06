"""Sessions: autosave and crash restore, window state across restarts, undo across the form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from composer.core.autosave import DraftStore
from composer.core.presets import parse_preset
from composer.core.settings import Settings
from composer.core.wire import RequestKind
from composer.resources import sample_preset_text
from composer.ui.main_window import MainWindow
from tests.ui.conftest import WindowFactory


def dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(child.stdout)


def test_edits_are_autosaved_and_a_clean_exit_removes_them(
    window: MainWindow, qtbot: QtBot
) -> None:
    own = window.document.store.own_path
    qtbot.keyClicks(window.findChild(QLineEdit, "model_id"), "flux-dev")
    qtbot.waitUntil(own.exists, timeout=3000)
    saved = json.loads(own.read_text(encoding="utf-8"))
    assert saved["request"] == {"model_id": "flux-dev"} and saved["kind"] == "model"
    window._closing = True
    window.close()
    assert not own.exists()


def test_a_crashed_sessions_draft_is_offered_and_restored(
    make_window: WindowFactory, composer_home: Path
) -> None:
    crashed = DraftStore(composer_home / "drafts", pid=dead_pid())
    crashed.save(RequestKind.DEPLOYMENT, {"deployment_id": "x", "inputs": {"seed": 3}},
                 preset_name="Lost work")  # fmt: skip
    window = make_window()
    banner = window.restore_banner
    assert banner.isVisibleTo(window) and "“Lost work”" in banner.text.text()
    banner.button("Restore").click()
    assert window.binding.draft.kind is RequestKind.DEPLOYMENT
    assert window.binding.draft.body == {"deployment_id": "x", "inputs": {"seed": 3}}
    assert window.findChild(QLineEdit, "deployment_id").text() == "x"
    assert window.document.dirty and window.document.name == "Lost work"
    assert not crashed.own_path.exists()
    assert window.document.store.own_path.exists()  # the restored work is autosaved again
    window._closing = True


def test_a_crashed_draft_can_be_discarded(make_window: WindowFactory, composer_home: Path) -> None:
    crashed = DraftStore(composer_home / "drafts", pid=dead_pid())
    crashed.save(RequestKind.MODEL, {"model_id": "x"})
    window = make_window()
    window.restore_banner.button("Discard").click()
    assert not crashed.own_path.exists() and window.binding.draft.body == {}
    assert make_window().restore_banner.isHidden()


def test_window_state_and_last_preset_come_back(
    make_window: WindowFactory, composer_home: Path, qtbot: QtBot
) -> None:
    first = make_window()
    path = first.library_panel.paths()[1]
    first.open_preset(path)
    first.targets.select("staging")
    first.resize(1100, 700)
    first.splitter.setSizes([200, 500, 400])
    sizes = first.splitter.sizes()
    first.close()
    assert (
        json.loads((composer_home / "settings.json").read_text())["values"]["target"] == "staging"
    )
    second = make_window()
    assert second.document.path == path
    # The restored preset names its own target, and that wins over the one remembered.
    assert second.document.target == "sandbox" and second.targets.key == "sandbox"
    # The offscreen screen is 800x600: Qt fits the restored width to it (then to the window's
    # minimum), so the height and the stored sizes are what can be compared here.
    values = json.loads((composer_home / "settings.json").read_text())["values"]
    assert values["window.splitter"] == sizes
    assert second.size().height() == 700
    assert second.splitter.sizes()[0] < second.splitter.sizes()[1]


def test_the_remembered_target_comes_back_without_a_preset(
    make_window: WindowFactory, composer_home: Path
) -> None:
    settings = Settings(composer_home / "settings.json")
    settings.set("target", "staging")
    settings.save()
    window = make_window()
    assert window.document.path is None and not window.document.target
    assert window.targets.key == "staging"


def test_undo_and_redo_keys_work_from_inside_a_text_field(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=1000)
    model_id = window.findChild(QLineEdit, "model_id")
    model_id.setFocus()
    qtbot.keyClicks(model_id, "flux")
    webhook = window.findChild(QLineEdit, "webhook")
    webhook.setFocus()
    qtbot.keyClicks(webhook, "https://x.org")
    assert window.binding.draft.body == {"model_id": "flux", "webhook": "https://x.org"}
    qtbot.keyClick(webhook, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.binding.draft.body == {"model_id": "flux"}  # the whole typing burst
    assert webhook.text() == ""
    qtbot.keyClick(webhook, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.binding.draft.body == {} and model_id.text() == ""
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(webhook, Qt.Key.Key_Z, redo)
    assert window.binding.draft.body == {"model_id": "flux"} and model_id.text() == "flux"


def test_a_preset_from_the_command_line_is_shown(make_window: WindowFactory) -> None:
    preset = parse_preset(sample_preset_text("deployment-run.json"))
    window = make_window(preset=preset)
    assert window.binding.draft.kind is RequestKind.DEPLOYMENT
    assert window.document.title == "Deployment: SDXL text to image"
    assert window.document.dirty  # not in the library yet: saving adds it


def test_gui_screenshot_command(tmp_path: Path, composer_home: Path) -> None:
    preset = Path(__file__).parents[2] / "composer/resources/presets/seed-example.json"
    png = tmp_path / "window.png"
    result = subprocess.run(
        [sys.executable, "-m", "composer", "gui", str(preset), "--screenshot", str(png)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "composer", "gui", str(bad), "--screenshot", str(png)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "not valid JSON" in result.stderr


def test_switching_to_dark_recolours_the_window(window: MainWindow, qapp: QApplication) -> None:
    from composer.ui.theme import DARK, LIGHT, ThemeManager

    manager = qapp.findChild(ThemeManager)
    assert isinstance(manager, ThemeManager)
    before = window.actions_by_name["save"].icon().pixmap(16, 16).toImage()
    manager._forced = True
    try:
        manager.apply()
        assert qapp.palette().base().color().name() == DARK.base
        after = window.actions_by_name["save"].icon().pixmap(16, 16).toImage()
        assert before != after  # the icon follows the text colour
        assert (
            window.preview.highlighter.formats["key"].foreground().color().name() == DARK.json_key
        )
    finally:
        manager._forced = False
        manager.apply()
    assert qapp.palette().base().color().name() == LIGHT.base
