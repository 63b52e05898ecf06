"""History in the window: a dock beside the runs panel, *View > History* (Ctrl+H), and reopening
an entry as the window's draft.

::

    hook = install_history(window, make_client=keyless_client)   # in app.main, after the runs
                                         # controller exists (the UI makes no HTTP clients itself)
    hook.show()                          # what Ctrl+H does
    await hook.aclose()                  # on quit: closes the store and the clients it made

An entry reopens as unsaved work (asking first when the open request has unsaved changes), with
the exact body that was sent and its target selected. Pictures of an entry load through the
window's session for that entry's target when there is one (so expired links can be refreshed
with its key), else through a client without a key for that base URL, made by ``make_client``
(public and presigned links need no key).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from composer.core.history import SentRequest, SubmissionSummary
from composer.core.wire import guess_kind
from composer.ui.history.view import HistoryView
from composer.ui.outputs.images import OutputSource

if TYPE_CHECKING:
    from composer.ui.main_window import MainWindow

REFRESH_DELAY_MS: Final = 700  # new entries are written off the loop: refresh a moment later

ClientFactory = Callable[[str, str], OutputSource]  # (base URL, target name) -> a client


class HistoryHook(QObject):
    """The History dock of one window and what it needs (see the module docstring)."""

    def __init__(
        self,
        window: MainWindow,
        path: Path | None = None,
        make_client: ClientFactory | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.make_client = make_client
        self.view = HistoryView(path=path, library=window.library)
        self.view.source_for = self.source_for
        self.dock = QDockWidget("History", window)
        self.dock.setObjectName("history_dock")
        self.dock.setWidget(self.view)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.runs_dock, self.dock)
        self.dock.hide()  # until asked for: it comes back as a tab beside the runs panel
        self.dock.visibilityChanged.connect(self._on_visible)
        self.action = QAction("History", window)
        self.action.setObjectName("history")
        self.action.setShortcut(QKeySequence("Ctrl+H"))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.setToolTip("Every request sent, its runs and outputs (Ctrl+H)")
        self.action.triggered.connect(lambda _checked=False: self.show())
        window.addAction(self.action)
        window.actions_by_name["history"] = self.action
        self.window.menus["&View"].addAction(self.action)
        self._fallbacks: dict[str, OutputSource] = {}
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_DELAY_MS)
        self._refresh.timeout.connect(self._refresh_if_shown)
        self.view.reopen_requested.connect(self.reopen)
        self.view.preset_saved.connect(lambda path: window.library_panel.refresh(select=path))
        self.view.message.connect(window.show_message)
        controller = window.runs_controller
        if controller is not None:
            # At most one refresh per interval while runs go on (a restarted timer would never
            # fire during a busy batch).
            controller.on_submission(lambda _submission: self._refresh_soon())
            controller.on_run(lambda _submission, _state: self._refresh_soon())

    # --- showing ---

    def show(self) -> None:
        """Bring the History dock to the front, up to date, with the cursor in its search."""
        self.dock.show()
        self.dock.raise_()
        if self.view.store is None:
            self.view.open_store()
        else:
            self.view.refresh()
        self.view.filters.text.setFocus()

    def _on_visible(self, visible: bool) -> None:
        if visible and self.view.store is None:
            self.view.open_store()

    def _refresh_soon(self) -> None:
        if not self._refresh.isActive() and self.dock.isVisible():
            self._refresh.start()

    def _refresh_if_shown(self) -> None:
        if self.dock.isVisible() and self.view.store is not None:
            self.view.refresh()

    # --- reopening ---

    def reopen(self, sent: SentRequest) -> None:
        """Load an entry's body into the window as unsaved work (asks about unsaved edits)."""
        self.window.confirm_discard("opening a request from the history", lambda: self._open(sent))

    def _open(self, sent: SentRequest) -> None:
        from composer.core.presets import Preset

        window = self.window
        kind = guess_kind(sent.kind, sent.body)
        subject = sent.body.get(kind.key)
        name = f"From history: {subject}" if subject else "From history"
        preset = Preset(name, kind, dict(sent.body), target=sent.target_name)
        window.document.open_preset(preset, None)
        window.targets.select(sent.target_name)
        window.marker.clear_server_errors()
        window.binding.settle_now()
        note = (
            " A secret in it was replaced by [redacted]: fill it in before sending."
            if sent.redacted
            else ""
        )
        window.show_message(
            f"Reopened the request sent to {sent.target_name}: edit it and submit, or save it "
            f"as a preset.{note}"
        )

    # --- pictures ---

    def source_for(self, summary: SubmissionSummary) -> OutputSource | None:
        """The client to show an entry's pictures through (see the module docstring)."""
        base_url = summary.base_url.rstrip("/")
        controller = self.window.runs_controller
        if controller is not None:
            for session in controller.sessions.values():
                if session.api.base_url == base_url:
                    return session.api
        client = self._fallbacks.get(base_url)
        if client is None and self.make_client is not None:
            client = self.make_client(base_url, summary.target_name)
            self._fallbacks[base_url] = client
        return client

    async def aclose(self) -> None:
        """Close the store and the keyless clients made for pictures (on the loop that used
        them)."""
        self.view.close_store()
        clients, self._fallbacks = list(self._fallbacks.values()), {}
        for client in clients:
            close: Any = getattr(client, "aclose", None)
            if close is not None:
                await close()


def install_history(
    window: MainWindow, path: Path | None = None, make_client: ClientFactory | None = None
) -> HistoryHook:
    """Give the window its History dock, menu entry and shortcut (once)."""
    existing = window.findChild(HistoryHook)
    if isinstance(existing, HistoryHook):
        return existing
    return HistoryHook(window, path, make_client)
