"""A registry of value editors for ``inputs``: one editor class per input type.

Like magicgui's type-to-widget map: :data:`EDITORS` maps a type name (``text``, ``integer``,
``number``, ``boolean``, ``list``, ``image``, ``enum``) to a :class:`ValueEditor` subclass. An
editor knows nothing of the draft: it shows a value, emits ``edited`` with a new one, and takes
an :class:`~composer.core.catalogue.InputSpec` for placeholder, range, choices and tooltip.
``MISSING`` is the unset state (a declared input the body leaves out): the editor shows the
input's default as a placeholder, never as a value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QWidget

from composer.core.draft import MISSING
from composer.ui.problems import Problem, mark_widget

if TYPE_CHECKING:
    from composer.core.catalogue import InputSpec

INT_PATTERN = r"-?\d*"
NUMBER_PATTERN = r"-?(\d+\.?\d*|\.\d*)?([eE][-+]?\d*)?"


class ValueEditor(QWidget):
    """Base of the input editors: show a value, emit ``edited(value)`` when the user changes it."""

    edited = Signal(object)  # the new value, or MISSING
    type_name: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: InputSpec | None = None
        self._parse_error: str | None = None
        self._problems: list[Problem] = []
        self._showing = False

    # --- what subclasses implement ---

    def show_value(self, value: Any) -> None:
        """Display ``value`` (or the unset state for MISSING) without emitting ``edited``."""
        raise NotImplementedError

    def main_widget(self) -> QWidget:
        """The control that carries the object name, focus and problem marks."""
        raise NotImplementedError

    @staticmethod
    def fits(value: Any) -> bool:
        """True when this editor can show ``value`` faithfully."""
        raise NotImplementedError

    @staticmethod
    def convert(value: Any) -> Any:
        """``value`` turned into this type (the user switched the row's type)."""
        raise NotImplementedError

    # --- shared ---

    def set_value(self, value: Any) -> None:
        """Show a value coming from the draft."""
        self._showing = True
        try:
            self.show_value(value)
        finally:
            self._showing = False
        self.set_parse_error(None)

    def emit_value(self, value: Any) -> None:
        """Report a user edit (ignored while showing a draft value)."""
        if not self._showing:
            self.edited.emit(value)

    def apply_spec(self, spec: InputSpec | None) -> None:
        """Use a declared input's description, default and range."""
        self.spec = spec
        widget = self.main_widget()
        tips = []
        if spec is not None:
            if spec.description:
                tips.append(spec.description)
            bounds = range_text(spec)
            if bounds:
                tips.append(bounds)
            if spec.default_value is not None:
                tips.append(f"Default: {json.dumps(spec.default_value, ensure_ascii=False)}")
        widget.setToolTip("\n".join(tips))
        widget.setProperty("baseToolTip", widget.toolTip())

    def default_placeholder(self) -> str:
        """Placeholder text for the unset state."""
        if self.spec is not None and self.spec.default_value is not None:
            return f"not set · default {json.dumps(self.spec.default_value, ensure_ascii=False)}"
        return "not set"

    def set_parse_error(self, message: str | None) -> None:
        """A problem with what was typed (not yet in the draft)."""
        self._parse_error = message
        self._mark()

    def show_problems(self, problems: list[Problem]) -> None:
        """Problems from validation at this input."""
        self._problems = problems
        self._mark()

    def _mark(self) -> None:
        problems = list(self._problems)
        if self._parse_error:
            problems.insert(0, Problem((), self._parse_error))
        mark_widget(self.main_widget(), problems)


def range_text(spec: InputSpec) -> str:
    """``"Range: 1 to 50"`` from a spec's bounds, or ``""``."""
    low, high = spec.min_value, spec.max_value
    if low is None and high is None:
        return ""
    if high is None:
        return f"Minimum: {_number(low)}"
    if low is None:
        return f"Maximum: {_number(high)}"
    return f"Range: {_number(low)} to {_number(high)}"


def _number(value: float | None) -> str:
    return json.dumps(int(value)) if value is not None and value == int(value) else str(value)


EDITORS: dict[str, type[ValueEditor]] = {}


def register(cls: type[ValueEditor]) -> type[ValueEditor]:
    """Class decorator: make ``cls`` the editor for its ``type_name``."""
    EDITORS[cls.type_name] = cls
    return cls


class _LineEditor(ValueEditor):
    """An editor built on one QLineEdit; ``parse`` turns text into a value or raises ValueError."""

    pattern: ClassVar[str | None] = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        if self.pattern:
            validator = QRegularExpressionValidator(QRegularExpression(self.pattern), self.edit)
            self.edit.setValidator(validator)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.edit.textEdited.connect(self._on_text)

    def main_widget(self) -> QWidget:
        return self.edit

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def _on_text(self, text: str) -> None:
        if text == "":
            self.set_parse_error(None)
            self.emit_value(MISSING if self.spec is not None else self.empty_value())
            return
        try:
            value = self.parse(text)
        except ValueError as exc:
            self.set_parse_error(str(exc))
            return
        self.set_parse_error(None)
        self.emit_value(value)

    def empty_value(self) -> Any:
        """What an emptied field means for an input the user added (not a declared one)."""
        return self.convert("")

    def show_value(self, value: Any) -> None:
        self.edit.setPlaceholderText(self.default_placeholder())
        text = "" if value is MISSING else self.format(value)
        if self.edit.text() != text:
            self.edit.setText(text)


@register
class IntegerEditor(_LineEditor):
    """Whole numbers of any size (seeds go past 32 bits)."""

    type_name = "integer"
    label = "Integer"
    pattern = INT_PATTERN

    def parse(self, text: str) -> Any:
        if text in ("-", ""):
            raise ValueError("Type a whole number")
        return int(text)

    @staticmethod
    def fits(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    @staticmethod
    def convert(value: Any) -> Any:
        return _to_number(value, int)


@register
class NumberEditor(_LineEditor):
    """Decimal numbers; the wire value is always a float."""

    type_name = "number"
    label = "Number"
    pattern = NUMBER_PATTERN

    def parse(self, text: str) -> Any:
        try:
            number = float(text)
        except ValueError:
            raise ValueError("Type a number, such as 3.5") from None
        if not math.isfinite(number):
            raise ValueError("Type a finite number")
        return number

    def format(self, value: Any) -> str:
        return repr(value) if isinstance(value, float) else json.dumps(value)

    @staticmethod
    def fits(value: Any) -> bool:
        return isinstance(value, float)

    @staticmethod
    def convert(value: Any) -> Any:
        return float(_to_number(value, float))


@register
class ListEditor(_LineEditor):
    """A list written as JSON (``[1, 2, 3]``); any JSON is shown, a non-list is flagged."""

    type_name = "list"
    label = "List (JSON)"

    def parse(self, text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Not valid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(value, list):
            raise ValueError("Type a JSON list, such as [1, 2, 3]")
        return value

    @staticmethod
    def fits(value: Any) -> bool:
        return isinstance(value, list) or value is None or isinstance(value, dict)

    @staticmethod
    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return value
        if isinstance(value, str) and value.strip().startswith("["):
            try:
                parsed = json.loads(value)
            except ValueError:
                return [value]
            return parsed if isinstance(parsed, list) else [value]
        return [] if value in ("", None) else [value]


@register
class BooleanEditor(ValueEditor):
    """true or false."""

    type_name = "boolean"
    label = "Boolean"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addStretch(1)
        self.check.clicked.connect(lambda checked: self.emit_value(bool(checked)))
        self.check.toggled.connect(lambda checked: self.check.setText(_bool_text(checked)))

    def main_widget(self) -> QWidget:
        return self.check

    def show_value(self, value: Any) -> None:
        if value is MISSING:
            default = bool(self.spec.default_value) if self.spec is not None else False
            self.check.setChecked(default)
            self.check.setText(f"not set · default {_bool_text(default)}")
        else:
            self.check.setChecked(value is True)
            self.check.setText(_bool_text(value is True))

    @staticmethod
    def fits(value: Any) -> bool:
        return isinstance(value, bool)

    @staticmethod
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value) if isinstance(value, int | float) else False


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


@register
class EnumEditor(ValueEditor):
    """One of the declared choices (``enum_values``)."""

    type_name = "enum"
    label = "Choice"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        self.combo.activated.connect(self._on_activated)

    def main_widget(self) -> QWidget:
        return self.combo

    def _on_activated(self, index: int) -> None:
        self.emit_value(self.combo.itemData(index, Qt.ItemDataRole.UserRole))

    def show_value(self, value: Any) -> None:
        self.combo.clear()
        choices = list(self.spec.enum_values or []) if self.spec is not None else []
        if value is MISSING:
            self.combo.addItem(self.default_placeholder(), MISSING)
        for choice in choices:
            self.combo.addItem(str(choice), choice)
        if value is not MISSING and value not in choices:
            self.combo.addItem(f"{json.dumps(value, ensure_ascii=False)} (not a choice)", value)
        self.combo.setCurrentIndex(
            0 if value is MISSING else max(0, self.combo.findData(value, Qt.ItemDataRole.UserRole))
        )

    @staticmethod
    def fits(value: Any) -> bool:
        return isinstance(value, str | int | float | bool)

    @staticmethod
    def convert(value: Any) -> Any:
        return value


def _to_number(value: Any, kind: Callable[[Any], Any]) -> Any:
    if isinstance(value, bool):
        return kind(int(value))
    if isinstance(value, int | float):
        return kind(value)
    if isinstance(value, str):
        try:
            return kind(float(value)) if kind is int else kind(value)
        except (ValueError, OverflowError):
            return kind(0)
    return kind(0)


def editor_for(type_name: str) -> ValueEditor:
    """A new editor for ``type_name`` (unknown names get a list/JSON editor)."""
    return EDITORS.get(type_name, ListEditor)()


def infer_type(value: Any, spec: InputSpec | None = None) -> str:
    """The editor type for a value (a declared input's type wins when the value fits it)."""
    if spec is not None:
        declared = spec.value_type
        editor = EDITORS.get(declared)
        if value is MISSING or (editor is not None and editor.fits(value)):
            return declared
    for name in ("boolean", "integer", "number", "image", "text", "list"):
        if EDITORS[name].fits(value):
            return name
    return "list"


def user_types() -> list[tuple[str, str]]:
    """(type name, label) of the types a user may pick for an input they add."""
    order = ("text", "integer", "number", "boolean", "list", "image")
    return [(name, EDITORS[name].label) for name in order]


# The text and image editors live in their own module; importing it registers them.
from composer.ui import text_editors  # noqa: E402, F401
