"""The draft as seen from Qt: change signals, and one coalesced "settled" signal for heavy views.

Widgets edit the draft through :class:`DraftBinding` and refresh themselves from ``changed``
(synchronous, cheap: compare and maybe set a value). The preview, problem marks, run count and
autosave listen to ``settled``, emitted once after a burst of edits, so pasting 100,000 cells or
typing fast re-renders the preview once, not once per cell or key.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from composer.core.draft import Draft, DraftChange, DraftPathError, Loc, path_text
from composer.core.wire import RequestKind

# Heavy views get at most this long to lag behind typing on big bodies; small bodies render on
# the next turn of the event loop.
MAX_SETTLE_DELAY_MS = 80


class DraftBinding(QObject):
    """A Qt face for a :class:`Draft`; the form, tables and preview all share one."""

    changed = Signal(object)  # DraftChange, after every edit
    settled = Signal()  # once after a burst of edits
    problem = Signal(str)  # an edit that could not be applied, as a message for the status bar

    def __init__(self, draft: Draft | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.draft = draft or Draft()
        self.draft.subscribe(self._on_change)
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.timeout.connect(self._settle)
        self._settle_cost_ms = 0.0  # how long the last settle took; big bodies settle later

    # --- editing, with errors turned into messages ---

    def set(self, path: Loc, value: Any, origin: str | None = None) -> bool:
        """Set a value; False (and a ``problem``) when the path cannot hold it."""
        try:
            self.draft.set(path, value, origin=origin)
        except DraftPathError as exc:
            self.problem.emit(f"Cannot change {_path_text(path)}: {exc}")
            return False
        return True

    def unset(self, path: Loc, origin: str | None = None) -> None:
        """Leave a value out of the body."""
        try:
            self.draft.unset(path, origin=origin)
        except DraftPathError as exc:
            self.problem.emit(f"Cannot remove {_path_text(path)}: {exc}")

    def get(self, path: Loc, default: Any = None) -> Any:
        """The value at ``path`` or ``default``."""
        return self.draft.get(path, default)

    def is_set(self, path: Loc) -> bool:
        """True when the path has a value in the body."""
        return self.draft.is_set(path)

    @property
    def kind(self) -> RequestKind:
        """The request kind being composed."""
        return self.draft.kind

    # --- signals ---

    def _on_change(self, change: DraftChange) -> None:
        self.changed.emit(change)
        if not self._settle_timer.isActive():
            delay = (
                0 if self._settle_cost_ms < 8 else min(MAX_SETTLE_DELAY_MS, self._settle_cost_ms)
            )
            self._settle_timer.start(int(delay))

    def settle_now(self) -> None:
        """Emit ``settled`` at once if edits are pending (tests, and before saving or sending)."""
        if self._settle_timer.isActive():
            self._settle_timer.stop()
            self._settle()

    def _settle(self) -> None:
        started = time.perf_counter()
        self.settled.emit()
        self._settle_cost_ms = (time.perf_counter() - started) * 1000


def _path_text(path: Loc) -> str:
    return path_text(path) or "the body"
