"""Keyboard details: tab order that follows the form, and one undo history for the whole form.

Text fields have their own undo (Ctrl+Z inside a line edit), which would undo keystrokes in that
field only and bypass the draft's history. :class:`FormUndoKeys` lets the window's Undo/Redo
actions take those keys in form fields, so Ctrl+Z undoes the last change anywhere in the form
(including kind switches, rows and table edits). The JSON preview keeps its own text undo.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QGridLayout, QLayout, QWidget

_UNDO_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)


class FormUndoKeys(QObject):
    """Event filter: undo/redo keys in the form's fields go to the window's actions.

    It filters only the widget that has focus inside ``root`` (installed as focus moves), not
    the whole application, so other events never pass through Python.
    """

    def __init__(self, root: QWidget, extra_redo: Iterable[str] = ("Ctrl+Shift+Z",)) -> None:
        super().__init__(root)
        self.root = root
        self._extra = [QKeySequence(text) for text in extra_redo]
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus)

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and self.root.isAncestorOf(new):
            new.installEventFilter(self)  # installing twice keeps one filter

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and isinstance(watched, QWidget)
            and self.root.isAncestorOf(watched)
        ):
            pressed = QKeySequence(event.keyCombination())
            if any(event.matches(key) for key in _UNDO_KEYS) or pressed in self._extra:
                event.ignore()  # not the field's: the window's shortcut fires instead
                return True
        return False


def focus_sequence(layout: QLayout | None) -> list[QWidget]:
    """Focusable widgets under ``layout`` in reading order (grid: row by row)."""
    if layout is None:
        return []
    items = []
    if isinstance(layout, QGridLayout):
        cells: list[tuple[int, int, int]] = []
        for index in range(layout.count()):
            position: Any = layout.getItemPosition(index)
            cells.append((int(position[0]), int(position[1]), index))
        order = [index for _row, _column, index in sorted(cells)]
    else:
        order = list(range(layout.count()))
    for index in order:
        item = layout.itemAt(index)
        if item is None:
            continue
        widget = item.widget()
        if widget is not None:
            items.extend(_widget_sequence(widget))
        elif item.layout() is not None:
            items.extend(focus_sequence(item.layout()))
    return items


def _widget_sequence(widget: QWidget) -> list[QWidget]:
    # Hidden widgets stay in the chain (Tab skips them while hidden), so the order is right
    # when they show, and new rows (not shown yet) are placed where they belong.
    inner = widget.layout()
    if inner is not None and inner.count():
        found = focus_sequence(inner)
        if found:
            return found
    if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
        return [widget.focusProxy() or widget]
    return []


def chain_tab_order(widgets: list[QWidget]) -> None:
    """Make Tab visit ``widgets`` in this order."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)
