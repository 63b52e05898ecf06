"""Editors for the request's top-level fields, each bound to one path of the draft.

A field row is the control, optional extra buttons, an "unset" button, a hint line and a problem
line. A field the user never set is absent from the body: the control then shows a placeholder
naming the server's default (never a fake value), and the unset button is hidden. The control's
``objectName`` and accessible name are the wire field it edits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.draft import MISSING, DraftChange, Loc, path_text
from composer.ui.binding import DraftBinding
from composer.ui.icons import set_icon
from composer.ui.problems import Problem, mark_widget, worst_level
from composer.ui.theme import set_role


def value_text(value: Any) -> str:
    """How a value that is not text appears in a text control (as JSON)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class FieldRow(QWidget):
    """One top-level field: control + extras + unset button, with hint and problem lines."""

    def __init__(
        self,
        binding: DraftBinding,
        path: Loc,
        control: QWidget,
        *,
        unset_tip: str,
        extras: Sequence[QWidget] = (),
        stretch: bool = True,
    ) -> None:
        super().__init__()
        self.binding = binding
        self.path = path
        self.origin = path_text(path)
        self.control = control
        control.setObjectName(self.origin)
        control.setAccessibleName(self.origin)
        self.reset_button = QToolButton()
        set_icon(self.reset_button, "clear")
        set_role(self.reset_button, "reset")
        self.reset_button.setToolTip(f"Leave {self.origin} out of the request ({unset_tip})")
        self.reset_button.setAccessibleName(f"Unset {self.origin}")
        self.reset_button.setObjectName(f"{self.origin}__unset")
        self.reset_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reset_button.clicked.connect(self.unset)
        self.hint = QLabel()
        set_role(self.hint, "hint")
        self.hint.setWordWrap(True)
        self.hint.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(4)
        line.addWidget(control, 1 if stretch else 0)
        for extra in extras:
            line.addWidget(extra)
        if not stretch:
            line.addStretch(1)
        line.addWidget(self.reset_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(line)
        column.addWidget(self.hint)
        column.addWidget(self.message)
        self._refreshing = False

    # --- subclasses ---

    def show_value(self, value: Any) -> None:
        """Show ``value`` (``MISSING``: the unset state) without emitting edits."""
        raise NotImplementedError

    # --- shared ---

    def refresh(self) -> None:
        """Show the draft's current value."""
        value = self.binding.get(self.path, MISSING)
        self._refreshing = True
        try:
            self.show_value(value)
        finally:
            self._refreshing = False
        self.reset_button.setVisible(value is not MISSING)

    def on_change(self, change: DraftChange) -> None:
        """Refresh when another view changed this field."""
        if change.origin != self.origin and change.touches(self.path):
            self.refresh()

    def write(self, value: Any, *, seal: bool = False) -> None:
        """Put a value from the control into the draft (``MISSING``: unset)."""
        if self._refreshing:
            return
        if value is MISSING:
            self.binding.unset(self.path, origin=self.origin)
        else:
            self.binding.set(self.path, value, origin=self.origin)
        if seal:
            self.binding.draft.seal()
        self.reset_button.setVisible(self.binding.is_set(self.path))

    def unset(self) -> None:
        """Leave the field out of the body (the unset button)."""
        self.binding.draft.seal()
        self.binding.unset(self.path)
        self.binding.draft.seal()

    def set_hint(self, text: str) -> None:
        """A muted line under the control (what a mode does, which deployment an id is)."""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Mark the control and list the messages under it."""
        mark_widget(self.control, problems)
        level = worst_level(problems)
        if level is None:
            self.message.hide()
            return
        set_role(self.message, level)
        self.message.setText("\n".join(problem.text for problem in problems))
        self.message.show()


class LineField(FieldRow):
    """A text field; empty text means unset. ``parse`` turns text into the wire value."""

    def __init__(
        self,
        binding: DraftBinding,
        path: Loc,
        *,
        placeholder: str,
        unset_tip: str,
        parse: Callable[[str], Any] = str,
        pattern: str | None = None,
        extras: Sequence[QWidget] = (),
    ) -> None:
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(False)
        if pattern:
            self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern)))
        super().__init__(binding, path, self.edit, unset_tip=unset_tip, extras=extras)
        self._parse = parse
        self.edit.textEdited.connect(self._on_text)
        self.edit.editingFinished.connect(binding.draft.seal)

    def _on_text(self, text: str) -> None:
        self.write(MISSING if text == "" else self._parse(text))

    def show_value(self, value: Any) -> None:
        text = "" if value is MISSING else value_text(value)
        if self.edit.text() != text:
            self.edit.setText(text)
            self.edit.setCursorPosition(len(text))


class ChoiceField(FieldRow):
    """A fixed list of values, with a first item that leaves the field out of the body."""

    def __init__(
        self,
        binding: DraftBinding,
        path: Loc,
        choices: Sequence[str],
        *,
        unset_label: str,
        unset_tip: str,
        tips: dict[str, str] | None = None,
    ) -> None:
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.addItem(unset_label, MISSING)
        for choice in choices:
            self.combo.addItem(choice, choice)
            if tips and choice in tips:
                self.combo.setItemData(
                    self.combo.count() - 1, tips[choice], Qt.ItemDataRole.ToolTipRole
                )
        self._choice_count = self.combo.count()
        super().__init__(binding, path, self.combo, unset_tip=unset_tip)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.currentIndexChanged.connect(self._on_index)

    def _on_index(self, index: int) -> None:
        if index < 0:
            return
        self.write(self.combo.itemData(index), seal=True)

    def show_value(self, value: Any) -> None:
        # A value typed in the JSON that is not a choice is shown as an extra item, not hidden.
        while self.combo.count() > self._choice_count:
            self.combo.removeItem(self.combo.count() - 1)
        if value is MISSING:
            self.combo.setCurrentIndex(0)
            return
        index = self.combo.findData(value) if isinstance(value, str) else -1
        if index < 1:
            self.combo.addItem(f"{value_text(value)} (not a known value)", value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)


class ComboTextField(FieldRow):
    """Free text with suggestions (``origin``): empty text means unset."""

    def __init__(
        self,
        binding: DraftBinding,
        path: Loc,
        suggestions: Sequence[str],
        *,
        placeholder: str,
        unset_tip: str,
    ) -> None:
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.addItems(list(suggestions))
        self.combo.setCurrentIndex(-1)
        line_edit = self.combo.lineEdit()
        assert line_edit is not None  # an editable combo always has one
        line_edit.setPlaceholderText(placeholder)
        super().__init__(binding, path, self.combo, unset_tip=unset_tip)
        line_edit.textEdited.connect(self._on_text)
        line_edit.editingFinished.connect(binding.draft.seal)
        self.combo.activated.connect(lambda _index: self._chosen())

    def _on_text(self, text: str) -> None:
        self.write(MISSING if text == "" else text)

    def _chosen(self) -> None:
        self.write(self.combo.currentText() or MISSING, seal=True)

    def show_value(self, value: Any) -> None:
        text = "" if value is MISSING else value_text(value)
        if self.combo.currentText() != text:
            self.combo.setEditText(text)


class BoolField(FieldRow):
    """A check box; unset shows the server's default in words next to it."""

    def __init__(
        self, binding: DraftBinding, path: Loc, text: str, *, default: bool, unset_tip: str
    ) -> None:
        self.check = QCheckBox(text)
        self.state = QLabel()
        set_role(self.state, "muted")
        self._default = default
        super().__init__(
            binding, path, self.check, unset_tip=unset_tip, extras=(self.state,), stretch=False
        )
        self.check.clicked.connect(lambda checked: self.write(bool(checked), seal=True))

    def show_value(self, value: Any) -> None:
        self.check.setChecked(value is True if value is not MISSING else self._default)
        if value is MISSING:
            self.state.setText(f"not set · {'true' if self._default else 'false'}")
        elif isinstance(value, bool):
            self.state.setText("")
        else:
            self.state.setText(f"{value_text(value)} is not true or false")
        self.state.setVisible(bool(self.state.text()))
