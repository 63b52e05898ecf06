"""Fixtures for window tests: a main window over a private library, drafts folder and settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from composer.core.autosave import DraftStore
from composer.core.library import PresetLibrary
from composer.core.presets import Preset
from composer.core.settings import Settings
from composer.ui.main_window import MainWindow
from composer.ui.theme import install_theme

WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qapp: QApplication, qtbot: QtBot, composer_home: Path) -> Iterator[WindowFactory]:
    """Build main windows over the test's composer home; closes them cleanly afterwards."""
    install_theme(qapp, dark=False)
    windows: list[MainWindow] = []

    def make(
        preset: Preset | None = None, preset_path: Path | None = None, **kw: object
    ) -> MainWindow:
        options: dict[str, object] = {
            "library": PresetLibrary(composer_home / "presets"),
            "store": DraftStore(composer_home / "drafts"),
            "settings": Settings(composer_home / "settings.json"),
            "preset": preset,
            "preset_path": preset_path,
        }
        options.update(kw)
        window = MainWindow(**options)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window._closing = True  # no unsaved-changes prompt at teardown


@pytest.fixture
def window(make_window: WindowFactory) -> MainWindow:
    """A main window with a new, empty model run."""
    win = make_window()
    win.document.new()
    win.form.refresh()
    win.binding.settle_now()
    return win
