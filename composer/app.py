"""The GUI entry point: a QApplication driven by a qasync loop (asyncio inside Qt's loop).

Start-up is kept lean: nothing here imports Qt, pydantic or asyncio at module level; the window
shows first (with a quick, unvalidated read of the preset) and loads the rest right after.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from composer import __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from composer.core.presets import Preset
    from composer.ui.catalogue import CatalogueSource
    from composer.ui.history.window_hook import HistoryHook
    from composer.ui.main_window import MainWindow
    from composer.ui.runs.controller import RunsController


# The first frame's modules that do not use Qt: imported before PySide6 (see _application).
QT_FREE_MODULES: Final = (
    "composer.core.autosave",
    "composer.core.batch",
    "composer.core.bodytext",
    "composer.core.draft",
    "composer.core.endpoints",
    "composer.core.media",
    "composer.core.paths",
    "composer.core.settings",
    "composer.core.snippets",
    "composer.core.targets",
    "composer.core.webhook_urls",
    "composer.core.wire",
    "composer.ui.startup",
    "composer.ui.webhooks",  # the package (its modules use Qt)
)


def _application() -> QApplication:
    import gc
    import importlib

    # Start-up makes many objects that live as long as the app; collecting garbage among them
    # only costs time (about 12 ms here). Collection resumes once the window is on screen.
    gc.disable()
    # Once imported, PySide6 hooks every later import and reads the new module's source (to see
    # whether it uses PySide's __feature__ switches); modules imported before it are not read.
    for name in QT_FREE_MODULES:
        importlib.import_module(name)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from composer.ui.icons import app_icon
    from composer.ui.theme import install_theme

    existing = QApplication.instance()
    # The Fusion style named among the arguments, not set with app.setStyle() (see ThemeManager).
    app = existing or QApplication([*sys.argv[:1], "-style", "Fusion"])
    # Resumed when the event loop comes round the second time, not the first: a collection
    # then would traverse every object made so far, inside the first frame (about 3 ms).
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, gc.enable))
    assert isinstance(app, QApplication)
    app.setApplicationName("composer")
    app.setApplicationDisplayName("composer")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("composer")  # matches packaging/composer.desktop for the taskbar
    app.setWindowIcon(app_icon())
    install_theme(app, set_style=existing is not None)
    return app


def build_window(open_path: Path | None = None, *, deferred: bool = True) -> MainWindow:
    """The main window showing ``open_path`` (else the last preset, else a new request)."""
    from composer.ui.main_window import MainWindow

    return MainWindow(open_path=open_path, deferred=deferred)


def run_gui(
    preset: Path | None = None,
    screenshot: Path | None = None,
    catalogue: CatalogueSource | None = None,
) -> int:
    """Open the composer window; with ``screenshot``, render it to a PNG and exit."""
    if screenshot is not None:
        return _screenshot(preset, screenshot)
    import gc

    if preset is not None:
        from composer.ui.startup import QuickLookError, quick_look

        try:  # what can be seen without the request models: reported before any window
            quick_look(preset)
        except QuickLookError as exc:
            print(f"composer: {exc}", file=sys.stderr)
            return 2
    app = _application()
    window = build_window(preset)
    window.show()
    app.processEvents()  # on screen now; the request models, asyncio and qasync load after this
    window.complete_startup()
    gc.freeze()  # what start-up made lives as long as the app: out of the collector's way

    import asyncio

    import qasync

    asyncio.run(main(app, window, catalogue), loop_factory=qasync.QEventLoop)
    return 0


async def main(app: QApplication, window: MainWindow, source: CatalogueSource | None) -> None:
    """Connect the runs (targets, submit, the runs panel) and wait until the last window closes.

    ``source`` replaces every target's catalogue (tests); by default each target's client
    serves its own (``GET /models``, ``GET /deployments``)."""
    import asyncio
    import gc

    closed = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(closed.set)
    if not window.isVisible():
        closed.set()
    controller = start_runs(window)
    history_dock = start_outputs_and_history(window)
    if source is not None:
        window.set_catalogue_provider(lambda _target: source)
    else:
        window.set_catalogue_provider(controller.catalogue_source)
    # Everything made so far lives as long as the app: keep it out of the collector's full
    # passes, which otherwise stall the loop for tens of milliseconds now and then.
    gc.freeze()
    try:
        await closed.wait()
    finally:
        await history_dock.aclose()
        await controller.aclose()
        if controller.history is not None:
            controller.history.close()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.cancel()


def start_runs(window: MainWindow) -> RunsController:
    """The runs controller of the window, with the history (or a banner saying why not)."""
    from composer.core.history import HistoryError, HistoryStore, move_aside_history
    from composer.core.paths import history_db_path
    from composer.ui.runs.controller import RunsController

    history: HistoryStore | None
    try:
        history = HistoryStore()
    except HistoryError as exc:
        history = None
        problem = exc
    controller = RunsController(window, history=history)
    if history is None:

        def start_anew() -> None:
            try:
                moved = move_aside_history(history_db_path())
                controller.history = HistoryStore()
            except (HistoryError, OSError) as again:
                window.show_message(f"A new history could not be started: {again}")
                return
            window.show_message(f"The old history was moved to {moved}; a new one is recorded")

        window.submit_banner.show_message(
            f"Runs are not recorded in the history: {problem}",
            [("Move it aside and start a new one", start_anew)],
            level="warning",
        )
    return controller


def start_outputs_and_history(window: MainWindow) -> HistoryHook:
    """The Outputs page of the runs panel (gallery, batch grid) and the History dock."""
    from composer.client.api import ApiClient
    from composer.ui.history.window_hook import install_history
    from composer.ui.outputs.page import install_outputs_page

    install_outputs_page(window)

    def keyless_client(base_url: str, target: str) -> ApiClient:
        # For pictures of history entries whose target has no session in this window.
        return ApiClient(base_url, None, target=target)

    return install_history(window, make_client=keyless_client)


def _load(path: Path | None) -> tuple[Preset | None, Path | None] | None:
    """The preset to show and its library file (None when it lives elsewhere); None on error."""
    if path is None:
        return None, None
    from composer.core.library import PresetLibrary
    from composer.core.presets import PresetError, load_preset

    try:
        preset = load_preset(path, allow_bare=True)
    except PresetError as exc:
        print(f"composer: {exc}", file=sys.stderr)
        return None
    in_library = PresetLibrary().holds(path)
    return preset, path if in_library else None


def _screenshot(preset_file: Path | None, path: Path) -> int:
    """Render the window with a preset to a PNG (no event loop, no catalogue fetch)."""
    loaded = _load(preset_file)
    if loaded is None:
        return 2
    app = _application()
    from composer.core.autosave import DraftStore
    from composer.core.settings import Settings
    from composer.ui.main_window import MainWindow

    # A screenshot must not read or change the user's session: fresh settings, no restore offer.
    window = MainWindow(
        store=DraftStore(pid=-1),
        settings=Settings.ephemeral(),
        preset=loaded[0],
        preset_path=loaded[1],
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
