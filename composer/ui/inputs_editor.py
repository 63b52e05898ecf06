"""The ``inputs`` editor: rows of name, type and value, one typed editor per row.

Rows come from two places: inputs the target's model or deployment declares (fixed name and
type, default shown as a placeholder until set, description as tooltip) and inputs present in the
body. A declared input the user has not set stays out of the body. Each value editor's
``objectName`` is its path, ``inputs.<name>``; validation marks the row it concerns.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.draft import MISSING, DraftChange, DraftPathError, Loc
from composer.ui.binding import DraftBinding
from composer.ui.editors import EDITORS, ValueEditor, editor_for, infer_type, user_types
from composer.ui.icons import set_icon
from composer.ui.problems import Problem, mark_widget
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from composer.core.catalogue import InputSpec

PATH: Loc = ("inputs",)
SEED_MAX = 2**32 - 1


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class InputRow(NamedTuple):
    """The widgets of one input row."""

    name: str
    spec: InputSpec | None
    type_name: str
    name_widget: QWidget
    type_widget: QWidget
    editor: ValueEditor
    dice: QToolButton | None
    remove: QToolButton

    @property
    def path(self) -> Loc:
        """The row's path in the body."""
        return (*PATH, self.name)

    @property
    def widgets(self) -> list[QWidget]:
        """Every widget of the row, left to right."""
        items = [self.name_widget, self.type_widget, self.editor]
        return [*items, *([self.dice] if self.dice else []), self.remove]


class InputsEditor(QWidget):
    """Edits ``inputs``: typed rows, add/remove/rename, seed dice, declared inputs."""

    rebuilt = Signal()  # rows were recreated (the window re-chains the tab order)

    def __init__(self, binding: DraftBinding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputs")
        self.setAccessibleName("inputs")
        self.binding = binding
        self.specs: list[InputSpec] = []
        self.rows: dict[str, InputRow] = {}
        self._types: dict[str, str] = {}  # the type the user picked, while the value fits it
        self._problems: dict[str, list[Problem]] = {}
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(2, 1)
        self._grid.setColumnMinimumWidth(0, 120)
        self._headers: list[QLabel] = []
        for column, title in enumerate(("Name", "Type", "Value")):
            header = QLabel(title)
            set_role(header, "hint")
            self._grid.addWidget(header, 0, column)
            self._headers.append(header)
        self.empty = QLabel("No inputs: the run uses the workflow's defaults.")
        set_role(self.empty, "muted")
        self.message = QLabel()
        set_role(self.message, "error")
        self.message.setWordWrap(True)
        self.message.hide()
        self.add_button = QPushButton("Add input")
        set_icon(self.add_button, "add")
        self.add_button.setObjectName("inputs__add")
        self.add_button.setToolTip("Add an input the workflow reads by name")
        self.add_button.clicked.connect(lambda: self.add_input())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(self._grid)
        layout.addWidget(self.empty)
        layout.addWidget(self.message)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._signature: tuple[tuple[str, str, bool], ...] = ()
        self._shape_message = ""
        self._problem_message = ""
        self.refresh()

    # --- data in ---

    @property
    def inputs(self) -> Any:
        """The body's ``inputs`` value (MISSING when unset)."""
        return self.binding.get(PATH, MISSING)

    def set_specs(self, specs: Sequence[InputSpec]) -> None:
        """Show these declared inputs (the chosen model's or deployment's) as rows."""
        self.specs = list(specs)
        self.refresh()

    def on_change(self, change: DraftChange) -> None:
        """Refresh after another view changed ``inputs``."""
        if change.touches(PATH):
            self.refresh(skip_origin=change.origin)

    def refresh(self, skip_origin: str | None = None) -> None:
        """Rebuild the rows when the set of inputs changed, else update their values."""
        inputs = self.inputs
        values = inputs if isinstance(inputs, dict) else {}
        wanted = self._wanted_rows(values)
        signature = tuple((name, type_name, spec is not None) for name, spec, type_name in wanted)
        if signature != self._signature:
            self._rebuild(wanted)
            self._signature = signature
        for name, row in self.rows.items():
            if f"inputs.{name}" != skip_origin:
                row.editor.set_value(values.get(name, MISSING))
            row.remove.setVisible(row.spec is None or name in values)
        self.add_button.setEnabled(inputs is MISSING or isinstance(inputs, dict))
        self.empty.setVisible(not self.rows)
        for header in self._headers:
            header.setVisible(bool(self.rows))
        shape_ok = inputs is MISSING or isinstance(inputs, dict)
        self._shape_message = "" if shape_ok else "inputs must be an object of name: value pairs"
        self._show_message()

    def _wanted_rows(self, values: dict[str, Any]) -> list[tuple[str, InputSpec | None, str]]:
        rows: list[tuple[str, InputSpec | None, str]] = []
        declared = {spec.input_id for spec in self.specs}
        for spec in self.specs:
            rows.append((spec.input_id, spec, infer_type(values.get(spec.input_id, MISSING), spec)))
        for name, value in values.items():
            if name in declared:
                continue
            picked = self._types.get(name)
            # The user's pick holds while the value fits it (or is that type's empty value).
            editor = EDITORS.get(picked or "")
            fits = editor is not None and (editor.fits(value) or value == editor.convert(""))
            rows.append((name, None, picked if fits and picked else infer_type(value)))
        return rows

    # --- building rows ---

    def _rebuild(self, wanted: list[tuple[str, InputSpec | None, str]]) -> None:
        focused = self._focused_cell()
        for row in self.rows.values():
            for widget in row.widgets:
                self._grid.removeWidget(widget)
                widget.hide()  # deleted when control returns to the event loop
                widget.deleteLater()
        self.rows = {}
        for index, (name, spec, type_name) in enumerate(wanted, start=1):
            row = self._make_row(name, spec, type_name)
            self.rows[name] = row
            for column, widget in enumerate(row.widgets[:3]):
                self._grid.addWidget(widget, index, column, Qt.AlignmentFlag.AlignTop)
            if row.dice:
                self._grid.addWidget(row.dice, index, 3, Qt.AlignmentFlag.AlignTop)
            self._grid.addWidget(row.remove, index, 4, Qt.AlignmentFlag.AlignTop)
            row.editor.show_problems(self._problems.get(name, []))
        if focused is not None:
            name, column = focused
            if name in self.rows:
                widget = self.rows[name].widgets[column]
                widget.show()
                widget.setFocus()
        self.rebuilt.emit()

    def _focused_cell(self) -> tuple[str, int] | None:
        focus = self.focusWidget()
        for name, row in self.rows.items():
            for column, widget in enumerate(row.widgets):
                if focus is not None and (focus is widget or widget.isAncestorOf(focus)):
                    return name, column
        return None

    def _make_row(self, name: str, spec: InputSpec | None, type_name: str) -> InputRow:
        path_text = f"inputs.{name}"
        name_widget: QWidget
        type_widget: QWidget
        if spec is not None:
            name_widget = QLabel(name)
            name_widget.setContentsMargins(0, 4, 0, 0)  # on the line of the value's text
            name_widget.setToolTip(spec.description or spec.label)
            if spec.label != name:
                name_widget.setToolTip(f"{spec.label}\n{spec.description or ''}".strip())
            type_widget = QLabel()
            type_widget.setContentsMargins(0, 4, 0, 0)
            set_role(type_widget, "muted")
        else:
            name_edit = QLineEdit(name)
            name_edit.setObjectName(f"{path_text}__name")
            name_edit.setAccessibleName(f"Name of input {name}")
            name_edit.editingFinished.connect(lambda n=name, e=name_edit: self._rename(n, e))
            name_widget = name_edit
            combo = QComboBox()
            combo.setObjectName(f"{path_text}__type")
            combo.setAccessibleName(f"Type of input {name}")
            for value, label in user_types():
                combo.addItem(label, value)
            index = combo.findData(type_name)
            if index < 0:
                combo.addItem(type_name, type_name)
                index = combo.count() - 1
            combo.setCurrentIndex(index)
            combo.activated.connect(lambda i, n=name, c=combo: self.change_type(n, c.itemData(i)))
            type_widget = combo
        editor = editor_for(type_name)
        editor.apply_spec(spec)
        main = editor.main_widget()
        main.setObjectName(path_text)
        main.setAccessibleName(path_text)
        editor.edited.connect(lambda value, n=name: self._on_edited(n, value))
        if spec is not None:
            assert isinstance(type_widget, QLabel)
            type_widget.setText(editor.label)
        dice = None
        if "seed" in name.lower() and type_name == "integer":
            dice = QToolButton()
            set_icon(dice, "dice")
            set_role(dice, "flat")
            dice.setObjectName(f"{path_text}__random")
            dice.setToolTip("A new random seed")
            dice.setAccessibleName(f"Random {name}")
            dice.clicked.connect(lambda _checked=False, n=name: self.randomize(n))
        remove = QToolButton()
        set_icon(remove, "clear")
        set_role(remove, "reset")
        remove.setObjectName(f"{path_text}__remove")
        remove.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        verb = "Unset" if spec is not None else "Remove"
        remove.setToolTip(f"{verb} {name} (leave it out of the request)")
        remove.setAccessibleName(f"{verb} input {name}")
        remove.clicked.connect(lambda _checked=False, n=name: self.remove_input(n))
        return InputRow(name, spec, type_name, name_widget, type_widget, editor, dice, remove)

    # --- edits ---

    def _on_edited(self, name: str, value: Any) -> None:
        path = (*PATH, name)
        if value is MISSING:
            self.binding.draft.seal()
            self.binding.unset(path, origin=f"inputs.{name}")
        else:
            self.binding.set(path, value, origin=f"inputs.{name}")
        row = self.rows.get(name)
        if row is not None:
            row.remove.setVisible(row.spec is None or self.binding.is_set(path))

    def add_input(self, name: str | None = None, type_name: str = "text") -> str:
        """Add an input row with an empty value of ``type_name``; focuses its name."""
        existing = self.inputs if isinstance(self.inputs, dict) else {}
        if name is None:
            number = len(existing) + 1
            while f"input_{number}" in existing:
                number += 1
            name = f"input_{number}"
        self._types[name] = type_name
        self.binding.draft.seal()
        self.binding.set((*PATH, name), editor_for(type_name).convert(""))
        self.binding.draft.seal()
        row = self.rows.get(name)
        if row is not None and isinstance(row.name_widget, QLineEdit):
            row.name_widget.show()  # a layout shows new children later; focus needs it now
            row.name_widget.setFocus()
            row.name_widget.selectAll()
        return name

    def remove_input(self, name: str) -> None:
        """Leave the input out of the body (a declared one stays as an unset row)."""
        self.binding.draft.seal()
        self.binding.unset((*PATH, name))
        self.binding.draft.seal()

    def change_type(self, name: str, type_name: str) -> None:
        """Give an input another type, converting its value where possible."""
        self._types[name] = type_name
        value = self.binding.get((*PATH, name), MISSING)
        converted = editor_for(type_name).convert("" if value is MISSING else value)
        self.binding.draft.seal()
        self.binding.set((*PATH, name), converted)
        self.binding.draft.seal()
        self.refresh()

    def randomize(self, name: str) -> int:
        """Put a new random seed into the input; returns it."""
        row = self.rows.get(name)
        low, high = 0, SEED_MAX
        if row is not None and row.spec is not None:
            low = int(row.spec.min_value) if row.spec.min_value is not None else low
            high = int(row.spec.max_value) if row.spec.max_value is not None else high
        seed = random.randint(low, max(low, high))
        self.binding.draft.seal()
        self.binding.set((*PATH, name), seed)
        self.binding.draft.seal()
        return seed

    def _rename(self, old: str, edit: QLineEdit) -> None:
        new = edit.text().strip()
        if new == old:
            return
        existing = self.inputs if isinstance(self.inputs, dict) else {}
        if not new or new in existing:
            reason = "A name is needed" if not new else f"{new!r} is already an input"
            mark_widget(edit, [Problem((), f"{reason}; the name stays {old!r}")])
            edit.setText(old)
            return
        mark_widget(edit, [])
        if old in self._types:
            self._types[new] = self._types.pop(old)
        self.binding.draft.seal()
        try:
            self.binding.draft.rename_key(PATH, old, new)
        except DraftPathError as exc:
            mark_widget(edit, [Problem((), str(exc))])
        self.binding.draft.seal()

    # --- problems ---

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Mark the rows the problems point at (``(name,)``); others show under the table."""
        by_name: dict[str, list[Problem]] = {}
        general: list[str] = []
        for problem in problems:
            if problem.loc and isinstance(problem.loc[0], str):
                by_name.setdefault(problem.loc[0], []).append(problem)
            else:
                general.append(problem.text)
        self._problems = by_name
        for name, row in self.rows.items():
            row.editor.show_problems(by_name.get(name, []))
        # Row problems are marked on the row and listed here too, so they can be read without
        # hovering (and by screen readers).
        rows = [
            p.text if p.text.startswith(name) else f"{name}: {p.text}"
            for name, items in by_name.items()
            for p in items
        ]
        self._problem_message = "\n".join(general + rows)
        error = self._shape_message or any(p.level == "error" for p in problems)
        set_role(self.message, "error" if error else "warning")
        self._show_message()

    def _show_message(self) -> None:
        text = "\n".join(part for part in (self._shape_message, self._problem_message) if part)
        self.message.setText(text)
        self.message.setVisible(bool(text))
