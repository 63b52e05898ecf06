"""An in-window message bar with actions (undo a delete, restore a crashed draft).

Non-modal on purpose: it never blocks the event loop (no nested loops inside coroutines) and the
user can keep working while it is shown.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from composer.ui.icons import icon, set_icon
from composer.ui.theme import set_role


class Banner(QFrame):
    """A message with buttons; hidden until :meth:`show_message`."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        set_icon(self.close_button, "clear")
        set_role(self.close_button, "flat")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss")
        self.close_button.clicked.connect(self.dismiss)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.setSpacing(8)
        self._layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(self.text, 1)
        self._layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.buttons: list[QPushButton] = []
        self._on_dismiss: Callable[[], None] | None = None
        self.hide()

    def show_message(
        self,
        text: str,
        actions: list[tuple[str, Callable[[], None]]] = (),  # type: ignore[assignment]
        *,
        level: str = "info",
        on_dismiss: Callable[[], None] | None = None,
    ) -> None:
        """Show ``text`` with buttons; a button runs its action and closes the banner."""
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.hide()  # deleted when control returns to the event loop
            button.deleteLater()
        self.buttons = []
        set_role(self, f"banner-{level}")
        name = {"info": "ok", "warning": "warning", "error": "error"}.get(level, "ok")
        self.icon.setPixmap(icon(name).pixmap(18, 18))
        self.text.setText(text)
        for index, (label, action) in enumerate(actions):
            button = QPushButton(label)
            button.setObjectName(f"{self.objectName()}__{index}")
            button.clicked.connect(lambda _c=False, a=action: self._run(a))
            self._layout.insertWidget(2 + index, button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons.append(button)
        self._on_dismiss = on_dismiss
        self.show()

    def _run(self, action: Callable[[], None]) -> None:
        self._on_dismiss = None
        self.hide()
        action()

    def dismiss(self) -> None:
        """Close the banner (running its dismiss action, if any)."""
        callback, self._on_dismiss = self._on_dismiss, None
        self.hide()
        if callback is not None:
            callback()

    def button(self, label: str) -> QPushButton:
        """The action button with this label (tests and tools)."""
        for button in self.buttons:
            if button.text() == label:
                return button
        raise KeyError(label)
