"""The GUI entry point: a QApplication driven by a qasync loop (asyncio inside Qt's loop).

Start-up is kept lean: Qt and the window's modules are imported only here, and the catalogue
loads in the background after the window is on screen.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from composer import __version__
from composer.core.presets import Preset, PresetError, load_preset

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from composer.ui.catalogue import CatalogueSource
    from composer.ui.main_window import MainWindow


def _application() -> QApplication:
    from PySide6.QtWidgets import QApplication

    from composer.ui.theme import install_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("composer")
    app.setApplicationDisplayName("composer")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("composer")
    install_theme(app)
    return app


def build_window(preset: Preset | None = None, preset_path: Path | None = None) -> MainWindow:
    """The main window, with ``preset`` loaded (else the last preset, else a new request)."""
    from composer.ui.main_window import MainWindow

    return MainWindow(preset=preset, preset_path=preset_path)


def _read_preset(path: Path | None) -> tuple[Preset | None, Path | None] | None:
    """The preset to open and its library file (None when it lives elsewhere); None on error."""
    if path is None:
        return None, None
    try:
        preset = load_preset(path, allow_bare=True)
    except PresetError as exc:
        print(f"composer: {exc}", file=sys.stderr)
        return None
    from composer.core.library import PresetLibrary

    in_library = path.resolve().parent == PresetLibrary().folder.resolve()
    return preset, path if in_library else None


def run_gui(
    preset: Path | None = None,
    screenshot: Path | None = None,
    catalogue: CatalogueSource | None = None,
) -> int:
    """Open the composer window; with ``screenshot``, render it to a PNG and exit."""
    loaded = _read_preset(preset)
    if loaded is None:
        return 2
    app = _application()
    if screenshot is not None:
        return _screenshot(app, loaded[0], loaded[1], screenshot)
    import qasync

    from composer.ui.catalogue import StaticCatalogue

    source = catalogue or StaticCatalogue.known_models()
    asyncio.run(main(app, *loaded, source), loop_factory=qasync.QEventLoop)
    return 0


async def main(
    app: QApplication, preset: Preset | None, preset_path: Path | None, source: CatalogueSource
) -> None:
    """Show the window, load the catalogue, and wait until the last window closes."""
    window = build_window(preset, preset_path)
    closed = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(closed.set)
    window.show()
    catalogue = asyncio.ensure_future(window.load_catalogue(source))
    await closed.wait()
    if not catalogue.done():
        catalogue.cancel()


def _screenshot(
    app: QApplication, preset: Preset | None, preset_path: Path | None, path: Path
) -> int:
    """Render the window with ``preset`` to a PNG (no event loop, no catalogue fetch)."""
    from composer.core.autosave import DraftStore
    from composer.core.library import PresetLibrary
    from composer.core.settings import Settings
    from composer.ui.main_window import MainWindow

    # A screenshot must not read or change the user's session: fresh settings, no restore offer.
    window = MainWindow(
        library=PresetLibrary(),
        store=DraftStore(pid=-1),
        settings=Settings(Path(os.devnull)),
        preset=preset,
        preset_path=preset_path,
        offer_restore=False,
    )
    window.show()
    for _ in range(3):
        app.processEvents()
    saved = window.grab().save(str(path))
    window.document.close_clean()
    window.deleteLater()
    app.processEvents()
    if not saved:
        print(f"composer: cannot write the screenshot to {path}", file=sys.stderr)
        return 1
    return 0
