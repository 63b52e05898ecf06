"""The finish notice: a system tray message when a long run ends while the window is elsewhere.

A run (or a whole batch) that took longer than :data:`MIN_SECONDS` and ends while the composer
window is not the active window gets one message named after its preset (or model) and its
outcome. Where the desktop has no system tray (or it cannot show messages), nothing is shown:
the runs panel has the same news.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from composer.core.runs import RunState
from composer.ui.icons import app_icon
from composer.ui.runs import texts

if TYPE_CHECKING:
    from composer.client.session import Submission

MIN_SECONDS: Final = 5.0
Show = Callable[[str, str], None]


class FinishNotifier:
    """Decides when a finish deserves a notice and shows it (``show(title, text)``)."""

    def __init__(
        self, window: QWidget, show: Show | None = None, *, min_seconds: float = MIN_SECONDS
    ) -> None:
        self.window = window
        self.min_seconds = min_seconds
        self._show = show
        self._tray: QSystemTrayIcon | None = None
        self._told: set[int] = set()  # submission numbers already announced

    def note(self, submission: Submission, state: RunState) -> None:
        """A run changed; announce its submission's end when that deserves it."""
        if not (state.is_terminal or state.lost) or submission.number in self._told:
            return
        states = submission.states()
        if any(s is None or not (s.is_terminal or s.lost) for s in states):
            return  # a batch with runs still going (or not yet found)
        self._told.add(submission.number)
        if time.time() - submission.submitted_at < self.min_seconds:
            return
        if self.window.isActiveWindow():
            return
        self.notify(*self.message(submission, [s for s in states if s is not None]))

    @staticmethod
    def message(submission: Submission, states: list[RunState]) -> tuple[str, str]:
        """The title and text of the notice."""
        if len(states) == 1:
            state = states[0]
            label = texts.status_label(texts.row_status(state))
            return f"{submission.label}: {label}", texts.run_detail(state)
        succeeded = sum(1 for state in states if state.succeeded)
        outcome = (
            "success" if succeeded == len(states) else f"{succeeded} of {len(states)} succeeded"
        )
        return (
            f"{submission.label}: {outcome}",
            f"All {len(states)} runs of the batch ended on {submission.target}",
        )

    def notify(self, title: str, text: str) -> None:
        """Show the notice (or do nothing where there is no tray)."""
        if self._show is not None:
            self._show(title, text)
            return
        tray = self._tray_icon()
        if tray is not None:
            tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _tray_icon(self) -> QSystemTrayIcon | None:
        if self._tray is None:
            if (
                not QSystemTrayIcon.isSystemTrayAvailable()
                or not QSystemTrayIcon.supportsMessages()
            ):
                return None
            self._tray = QSystemTrayIcon(app_icon())
            self._tray.setToolTip("composer")
            self._tray.messageClicked.connect(self._raise_window)
            self._tray.show()
        return self._tray

    def _raise_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def close(self) -> None:
        """Remove the tray icon (on quit)."""
        if self._tray is not None:
            self._tray.hide()
            self._tray.deleteLater()
            self._tray = None
