"""A tool button that opens a menu below itself when clicked (without Qt's extra arrow)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QToolButton, QWidget


class MenuButton(QToolButton):
    """Click: the menu pops up under the button (non-modal; no nested event loop)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.popup_menu = QMenu(self)
        self.clicked.connect(self.show_menu)

    def show_menu(self) -> None:
        """Open the menu under the button."""
        self.popup_menu.popup(self.mapToGlobal(self.rect().bottomLeft()))
