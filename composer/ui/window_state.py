"""Window state across sessions (geometry, splitter sizes, target, last preset), kept in
composer's own settings file (``composer.core.settings``), not in QSettings."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

if TYPE_CHECKING:
    from composer.ui.main_window import MainWindow


def restore_window_state(window: MainWindow) -> None:
    """Geometry, toolbar/dock state, splitter sizes and target from the settings file."""
    settings = window.settings
    geometry = settings.get_bytes("window.geometry")
    if geometry:
        window.restoreGeometry(QByteArray(geometry))
    state = settings.get_bytes("window.state")
    if state:
        window.restoreState(QByteArray(state))
    sizes = settings.get_int_list("window.splitter")
    if sizes and len(sizes) == 3 and all(size >= 0 for size in sizes):
        # Applied once the window has its real size (see showEvent): before that the
        # splitter would squeeze them into its initial, minimal width.
        window.pending_sizes = sizes
        window.splitter.setSizes(sizes)
    target = settings.get_str("target")
    if target and not window.document.target:
        window.targets.select(target)


def save_window_state(window: MainWindow) -> None:
    """Write window state to the settings file (a failure is only reported)."""
    settings = window.settings
    settings.set_bytes("window.geometry", bytes(window.saveGeometry().data()))
    settings.set_bytes("window.state", bytes(window.saveState().data()))
    settings.set("window.splitter", window.splitter.sizes())
    settings.set("target", window.targets.key)
    path = window.document.path
    settings.set("last_preset", str(path) if path else None)
    with contextlib.suppress(OSError):
        settings.save()
